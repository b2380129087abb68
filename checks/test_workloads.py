"""WL: pods that crash, probes that fail, init containers that hang, workloads short of replicas."""

from datetime import datetime
from typing import Any

from vantiq_health.analysis.workloads import (
    crashing_pods,
    probe_failures,
    stuck_init_containers,
    unready_workloads,
)
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.view import ClusterView, Unavailable

WORKLOAD_KINDS = ("statefulsets", "deployments", "daemonsets")


@check("WL001")
def test_no_pod_is_crash_looping_or_failing(
    cluster: ClusterView, namespace: str, settings: Config, now: datetime
) -> None:
    pods = cluster.objects("pods", namespace)
    limit, window = settings.threshold("restart_count"), settings.threshold("restart_window_hours")
    expect(crashing_pods(pods, now, limit, window), namespace)


@check("WL002")
def test_probes_do_not_fail(cluster: ClusterView, namespace: str, now: datetime) -> None:
    pods, events = cluster.objects("pods", namespace), cluster.objects("events", namespace)
    expect(probe_failures(pods, events, now), namespace)


@check("WL003")
def test_no_init_container_is_stuck(
    cluster: ClusterView, namespace: str, settings: Config, now: datetime
) -> None:
    def last_lines(pod: dict[str, Any], container: str) -> list[str]:
        try:
            return cluster.logs(namespace, pod["metadata"]["name"], container, tail=10)
        except Unavailable as exc:
            return [msg("WL003.no_log", why=str(exc))]

    roles = {settings.name(namespace, role): role for role in ("bootstrap", "keycloak_init")}
    pods = cluster.objects("pods", namespace)
    limit = settings.threshold("init_container_minutes")
    expect(stuck_init_containers(pods, now, limit, last_lines, roles), namespace)


@check("WL004")
def test_workloads_have_their_replicas_ready(
    cluster: ClusterView, namespace: str, settings: Config, namespace_role: str
) -> None:
    seen = gather(cluster, namespace, *WORKLOAD_KINDS)
    # a workload of a kind that could not be read is not missing: only judge presence on the whole list
    roles = [] if seen.unseen else settings.expect[f"{namespace_role}_workloads"]
    required = {role: settings.name(namespace, role) for role in roles}
    found = unready_workloads(seen.of(*WORKLOAD_KINDS), cluster.objects("pods", namespace), required)
    expect(found, namespace, unseen=seen.reasons())
