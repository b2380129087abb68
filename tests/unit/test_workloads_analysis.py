"""Tier 1: the WL analyses over recorded objects, with their exact messages."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from vantiq_health.analysis.workloads import (
    crashing_pods,
    probe_budget,
    probe_failures,
    stuck_init_containers,
    unready_workloads,
)
from vantiq_health.catalog import entry
from vantiq_health.findings import Finding, Findings

DATA = Path(__file__).resolve().parents[1] / "data"
NOW = datetime(2026, 11, 29, 12, 15, tzinfo=UTC)


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def assert_pasteable(item: Finding) -> None:
    """Every fix line is a command that runs as pasted: no prose, no trailing comment."""
    for command in item.fix:
        assert command.startswith("kubectl "), command
        assert " # " not in command, command


def _events(message: str) -> list[dict]:
    events = load("grafana-readiness-events.json")["items"]
    for event in events:
        event["message"] = message
    return events


def test_a_probe_answered_with_http_5xx_means_read_the_log_not_raise_the_budget() -> None:
    pod = load("grafana-not-ready-pod.json")
    message = "Readiness probe failed: HTTP probe failed with statuscode: 503"
    [item] = probe_failures([pod], _events(message), NOW)
    assert item.fix == (
        "kubectl logs -n shared grafana-7fcf76474b-wxhqf -c grafana --tail=100",
        "kubectl describe pod -n shared grafana-7fcf76474b-wxhqf",
    )
    assert item.advice[0].startswith("The application answers its readiness probe with HTTP 503: it is up")
    assert "read" in item.advice[0] or "log" in item.advice[0]


def test_a_probe_that_times_out_gets_a_bigger_budget() -> None:
    pod = load("grafana-not-ready-pod.json")
    message = (
        'Readiness probe failed: Get "http://192.168.14.69:3000/api/health": context deadline exceeded '
        "(Client.Timeout exceeded while awaiting headers)"
    )
    [item] = probe_failures([pod], _events(message), NOW)
    assert item.fix[0].startswith("kubectl patch deploy grafana -n shared -p ")
    assert any(a.startswith("The probe times out (timeoutSeconds 1)") for a in item.advice)
    assert_pasteable(item)


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
    assert item.fix == (
        "kubectl patch deploy grafana -n shared -p "
        """'{"spec":{"template":{"spec":{"containers":[{"name":"grafana","readinessProbe":{"failureThreshold":90}}]}}}}'""",
        "kubectl describe pod -n shared grafana-7fcf76474b-wxhqf",
    )
    assert item.advice[0].startswith("The readinessProbe gives up after 30 s and the container took 870 s")
    assert "node aks-keycloaknp-11492742-vmss000000 reaches pod IPs on other nodes" in item.advice[1]
    assert_pasteable(item)


def test_readiness_failures_during_a_start_that_succeeded_are_normal() -> None:
    pod, events = load("grafana-not-ready-pod.json"), load("grafana-readiness-events.json")["items"]
    pod["status"]["containerStatuses"][0]["ready"] = True
    assert probe_failures([pod], events, NOW) == []


def _stuck(container: str = "bootstrap", pod_name: str = "mongodb-2") -> dict:
    pod = load("keycloak-crashloop-pod.json")
    pod["metadata"].update(name=pod_name, namespace="prod")
    pod["status"]["initContainerStatuses"] = [
        {
            "name": container,
            "ready": False,
            "restartCount": 0,
            "state": {"running": {"startedAt": "2026-11-29T12:00:00Z"}},
        }
    ]
    return pod


ROLES = {"bootstrap": "bootstrap", "keycloak-init": "keycloak_init"}


def test_stuck_bootstrap_gives_the_dns_remedies_of_the_notes_itself() -> None:
    lines = [
        "2022/08/08 08:47:33 Determined Domain to be vantiq-long-namespace.svc.cluster.local",
        "2022/08/08 08:47:43 lookup vantiq-long-namespace-mongodb on 10.0.0.10:53: no such host",
    ]
    [item] = stuck_init_containers([_stuck()], NOW, 5, lambda p, c: lines, ROLES)
    assert item.diagnosis == (
        "pod prod/mongodb-2: init container bootstrap is stuck running: the MongoDB peer finder cannot "
        "look up its peers in DNS (vantiq-long-namespace-mongodb on 10.0.0.10)"
    )
    assert item.evidence == (
        "running since 2026-11-29T12:00:00+00:00 (15m0s ago; limit 5 min)",
        f"log: {lines[0]}",
        f"log: {lines[1]}",
    )
    assert item.fix == (
        "kubectl logs -n prod mongodb-2 -c bootstrap --tail=50",
        "kubectl exec -n prod mongodb-2 -c bootstrap -- cat /etc/resolv.conf",
        "kubectl get svc -n kube-system -o wide | grep 10.0.0.10",
    )
    tcp, domain = item.advice
    assert "Allow TCP port 53 from the pods to the cluster DNS" in tcp
    assert "shorter namespace name" in tcp
    assert "cluster.local" in domain
    assert not any(re.search(r"\b(NET|KC)\d{3}\b", line) for line in (item.diagnosis, *item.advice))
    assert_pasteable(item)
    assert stuck_init_containers([_stuck()], NOW, 20, lambda p, c: lines, ROLES) == []


def test_a_rendered_finding_reads_diagnosis_evidence_commands_advice_why() -> None:
    found = Findings("WL003", "prod")
    found.extend(stuck_init_containers([_stuck()], NOW, 5, lambda p, c: ["lookup x on 10.0.0.10:53"], ROLES))
    lines = found.explain().splitlines()
    assert lines[1].startswith("1. [error] pod prod/mongodb-2: init container bootstrap is stuck running")
    assert lines[2:4] == [
        "   evidence: running since 2026-11-29T12:00:00+00:00 (15m0s ago; limit 5 min)",
        "   evidence: log: lookup x on 10.0.0.10:53",
    ]
    assert lines[4] == "   fix:"
    assert lines[5] == "kubectl logs -n prod mongodb-2 -c bootstrap --tail=50"  # column 0: pastes as it is
    assert lines[8].startswith("   advice: The peer finder looks up the MongoDB headless service")
    assert lines[10] == f"Why it matters: {entry('WL003').why}"
    assert entry("WL003").why.startswith("Until its init containers finish, a pod never starts")


def test_stuck_bootstrap_with_an_empty_log_points_at_the_cluster_domain_first() -> None:
    [item] = stuck_init_containers([_stuck()], NOW, 5, lambda p, c: [], ROLES)
    assert item.diagnosis.endswith("cannot build its peers' names (cluster domain not cluster.local?)")
    assert "log: (empty)" in item.evidence
    assert item.advice[0].startswith(
        "The peer finder builds its peers' names on the cluster domain cluster.local"
    )


def test_stuck_keycloak_init_refused_with_https_required_asks_for_private_ranges() -> None:
    pod = _stuck("keycloak-init", "vantiq-0")
    log = [
        "Logging into http://keycloak-http.shared.svc.cluster.local/auth",
        "HTTPS required [invalid request]",
    ]
    [item] = stuck_init_containers([pod], NOW, 5, lambda p, c: log, ROLES)
    assert item.diagnosis == (
        "pod prod/vantiq-0: init container keycloak-init is stuck running: "
        "Keycloak refuses it with `HTTPS required`"
    )
    assert "nodes and pods on private IP ranges" in item.advice[0]
    assert "kubectl get nodes -o wide" in item.fix
    assert_pasteable(item)


def test_an_unknown_stuck_init_container_says_to_read_its_log() -> None:
    [item] = stuck_init_containers([_stuck("wait-for-db")], NOW, 5, lambda p, c: ["waiting"], ROLES)
    assert item.fix == ("kubectl logs -n prod mongodb-2 -c wait-for-db --tail=50",)
    assert item.advice == ("Its log names what it waits on.",)


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
        "StatefulSet prod/vantiq has 2/3 replicas ready: pod vantiq-2 is Pending",
    ]
    assert found[1].evidence == ("pod vantiq-2: Pending",)
    assert found[0].fix == ()
    assert found[0].advice == (
        "Deploy the component, or set its name in vantiq-health.toml ([names] or [namespaces.NS]).",
    )


def test_short_replicas_name_the_stuck_init_container_not_other_checks() -> None:
    sts = {
        "kind": "StatefulSet",
        "metadata": {"name": "mongodb", "namespace": "prod"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "mongodb"}}},
        "status": {"readyReplicas": 2},
    }
    pod = _stuck()
    pod["metadata"]["labels"] = {"app": "mongodb"}
    [item] = unready_workloads([sts], [pod], {})
    assert item.diagnosis == (
        "StatefulSet prod/mongodb has 2/3 replicas ready: pod mongodb-2 is stuck in init container bootstrap"
    )
    assert item.fix == (
        "kubectl describe sts mongodb -n prod",
        "kubectl logs -n prod mongodb-2 -c bootstrap --tail=50",
    )
    assert "WL00" not in " ".join((item.diagnosis, *item.fix, *item.advice))


def test_short_replicas_name_a_crash_loop_and_an_unschedulable_pod() -> None:
    deploy = {
        "kind": "Deployment",
        "metadata": {"name": "keycloak", "namespace": "shared"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "keycloak"}}},
        "status": {"readyReplicas": 0},
    }
    crash = load("keycloak-crashloop-pod.json")
    crash["metadata"]["labels"] = {"app": "keycloak"}
    pending = {
        "metadata": {"name": "keycloak-1", "namespace": "shared", "labels": {"app": "keycloak"}},
        "status": {
            "phase": "Pending",
            "conditions": [{"type": "PodScheduled", "status": "False", "message": "0/3 nodes are available"}],
        },
    }
    [item] = unready_workloads([deploy], [crash, pending], {})
    assert item.diagnosis == (
        "Deployment shared/keycloak has 0/2 replicas ready: pod keycloak-0 container keycloak is crash-looping "
        "(CrashLoopBackOff); pod keycloak-1 cannot be scheduled: 0/3 nodes are available"
    )
    assert "kubectl logs -n shared keycloak-0 -c keycloak --previous" in item.fix


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
