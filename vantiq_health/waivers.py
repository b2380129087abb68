"""Waivers and baselines: which findings gate a run, as pure functions over findings as data.

A finding is identified by its check id, the namespace the check ran for and its object
(kind, namespace, name): never by its message, so a reworded diagnosis or a changed
timestamp in the evidence is the same finding.

- `--baseline PATH` (an earlier results.json): a finding is `new` or `still present`;
  a finding of the baseline that a check judged again and did not find is `resolved`.
- `[[waivers]]` in the config file (`id`, `namespace`, optional `object`, `reason`,
  `until`): a matching finding is waived until that date (inclusive), then it counts again
  and says the waiver expired; a waiver that matches nothing is stale.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from vantiq_health.i18n import msg

NEW, STILL_PRESENT, RESOLVED = "new", "still present", "resolved"
WAIVER_KEYS = {"id", "namespace", "object", "reason", "until"}
REQUIRED = ("id", "namespace", "reason", "until")

Key = tuple[str, str | None, str | None, str | None, str | None]  # id, namespace, object kind/ns/name


class WaiverError(ValueError):
    """A [[waivers]] entry the suite cannot use (the config error names it)."""


@dataclass(frozen=True)
class Waiver:
    id: str
    namespace: str | None  # "" or "cluster" in the file: a cluster-scoped check
    reason: str
    until: date
    object: str | None = None  # a name, or Kind/name

    def covers(self, check_id: str, namespace: str | None, obj: Mapping[str, Any] | None) -> bool:
        if (self.id, self.namespace) != (check_id, namespace):
            return False
        if self.object is None:
            return True
        if obj is None:
            return False
        kind, _, name = self.object.rpartition("/")
        return name == obj.get("name") and kind in ("", obj.get("kind"))

    def expired(self, today: date) -> bool:
        return today > self.until

    def describe(self) -> str:
        where = f"{self.id} [{self.namespace or 'cluster'}]" + (f" {self.object}" if self.object else "")
        return f"{where} until {self.until.isoformat()}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "namespace": self.namespace,
            "object": self.object,
            "reason": self.reason,
            "until": self.until.isoformat(),
        }


def parse_waivers(raw: Any) -> list[Waiver]:
    """The config file's [[waivers]] tables; a missing or unknown key is an error naming it."""
    if not isinstance(raw, list):
        raise WaiverError(msg("common.waivers_not_list"))
    found = []
    for i, entry in enumerate(raw, 1):
        if not isinstance(entry, dict):
            raise WaiverError(msg("common.waiver_not_table", i=i))
        unknown = sorted(set(entry) - WAIVER_KEYS)
        if unknown:
            raise WaiverError(
                msg("common.waiver_unknown_key", key=unknown[0], i=i, known=", ".join(sorted(WAIVER_KEYS)))
            )
        missing = [k for k in REQUIRED if k not in entry]
        if missing:
            raise WaiverError(msg("common.waiver_needs", i=i, missing=", ".join(missing)))
        until = entry["until"]
        if isinstance(until, str):
            try:
                until = date.fromisoformat(until)
            except ValueError:
                raise WaiverError(msg("common.waiver_until", i=i, until=repr(until))) from None
        if not isinstance(until, date):
            raise WaiverError(msg("common.waiver_until", i=i, until=repr(until)))
        if not str(entry["reason"]).strip():
            raise WaiverError(msg("common.waiver_reason", i=i))
        ns = str(entry["namespace"])
        found.append(
            Waiver(
                str(entry["id"]),
                None if ns in ("", "cluster") else ns,
                str(entry["reason"]),
                until,
                str(entry["object"]) if entry.get("object") else None,
            )
        )
    return found


def finding_key(check_id: str, namespace: str | None, obj: Mapping[str, Any] | None) -> Key:
    if obj is None:
        return (check_id, namespace, None, None, None)
    return (check_id, namespace, obj.get("kind"), obj.get("namespace"), obj.get("name"))


@dataclass
class Baseline:
    """The findings of an earlier run, and the checks it judged."""

    path: Path
    generated_at: str
    findings: dict[
        Key, dict[str, Any]
    ]  # key -> the finding as that run reported it (with check_id, namespace)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        try:
            doc = json.loads(path.read_text())
        except OSError as exc:
            raise WaiverError(msg("common.baseline_unreadable", path=str(path), error=exc.strerror)) from None
        except json.JSONDecodeError as exc:
            raise WaiverError(msg("common.baseline_not_json", path=str(path), error=str(exc))) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            raise WaiverError(msg("common.baseline_not_results", path=str(path)))
        findings: dict[Key, dict[str, Any]] = {}
        for record in doc["results"]:
            for f in record.get("findings") or []:
                key = finding_key(record["id"], record.get("namespace"), f.get("object"))
                findings.setdefault(
                    key, {**f, "check_id": record["id"], "namespace": record.get("namespace")}
                )
        return cls(path, str(doc.get("generated_at", "")), findings)


@dataclass
class Judgement:
    """What a finding's status is, and whether it gates the run."""

    baseline: str | None  # NEW, STILL_PRESENT, or None without --baseline
    waiver: Waiver | None
    waiver_expired: bool

    @property
    def gates(self) -> bool:
        if self.waiver is not None and not self.waiver_expired:
            return False
        return self.baseline != STILL_PRESENT

    def annotate(self, finding: dict[str, Any]) -> None:
        """The status fields every report renders (results.json, JUnit, HTML, the terminal)."""
        if self.baseline is not None:
            finding["baseline"] = self.baseline
        if self.waiver is not None:
            finding["waiver"] = {
                **self.waiver.to_dict(),
                "state": "expired" if self.waiver_expired else "active",
            }


def judge(
    check_id: str,
    namespace: str | None,
    obj: Mapping[str, Any] | None,
    baseline: Baseline | None,
    waivers: Iterable[Waiver],
    today: date,
) -> Judgement:
    status = None
    if baseline is not None:
        status = STILL_PRESENT if finding_key(check_id, namespace, obj) in baseline.findings else NEW
    waiver = next((w for w in waivers if w.covers(check_id, namespace, obj)), None)
    return Judgement(status, waiver, waiver is not None and waiver.expired(today))


def status_label(finding: Mapping[str, Any]) -> str:
    """One short label: `new`, `still present`, `waived`, `waiver expired 2026-10-01`, or ``."""
    parts = []
    if finding.get("baseline"):
        parts.append(str(finding["baseline"]))
    waiver = finding.get("waiver")
    if waiver:
        parts.append(f"waiver expired {waiver['until']}" if waiver["state"] == "expired" else "waived")
    return ", ".join(parts)


def resolved(
    baseline: Baseline, current: Iterable[Key], judged: Iterable[tuple[str, str | None]]
) -> list[dict[str, Any]]:
    """Baseline findings a check judged again (passed, warned or failed) and did not find."""
    now, checked = set(current), set(judged)
    return [
        {**f, "baseline": RESOLVED}
        for key, f in baseline.findings.items()
        if key not in now and (key[0], key[1]) in checked
    ]
