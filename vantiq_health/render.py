"""Findings as text: the failure message, a passing check's facts, the one-line summary form.

A finding reads top-down as an operator works: one diagnosis line, the evidence, then the
fix as commands that paste and run as they are (a manifest comes as one heredoc), prose
advice on lines of its own, and why the check matters. Commands are printed at column 0:
a heredoc's closing `EOF` must start its line, and a selection of whole lines pastes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from vantiq_health.catalog import entry

if TYPE_CHECKING:
    from vantiq_health.findings import Finding, Findings

FIX_LABEL = "   fix:"
_KINDS = {
    "pod": "pod",
    "Pod": "pod",
    "StatefulSet": "sts",
    "Deployment": "deploy",
    "DaemonSet": "ds",
    "PersistentVolumeClaim": "pvc",
    "PersistentVolume": "pv",
    "Secret": "secret",
    "ConfigMap": "configmap",
    "Helm release": "release",
    "database volume": "pvc",
}
_OBJECT = re.compile(rf"^({'|'.join(sorted(_KINDS, key=len, reverse=True))}) (?:[\w.-]+/)?([\w.-]+)")


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def explain(findings: Findings) -> str:
    """The failure message: the id first, then each finding as an operator reads it."""
    meta = entry(findings.check_id)
    where = f"namespace {findings.namespace}" if findings.namespace else "cluster"
    lines = [f"[{meta.id}] {meta.title} — {plural(len(findings), 'finding')} in {where}"]
    for n, item in enumerate(findings, 1):
        lines.extend(finding_lines(n, item))
    if findings.facts:
        lines.append("Facts:")
        lines.extend(f"  {fact}" for fact in findings.facts)
    if meta.why:
        lines.append(f"Why it matters: {meta.why}")
    lines.append(f"Source: troubleshooting notes, 「{meta.source}」")
    return "\n".join(lines)


def finding_lines(n: int, item: Finding) -> list[str]:
    lines = [f"{n}. [{item.severity}] {item.diagnosis}"]
    lines.extend(f"   evidence: {e}" for e in item.evidence)
    if item.fix:
        lines.append(FIX_LABEL)
        lines.extend(item.fix)
    lines.extend(f"   advice: {a}" for a in item.advice)
    return lines


def summary(findings: Findings) -> str:
    """A passing check's facts (info), with the id first."""
    meta = entry(findings.check_id)
    lines = [f"[{meta.id}] {meta.title}"]
    lines.extend(f"  {fact}" for fact in findings.facts)
    return "\n".join(lines)


def object_of(data: Mapping[str, Any]) -> str:
    """The object a finding is about, as `kind/name`: its `object` field, else read off its diagnosis."""
    given = data.get("object")
    if isinstance(given, Mapping):
        parts = [given.get("kind"), given.get("namespace"), given.get("name")]
        return "/".join(str(p) for p in parts if p)
    if given:
        return str(given)
    match = _OBJECT.match(str(data.get("diagnosis", "")))
    return f"{_KINDS[match.group(1)]}/{match.group(2)}" if match else "-"


def one_line(text: str, width: int = 160) -> str:
    """A diagnosis cut to one line of the summary."""
    first = " ".join(text.split())
    return first if len(first) <= width else first[: width - 1] + "…"
