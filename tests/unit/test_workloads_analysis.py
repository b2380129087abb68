"""Tier 1: the WL analyses over recorded objects, with their exact messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from vantiq_health.analysis.workloads import (
    crashing_pods,
    probe_budget,
    probe_failures,
    stuck_init_containers,
    unready_workloads,
)

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 29, 12, 15, tzinfo=UTC)


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def test_crash_looping_keycloak_is_named_with_its_last_exit() -> None:
    [item] = crashing_pods([load("keycloak-crashloop-pod.json")], NOW, 5, 24)
    assert item.diagnosis == "pod shared/keycloak-0, container keycloak is crash-looping (CrashLoopBackOff)"
    assert item.evidence == (
        "CrashLoopBackOff: back-off 20s restarting failed container=keycloak pod=keycloak-0_shared(4b1c)",
        "restarts: 2",
        "last exit: Error (exit code 1) at 2026-11-29T12:13:02Z",
    )
    assert item.fix[0] == "kubectl logs -n shared keycloak-0 -c keycloak --previous"
    assert item.severity == "critical"


def test_a_failed_job_pod_is_left_to_the_backup_check() -> None:
    assert crashing_pods([load("mongobackup-error-pod.json")], NOW, 5, 24) == []


def test_old_restarts_are_not_a_finding_but_recent_ones_are() -> None:
    pod = load("grafana-not-ready-pod.json")
    pod["status"]["containerStatuses"][0]["restartCount"] = 9
    assert crashing_pods([pod], datetime(2026, 12, 5, tzinfo=UTC), 5, 24) == []
    [item] = crashing_pods([pod], NOW, 5, 24)
    assert (
        item.diagnosis
        == "pod shared/grafana-7fcf76474b-wxhqf, container grafana has restarted 9 times (limit 5), the last 14m35s ago"
    )


def test_probe_budget_uses_kubernetes_defaults() -> None:
    assert probe_budget({}) == 30
    assert probe_budget({"initialDelaySeconds": 30, "failureThreshold": 6, "periodSeconds": 10}) == 90


def test_readiness_failures_of_a_pod_that_never_gets_ready() -> None:
    pod, events = load("grafana-not-ready-pod.json"), load("grafana-readiness-events.json")["items"]
    [item] = probe_failures([pod], events, NOW)
    assert (
        item.diagnosis
        == "pod shared/grafana-7fcf76474b-wxhqf container grafana: readiness probe fails and the container is not ready"
    )
    assert (
        item.evidence[1]
        == "readiness probe budget: initialDelaySeconds 0 + failureThreshold 3 × periodSeconds 10 = 30 s"
    )
    assert item.evidence[2] == "the container has run without becoming ready: 870 s"
    assert item.fix[0].startswith(
        "kubectl edit deploy grafana -n shared  # container grafana: readinessProbe"
    )
    assert "node aks-keycloaknp-11492742-vmss000000 reaches pod IPs on other nodes" in item.fix[1]


def test_readiness_failures_during_a_start_that_succeeded_are_normal() -> None:
    pod, events = load("grafana-not-ready-pod.json"), load("grafana-readiness-events.json")["items"]
    pod["status"]["containerStatuses"][0]["ready"] = True
    assert probe_failures([pod], events, NOW) == []


def test_stuck_init_container_shows_its_log_and_the_pointer() -> None:
    pod = load("keycloak-crashloop-pod.json")
    pod["metadata"].update(name="mongodb-2", namespace="prod")
    pod["status"]["initContainerStatuses"] = [
        {
            "name": "bootstrap",
            "ready": False,
            "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-29T12:00:00Z"}},
        }
    ]
    logs = {"bootstrap": ["lookup mongodb: i/o timeout"]}
    [item] = stuck_init_containers([pod], NOW, 5, lambda p, c: logs[c], {"bootstrap": "see NET001"})
    assert item.diagnosis == "pod prod/mongodb-2: init container bootstrap is stuck running; see NET001"
    assert item.evidence == (
        "running since 2026-11-29T12:00:00+00:00 (15m0s ago; limit 5 min)",
        "log: lookup mongodb: i/o timeout",
    )
    assert stuck_init_containers([pod], NOW, 20, lambda p, c: logs[c], {}) == []


def test_required_workload_missing_and_replicas_short() -> None:
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "vantiq", "namespace": "prod"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "vantiq"}}},
        "status": {"readyReplicas": 2},
    }
    pod = {"metadata": {"name": "vantiq-2", "labels": {"app": "vantiq"}}, "status": {"phase": "Pending"}}
    found = unready_workloads([sts], [pod], {"vantiq": "vantiq", "mongodb": "mongodb"})
    assert [f.diagnosis for f in found] == [
        "no StatefulSet, Deployment or DaemonSet named mongodb (mongodb) in this namespace",
        "StatefulSet prod/vantiq has 2/3 replicas ready",
    ]
    assert found[1].evidence == ("pod vantiq-2: Pending",)


def test_scaled_to_zero_is_not_unready() -> None:
    deploy = {
        "kind": "Deployment",
        "metadata": {"name": "x", "namespace": "prod"},
        "spec": {"replicas": 0},
        "status": {},
    }
    assert unready_workloads([deploy], [], {}) == []


def test_evicted_pods_replaced_by_their_controller_are_not_crashing() -> None:
    pod = load("grafana-not-ready-pod.json")
    pod["status"].update(phase="Failed", reason="Evicted", message="The node was low on resource: memory.")
    pod["status"]["containerStatuses"][0]["state"] = {"terminated": {"reason": "Error", "exitCode": 137}}
    assert crashing_pods([pod], NOW, 5, 24) == []


def test_a_pod_still_within_its_readiness_budget_is_just_starting() -> None:
    pod, events = load("grafana-not-ready-pod.json"), load("grafana-readiness-events.json")["items"]
    pod["status"]["containerStatuses"][0].update(restartCount=0, lastState={})
    pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"] = "2026-11-29T12:14:40Z"
    assert probe_failures([pod], events, NOW) == []
