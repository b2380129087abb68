"""Partial data: a check judges what it could read, names what it could not, never passes on the rest.

Live runs get a 403 or a 500 on single kinds; snapshots lack a kind or hold
cluster-scoped objects only.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import persistent_volume


def _mongodb_one_of_three(sc: Scenario) -> None:
    sc.find("StatefulSet", "prod", "mongodb")["status"].update(readyReplicas=1, availableReplicas=1)


def _without(sc: Scenario, kind: str) -> None:
    sc.objects[:] = [o for o in sc.objects if o["kind"] != kind]


def _assert_skipped_naming(run: SuiteRun, key: tuple[str, str | None], *fragments: str) -> None:
    assert run.outcomes()[key] == "skipped", run.output()
    message = run.message(*key)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_a_snapshot_without_deployments_still_judges_the_statefulsets(pytester: pytest.Pytester) -> None:
    sc = baseline()
    _mongodb_one_of_three(sc)
    _without(sc, "Deployment")
    run = run_snapshot(pytester, write_get_output(sc, pytester.path / "snap"))
    assert run.outcomes()[("WL004", "prod")] == "failed", run.output()
    message = run.message("WL004", "prod")
    assert "StatefulSet prod/mongodb has 1/3 replicas ready" in message
    assert "not seen: the snapshot holds no deployments" in message
    assert "kubectl get deployments" in message  # how to capture what is missing
    # nothing found in the rest, part unreadable: skipped naming it, not passed
    _assert_skipped_naming(run, ("WL004", "shared"), "deployments")
    _assert_skipped_naming(run, ("ST002", "prod"), "deployments")
    assert run.result.ret == 1


def test_a_list_that_fails_or_is_forbidden_is_never_taken_for_empty(pytester: pytest.Pytester) -> None:
    sc = baseline()
    _mongodb_one_of_three(sc)
    sc.remove("Secret", "prod", "dbbackup-creds")  # only CronJob mongobackup references it
    sc.failing = [("cronjobs", "prod"), ("daemonsets", "*")]
    sc.forbidden = [
        ("list", "deployments", "prod"),
        ("list", "persistentvolumes", None),
        ("list", "storageclasses", None),
    ]
    run = run_live(pytester, sc)
    assert run.outcomes()[("WL004", "prod")] == "failed", run.output()
    message = run.message("WL004", "prod")
    assert "StatefulSet prod/mongodb has 1/3 replicas ready" in message
    assert "needs: list deployments in prod" in message
    assert "list daemonsets in prod: HTTP 500" in message
    _assert_skipped_naming(run, ("WL004", "shared"), "list daemonsets in shared: HTTP 500")
    _assert_skipped_naming(run, ("SEC001", "prod"), "list cronjobs in prod: HTTP 500")
    _assert_skipped_naming(run, ("SEC002", "prod"), "list cronjobs in prod")
    _assert_skipped_naming(run, ("ST002", "prod"), "needs: list deployments in prod")
    assert run.outcomes()[("SEC001", "shared")] == "passed"  # its CronJobs answered
    # a database volume's reclaim policy comes from its PV or its StorageClass: neither could be read
    _assert_skipped_naming(
        run, ("ST002", "shared"), "needs: list persistentvolumes", "needs: list storageclasses"
    )
    assert run.result.ret == 1


def _pv_only_snapshot(root: Path) -> Path:
    sc = baseline()
    pvs = [
        persistent_volume(sc.clock, "pvc-released", ("default", "data-db-0"), phase="Released", zone="z-1"),
        persistent_volume(sc.clock, "pvc-bound", ("default", "data-db-1"), phase="Bound", zone="z-1"),
    ]
    root.mkdir()
    doc = {"apiVersion": "v1", "kind": "List", "items": pvs}
    (root / "persistentvolumes.json").write_text(json.dumps(doc))
    return root


def test_a_capture_of_cluster_scoped_objects_only_is_judged(pytester: pytest.Pytester) -> None:
    snap = _pv_only_snapshot(pytester.path / "pvs")
    run = run_snapshot(pytester, snap, namespaces=("default",))
    assert "does not exist" not in run.output()
    assert run.outcomes()[("ST001", "default")] == "warning", run.output()
    assert "pvc-released" in run.message("ST001", "default")
    _assert_skipped_naming(run, ("WL001", "default"), "namespace default")
    _assert_skipped_naming(run, ("SEC001", "default"), "namespace default")
    assert not run.with_outcome("failed", "error"), run.output()


def test_checks_are_parametrized_by_their_catalog_scope(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    nodeids = {r["id"]: [] for r in run.records}
    for r in run.records:
        nodeids[r["id"]].append(r["nodeid"].rsplit("::", 1)[1])
    assert sorted(nodeids["WL001"]) == [
        "test_no_pod_is_crash_looping_or_failing[prod]",
        "test_no_pod_is_crash_looping_or_failing[shared]",
    ]
    assert nodeids["ST003"] == ["test_encryption_at_rest_is_known"]  # cluster scope: once, no namespace
