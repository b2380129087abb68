"""HM: Helm releases that render APIs the cluster no longer serves, and releases stuck pending or failed.

Reads the `helmRelease` summaries the cluster view attaches to Helm storage objects
(`vantiq_health.redact`), never the payloads: those hold the chart values and rendered Secrets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.apis import ApiChange, Version, classify
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.helm import OBJECT_PREFIX, ManifestObject, ReleaseRecord, is_storage_object, latest
from vantiq_health.i18n import msg

GONE = {"uninstalled", "uninstalling"}
STUCK = ("pending-install", "pending-upgrade", "pending-rollback", "failed")
GOOD = {"deployed", "superseded"}
_STORAGE_NAME = re.compile(rf"^{re.escape(OBJECT_PREFIX)}(.+)\.v(\d+)$")


@dataclass
class Releases:
    """The Helm releases stored in one namespace: every decoded revision, and what could not be decoded."""

    records: list[ReleaseRecord] = field(default_factory=list)
    undecodable: dict[str, str] = field(default_factory=dict)  # storage object -> why

    def current(self) -> list[ReleaseRecord]:
        """The latest revision of each release, unless uninstalled or newer than what decodes."""
        blocked = self._blocked()
        return [
            rec
            for (_, release), rec in sorted(latest(self.records).items())
            if rec.status not in GONE and release not in blocked
        ]

    def history(self, rec: ReleaseRecord) -> list[ReleaseRecord]:
        mine = [r for r in self.records if (r.namespace, r.name) == (rec.namespace, rec.name)]
        return sorted(mine, key=lambda r: r.revision)

    def notes(self) -> list[str]:
        """Facts about storage objects that could not be decoded (they get no verdict)."""
        blocked = self._blocked()
        judged = {rel: rec.revision for (_, rel), rec in latest(self.records).items()}
        facts = []
        for obj, why in sorted(self.undecodable.items()):
            release = _release_of(obj)[0]
            if release in blocked:
                outcome = msg("HM001.not_judged_release", release=release)
            elif release in judged:
                outcome = msg("HM001.judged_on", release=release, revision=judged[release])
            else:
                outcome = msg("HM001.not_judged")
            facts.append(msg("HM001.undecodable", obj=obj, why=why, outcome=outcome))
        return facts

    def _blocked(self) -> set[str]:
        """Releases whose newest storage object is one that does not decode."""
        decoded = {rel: rec.revision for (_, rel), rec in latest(self.records).items()}
        return {
            release
            for release, revision in map(_release_of, self.undecodable)
            if release is not None and revision > decoded.get(release, 0)
        }


def _release_of(storage_object: str) -> tuple[str | None, int]:
    match = _STORAGE_NAME.match(storage_object)
    return (match.group(1), int(match.group(2))) if match else (None, 0)


def read_releases(secrets: list[Obj], configmaps: list[Obj]) -> Releases:
    """The releases of a namespace from its Helm storage Secrets and ConfigMaps (sanitized by the view)."""
    found = Releases()
    stored = [s for s in secrets if is_storage_object(s, is_secret=True)]
    for obj in [*stored, *(c for c in configmaps if is_storage_object(c, is_secret=False))]:
        summary = obj.get("helmRelease")
        if not isinstance(summary, dict):
            found.undecodable[name(obj)] = "no readable data.release"
        elif "error" in summary:
            found.undecodable[name(obj)] = str(summary["error"])
        else:
            try:
                found.records.append(ReleaseRecord.from_dict(summary))
            except (KeyError, TypeError, ValueError) as exc:
                found.undecodable[name(obj)] = f"summary unreadable: {exc}"
    return found


# -- HM001 ----------------------------------------------------------------------
@dataclass(frozen=True)
class Judge:
    """The Kubernetes version releases are judged against, and how to say it."""

    version: Version
    served: frozenset[str] | None = None  # live discovery; only for the cluster's own version
    target: bool = False  # --target-version: "would break on X.Y"


def removed_apis(releases: list[ReleaseRecord], judge: Judge) -> list[Finding]:
    """HM001: per release, objects whose API is gone (critical) or goes in the next minor (warning)."""
    found = []
    for rec in releases:
        gone: list[tuple[ManifestObject, ApiChange | None]] = []
        going: list[tuple[ManifestObject, ApiChange | None]] = []
        for obj in rec.objects:
            status, change = classify(obj.api_version, obj.kind, judge.version, judge.served)
            if status == "removed":
                gone.append((obj, change))
            elif status == "removed-next":
                going.append((obj, change))
        if gone:
            found.append(_api_finding(rec, gone, judge, judge.version, "critical"))
        if going:
            found.append(_api_finding(rec, going, judge, judge.version.next_minor(), "warning"))
    return found


def _api_finding(
    rec: ReleaseRecord,
    objs: list[tuple[ManifestObject, ApiChange | None]],
    judge: Judge,
    gone_in: Version,
    severity: str,
) -> Finding:
    first = objs[0][0]
    failure = (
        f'UPGRADE FAILED: resource mapping not found for name: "{first.name}" namespace: "{first.namespace or ""}" '
        f'from "": no matches for kind "{first.kind}" in version "{first.api_version}"'
    )
    names = {
        "release": f"{rec.namespace}/{rec.name}",
        "revision": rec.revision,
        "chart": rec.chart,
        "n": len(objs),
        "version": str(gone_in),
        "failure": failure,
    }
    if judge.target:
        diagnosis = msg("HM001.would_break", **names)
    elif severity == "critical":
        diagnosis = msg("HM001.not_served", **names)
    else:
        diagnosis = msg("HM001.removed_next", **names)
    evidence: list[str] = [_object_line(rec, obj, change) for obj, change in objs]
    about = ObjectRef("HelmRelease", rec.namespace, rec.name)
    fix, advice = _api_fix(rec), _api_advice(rec, objs)
    return finding("HM001", diagnosis, evidence, fix, severity=severity, object=about, advice=advice)


def _object_line(rec: ReleaseRecord, obj: ManifestObject, change: ApiChange | None) -> str:
    where = f" ({obj.source})" if obj.source else ""
    if change is None:
        what = msg("HM001.not_served_here")
    else:
        what = msg("HM001.removed_in", version=str(change.removed_in), replacement=change.replacement)
    return msg(
        "HM001.object_line",
        release=rec.name,
        revision=rec.revision,
        chart=rec.chart,
        object=f"{obj.kind} {obj.name}{where}",
        api=obj.api_version,
        what=what,
    )


def _api_advice(rec: ReleaseRecord, objs: list[tuple[ManifestObject, ApiChange | None]]) -> list[str]:
    moves = sorted(
        {f"{o.kind} {o.api_version} -> {c.replacement}" for o, c in objs if c is not None}
        | {msg("HM001.move_served", kind=o.kind, api=o.api_version) for o, c in objs if c is None}
    )
    return [msg("HM001.advice", chart=rec.chart, moves=msg("common.joined", items=tuple(moves)))]


def _api_fix(rec: ReleaseRecord) -> list[str]:
    return [
        "helm plugin install https://github.com/helm/helm-mapkubeapis",
        f"helm mapkubeapis {rec.name} -n {rec.namespace} --dry-run",
        f"helm mapkubeapis {rec.name} -n {rec.namespace}",
    ]


# -- HM002 ----------------------------------------------------------------------
def stuck_releases(releases: Releases) -> list[Finding]:
    """HM002: releases whose latest revision is pending-* or failed."""
    found = []
    for rec in releases.current():
        if rec.status not in STUCK:
            continue
        good = [r for r in releases.history(rec) if r.status in GOOD and r.revision < rec.revision]
        found.append(_stuck_finding(rec, good[-1] if good else None))
    return found


def _stuck_finding(rec: ReleaseRecord, good: ReleaseRecord | None) -> Finding:
    release = f"{rec.namespace}/{rec.name}"
    if rec.status == "failed":
        diagnosis = msg(
            "HM002.failed",
            release=release,
            revision=rec.revision,
            why=rec.description or msg("HM002.no_description"),
        )
    else:
        diagnosis = msg("HM002.stuck", release=release, status=rec.status, revision=rec.revision)
    evidence: list[str] = [
        msg(
            "HM002.revision",
            revision=rec.revision,
            status=rec.status,
            chart=rec.chart,
            deployed=rec.last_deployed or "?",
            description=rec.description or "-",
        ),
        msg("HM002.storage", storage=f"{rec.storage} {rec.storage_object}"),
        msg("HM002.last_good", revision=good.revision, status=good.status, chart=good.chart)
        if good
        else msg("HM002.never_deployed"),
    ]
    fix = [f"helm history {rec.name} -n {rec.namespace}"]
    if good:
        fix.append(f"helm rollback {rec.name} {good.revision} -n {rec.namespace}")
    else:
        fix.append(f"helm uninstall {rec.name} -n {rec.namespace}")
    advice: list[str] = [] if good else [msg("HM002.uninstall_advice")]
    if rec.status.startswith("pending-"):
        kind = "secret" if rec.storage == "secret" else "configmap"
        fix.append(f"kubectl get {kind} {rec.storage_object} -n {rec.namespace} --show-labels")
        advice.append(msg("HM002.storage_advice", storage=rec.storage_object))
    return finding(
        "HM002",
        diagnosis,
        evidence,
        fix,
        object=ObjectRef("HelmRelease", rec.namespace, rec.name),
        advice=advice,
    )
