"""Findings: what a check found, with evidence and the commands to fix it.

A finding never holds a secret value: analysis functions only ever see
redaction records (see `redact`), and the texts here are built from names.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from vantiq_health import render
from vantiq_health.catalog import SEVERITIES, entry


@dataclass(frozen=True)
class Finding:
    check_id: str
    diagnosis: str
    evidence: tuple[str, ...] = ()
    fix: tuple[str, ...] = ()  # shell commands with the real names filled in, each pastes as it is
    severity: str = ""  # defaults to the catalog's first severity
    advice: tuple[str, ...] = ()  # prose that goes with the fix (never mixed into a command)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", entry(self.check_id).severities[0])
        if self.severity not in entry(self.check_id).severities:
            raise ValueError(f"{self.check_id} has no severity {self.severity!r}")


def finding(
    check_id: str,
    diagnosis: str,
    evidence: Iterable[str] = (),
    fix: Iterable[str] = (),
    severity: str = "",
    advice: Iterable[str] = (),
) -> Finding:
    return Finding(check_id, diagnosis, tuple(evidence), tuple(fix), severity, tuple(advice))


@dataclass
class Findings:
    """The findings of one check for one namespace (or the cluster)."""

    check_id: str
    namespace: str | None
    items: list[Finding] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)  # info shown in the report

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def add(self, item: Finding) -> None:
        if item.check_id != self.check_id:
            raise ValueError(f"{item.check_id} finding added to {self.check_id}")
        self.items.append(item)

    def extend(self, items: Iterable[Finding]) -> None:
        for item in items:
            self.add(item)

    @property
    def severity(self) -> str | None:
        """The worst severity among the findings, None without findings."""
        if not self.items:
            return None
        return min((f.severity for f in self.items), key=SEVERITIES.index)

    def explain(self) -> str:
        """The failure message: the id first, then each finding as an operator reads it."""
        return render.explain(self)

    def summary(self) -> str:
        """A passing check's facts (info), with the id first."""
        return render.summary(self)
