"""Findings: what a check found, with evidence and the commands to fix it.

A finding never holds a secret value: analysis functions only ever see
redaction records (see `redact`), and the texts here are built from names.
Its texts are data until shown: a `Msg` (catalog key and parameters, see `i18n`) is
rendered in the run's language by `to_dict` and `render`; a plain `str` is shown as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from vantiq_health import render
from vantiq_health.catalog import SEVERITIES, entry
from vantiq_health.i18n import Text, as_text

SCHEMA_VERSION = 2  # of a finding as data, in results.json and the JUnit properties


@dataclass(frozen=True)
class ObjectRef:
    """The object a finding is about; namespace None for cluster-scoped objects."""

    kind: str
    namespace: str | None
    name: str

    @classmethod
    def of(cls, obj: Mapping[str, Any], kind: str = "") -> ObjectRef:
        """The reference of a Kubernetes object as the API returns it (kind from the object if not given)."""
        meta = obj.get("metadata") or {}
        return cls(kind or str(obj.get("kind", "")), meta.get("namespace") or None, str(meta.get("name", "")))

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "namespace": self.namespace, "name": self.name}


@dataclass(frozen=True)
class Finding:
    check_id: str
    diagnosis: Text
    evidence: tuple[Text, ...] = ()
    fix: tuple[Text, ...] = ()  # shell commands with the real names filled in, each pastes as it is
    severity: str = ""  # defaults to the catalog's first severity
    object: ObjectRef | None = None
    advice: tuple[Text, ...] = ()  # prose that goes with the fix (never mixed into a command)

    def __post_init__(self) -> None:
        if not self.severity:
            object.__setattr__(self, "severity", entry(self.check_id).severities[0])
        if self.severity not in entry(self.check_id).severities:
            raise ValueError(f"{self.check_id} has no severity {self.severity!r}")

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        """As results.json holds it: machine fields as they are, texts rendered in `lang` (the run's)."""
        return {
            "object": self.object.to_dict() if self.object else None,
            "severity": self.severity,
            "diagnosis": as_text(self.diagnosis, lang),
            "evidence": [as_text(e, lang) for e in self.evidence],
            "fix": [as_text(f, lang) for f in self.fix],
            "advice": [as_text(a, lang) for a in self.advice],
        }


def finding(
    check_id: str,
    diagnosis: Text,
    evidence: Iterable[Text] = (),
    fix: Iterable[Text] = (),
    severity: str = "",
    object: ObjectRef | Mapping[str, Any] | None = None,  # the field's name in results.json
    advice: Iterable[Text] = (),
) -> Finding:
    ref = ObjectRef.of(object) if isinstance(object, Mapping) else object
    return Finding(check_id, diagnosis, tuple(evidence), tuple(fix), severity, ref, tuple(advice))


@dataclass
class Findings:
    """The findings of one check for one namespace (or the cluster)."""

    check_id: str
    namespace: str | None
    items: list[Finding] = field(default_factory=list)
    facts: list[Text] = field(default_factory=list)  # info shown in the report
    unseen: list[Text] = field(default_factory=list)  # what the check could not read, and how to get it

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

    def to_dict(self, lang: str | None = None) -> dict[str, Any]:
        return {
            "findings": [item.to_dict(lang) for item in self.items],
            "facts": [as_text(f, lang) for f in self.facts],
            "unseen": [as_text(u, lang) for u in self.unseen],
        }

    def explain(self) -> str:
        """The failure message: the id first, then each finding as an operator reads it."""
        return render.explain(self)

    def summary(self) -> str:
        """A passing check's facts (info), with the id first."""
        return render.summary(self)
