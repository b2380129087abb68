"""HM001/HM002 over Helm storage objects as the cluster view hands them to the checks (sanitized)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from vantiq_health import helm, redact
from vantiq_health.analysis.helm import Judge, read_releases, removed_apis, stuck_releases
from vantiq_health.apis import Version

FLOWCONTROL = "flowcontrol.apiserver.k8s.io"


def _release(
    name: str, revision: int, status: str, objs: list[tuple[str, str, str]], ns: str = "prod", **info: str
) -> dict[str, Any]:
    manifest = "".join(
        f"---\n# Source: {name}/templates/{kind.lower()}.yaml\napiVersion: {gv}\nkind: {kind}\nmetadata:\n  name: {obj}\n"
        for gv, kind, obj in objs
    )
    return {
        "name": name,
        "namespace": ns,
        "version": revision,
        "info": {
            "status": status,
            "last_deployed": f"2026-0{revision}-10T10:00:00Z",
            "description": "Upgrade complete",
            **info,
        },
        "chart": {"metadata": {"name": name, "version": f"1.{revision}.0"}},
        "config": {"password": "never-read"},
        "manifest": manifest,
    }


def _secret(release: dict[str, Any]) -> dict[str, Any]:
    return redact.sanitize_secret(helm.release_secret(release))[0]


def _configmap(release: dict[str, Any]) -> dict[str, Any]:
    return redact.sanitize_configmap(helm.release_configmap(release))


CURRENT = [("apps/v1", "StatefulSet", "vantiq"), ("policy/v1", "PodDisruptionBudget", "vantiq")]
REMOVED = [
    ("apps/v1", "StatefulSet", "vantiq"),
    ("batch/v1beta1", "CronJob", "mongobackup"),
    ("policy/v1beta1", "PodDisruptionBudget", "vantiq"),
]
APF = [(f"{FLOWCONTROL}/v1beta3", "FlowSchema", "vantiq-clients")]
ON_129 = Judge(Version.parse("1.29"))


def _history(
    *revisions: tuple[str, list[tuple[str, str, str]]], name: str = "vantiq"
) -> list[dict[str, Any]]:
    return [_secret(_release(name, n, status, objs)) for n, (status, objs) in enumerate(revisions, 1)]


# -- HM001 ----------------------------------------------------------------------------
def test_removed_apis_in_the_latest_revision_are_critical() -> None:
    releases = read_releases(_history(("superseded", CURRENT), ("deployed", REMOVED)), [])
    [found] = removed_apis(releases.current(), ON_129)
    assert found.severity == "critical"
    assert found.diagnosis == (
        "Helm release prod/vantiq (revision 2, chart vantiq-1.2.0) renders 2 object(s) whose API Kubernetes 1.29 "
        'no longer serves: the next deploy ends in `UPGRADE FAILED: resource mapping not found for name: "mongobackup" '
        'namespace: "" from "": no matches for kind "CronJob" in version "batch/v1beta1"`'
    )
    assert found.evidence == (
        "release vantiq revision 2 chart vantiq-1.2.0: CronJob mongobackup (vantiq/templates/cronjob.yaml) "
        "apiVersion batch/v1beta1: removed in 1.25, use batch/v1",
        "release vantiq revision 2 chart vantiq-1.2.0: PodDisruptionBudget vantiq (vantiq/templates/poddisruptionbudget.yaml) "
        "apiVersion policy/v1beta1: removed in 1.25, use policy/v1",
    )
    assert found.fix[1:] == (
        "helm mapkubeapis vantiq -n prod --dry-run",
        "helm mapkubeapis vantiq -n prod",
    )
    assert found.advice == (
        "mapkubeapis rewrites the stored release to the replacement APIs; then migrate the chart templates of "
        "vantiq-1.2.0 and redeploy: CronJob batch/v1beta1 -> batch/v1; PodDisruptionBudget policy/v1beta1 -> policy/v1.",
    )


def test_an_old_revision_on_a_removed_api_is_no_finding() -> None:
    releases = read_releases(_history(("superseded", REMOVED), ("deployed", CURRENT)), [])
    assert removed_apis(releases.current(), ON_129) == []


def test_removal_in_the_next_minor_is_a_warning() -> None:
    releases = read_releases(_history(("deployed", APF), name="apf"), [])
    [found] = removed_apis(releases.current(), Judge(Version.parse("1.31")))
    assert found.severity == "warning"
    assert found.diagnosis.startswith(
        "Helm release prod/apf (revision 1, chart apf-1.1.0) renders 1 object(s) whose API is removed in "
        "Kubernetes 1.32, the next minor: after that upgrade the next deploy ends in `UPGRADE FAILED:"
    )
    assert removed_apis(releases.current(), ON_129) == []


def test_target_version_says_what_would_break() -> None:
    releases = read_releases(_history(("deployed", APF), name="apf"), [])
    [critical] = removed_apis(releases.current(), Judge(Version.parse("1.32"), target=True))
    assert critical.severity == "critical"
    assert critical.diagnosis.startswith(
        "Helm release prod/apf (revision 1, chart apf-1.1.0) would break on Kubernetes 1.32: it renders 1 object(s) "
        "that 1.32 no longer serves; the first deploy after the upgrade ends in `UPGRADE FAILED:"
    )
    [warning] = removed_apis(releases.current(), Judge(Version.parse("1.31"), target=True))
    assert warning.severity == "warning"
    assert "would break on Kubernetes 1.32" in warning.diagnosis


def test_live_discovery_overrides_the_table() -> None:
    """A built-in group/version the server does not serve is gone, whatever the table says (--runtime-config)."""
    releases = read_releases(_history(("deployed", REMOVED)), [])
    served = frozenset({"v1", "apps/v1", "batch/v1", "policy/v1"})
    [found] = removed_apis(releases.current(), Judge(Version.parse("1.24"), served=served))
    assert found.severity == "critical"
    assert "2 object(s) whose API Kubernetes 1.24 no longer serves" in found.diagnosis
    # without discovery, 1.24 still serves them: they go in 1.25, the next minor
    [warning] = removed_apis(releases.current(), Judge(Version.parse("1.24")))
    assert warning.severity == "warning"


def test_configmap_driver_and_uninstalled_releases() -> None:
    cms = [
        _configmap(
            _release(
                "influxdb",
                1,
                "deployed",
                [("policy/v1beta1", "PodDisruptionBudget", "influxdb")],
                ns="shared",
            )
        )
    ]
    gone = [_secret(_release("old", 1, "uninstalled", REMOVED))]
    releases = read_releases(gone, cms)
    assert [r.name for r in releases.current()] == ["influxdb"]
    [found] = removed_apis(releases.current(), ON_129)
    assert found.diagnosis.startswith(
        "Helm release shared/influxdb (revision 1, chart influxdb-1.1.0) renders 1 object(s)"
    )


def test_undecodable_storage_objects_are_facts_not_findings() -> None:
    broken = helm.release_secret(_release("vantiq", 3, "deployed", CURRENT))
    broken["data"]["release"] = base64.b64encode(b"not helm at all").decode()
    history = [*_history(("superseded", CURRENT), ("deployed", REMOVED)), redact.sanitize_secret(broken)[0]]
    releases = read_releases(history, [])
    # the newest revision cannot be read: the release is not judged on an older one
    assert releases.current() == []
    [note] = releases.notes()
    assert note.startswith(
        "Helm storage object sh.helm.release.v1.vantiq.v3 could not be decoded (release payload is not"
    )
    assert note.endswith("release vantiq is not judged: its newest revision cannot be read")


def test_an_unreadable_older_revision_leaves_the_newest_judged() -> None:
    broken = helm.release_secret(_release("vantiq", 1, "superseded", CURRENT))
    broken["data"]["release"] = base64.b64encode(b"not helm at all").decode()
    releases = read_releases(
        [redact.sanitize_secret(broken)[0], *_history(("superseded", CURRENT), ("deployed", REMOVED))[1:]], []
    )
    assert [r.revision for r in releases.current()] == [2]
    assert releases.notes()[0].endswith("release vantiq is judged on revision 2, its newest")


def test_helm_storage_without_a_summary_is_undecodable() -> None:
    raw = {
        "metadata": {"name": "sh.helm.release.v1.x.v1", "labels": {"owner": "helm"}},
        "type": helm.SECRET_TYPE,
        "data": {},
    }
    releases = read_releases([raw, {"metadata": {"name": "app-secret"}, "type": "Opaque"}], [])
    assert releases.undecodable == {"sh.helm.release.v1.x.v1": "no readable data.release"}


# -- HM002 ----------------------------------------------------------------------------
def test_pending_upgrade_names_the_rollback_target() -> None:
    history = _history(("superseded", CURRENT), ("deployed", CURRENT), ("pending-upgrade", CURRENT))
    [found] = stuck_releases(read_releases(history, []))
    assert found.diagnosis == (
        "Helm release prod/vantiq is stuck in pending-upgrade at revision 3: unless a deploy is running right now, "
        "the next one ends in `UPGRADE FAILED: another operation (install/upgrade/rollback) is in progress`"
    )
    assert found.fix == (
        "helm history vantiq -n prod",
        "helm rollback vantiq 2 -n prod",
        "kubectl get secret sh.helm.release.v1.vantiq.v3 -n prod --show-labels",
    )
    assert "last good revision: 2 (deployed, chart vantiq-1.2.0)" in found.evidence


def test_failed_release_quotes_its_description() -> None:
    history = [
        *_history(("superseded", CURRENT), ("superseded", CURRENT)),
        _secret(
            _release(
                "vantiq",
                3,
                "failed",
                CURRENT,
                description='Upgrade "vantiq" failed: timed out waiting for the condition',
            )
        ),
    ]
    [found] = stuck_releases(read_releases(history, []))
    assert found.diagnosis == (
        'Helm release prod/vantiq failed at revision 3: Upgrade "vantiq" failed: timed out waiting for the condition'
    )
    assert "helm rollback vantiq 2 -n prod" in found.fix


def test_pending_install_has_nothing_to_roll_back_to() -> None:
    [found] = stuck_releases(read_releases(_history(("pending-install", CURRENT)), []))
    assert "no revision was ever deployed" in found.evidence
    assert found.fix[1] == "helm uninstall vantiq -n prod"
    assert "nothing to roll back to" in found.advice[0]


@pytest.mark.parametrize("status", ["deployed", "superseded", "uninstalled"])
def test_settled_releases_are_fine(status: str) -> None:
    assert stuck_releases(read_releases(_history(("superseded", CURRENT), (status, CURRENT)), [])) == []


def test_an_older_failed_revision_is_history() -> None:
    assert stuck_releases(read_releases(_history(("failed", CURRENT), ("deployed", CURRENT)), [])) == []
