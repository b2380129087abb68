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
from vantiq_health.i18n import catalog_text, render, source_titles, tr

if TYPE_CHECKING:
    from vantiq_health.findings import Finding, Findings

FIX_LABEL = "   fix:"  # English; `tr("common.label_fix")` in the run's language
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


def title(check_id: str, lang: str | None = None) -> str:
    return catalog_text(check_id, "title", entry(check_id).title, lang)


def explain(findings: Findings, lang: str | None = None) -> str:
    """The failure message: the id first, then each finding as an operator reads it."""
    meta = entry(findings.check_id)
    where = (
        tr("common.in_namespace", lang, namespace=findings.namespace)
        if findings.namespace
        else tr("common.in_cluster", lang)
    )
    head = tr(
        "common.explain_head", lang, id=meta.id, title=title(meta.id, lang), n=len(findings), where=where
    )
    lines = [head]
    for n, item in enumerate(findings, 1):
        lines.extend(finding_lines(n, item, lang))
    if findings.facts:
        lines.append(tr("common.label_facts", lang))
        lines.extend(f"  {render(fact, lang)}" for fact in findings.facts)
    why = catalog_text(meta.id, "why", meta.why, lang)
    if why:
        lines.append(tr("common.why_it_matters", lang, why=why))
    lines.append(tr("common.source_line", lang, sources=source_titles(meta.id, meta.source, lang)))
    return "\n".join(lines)


def finding_lines(n: int, item: Finding, lang: str | None = None) -> list[str]:
    severity = tr(f"common.severity_{item.severity}", lang)
    lines = [f"{n}. [{severity}] {render(item.diagnosis, lang)}"]
    lines.extend(tr("common.label_evidence", lang, line=render(e, lang)) for e in item.evidence)
    if item.fix:
        lines.append(tr("common.label_fix", lang))
        lines.extend(render(f, lang) for f in item.fix)
    lines.extend(tr("common.label_advice", lang, line=render(a, lang)) for a in item.advice)
    return lines


def summary(findings: Findings, lang: str | None = None) -> str:
    """A passing check's facts (info), with the id first."""
    meta = entry(findings.check_id)
    lines = [f"[{meta.id}] {title(meta.id, lang)}"]
    lines.extend(f"  {render(fact, lang)}" for fact in findings.facts)
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
