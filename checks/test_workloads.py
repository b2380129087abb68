"""WL: pods that crash, probes that fail, init containers that hang, workloads short of replicas."""

from vantiq_health.analysis.workloads import (
    crashing_pods,
    probe_failures,
    stuck_init_containers,
    unready_workloads,
)
from vantiq_health.plugin import check, expect
from vantiq_health.view import Unavailable


@check("WL001")
def test_no_pod_is_crash_looping_or_failing(cluster, namespace, settings, now):
    pods = cluster.objects("pods", namespace)
    limit, window = settings.threshold("restart_count"), settings.threshold("restart_window_hours")
    expect(crashing_pods(pods, now, limit, window), namespace)


@check("WL002")
def test_probes_do_not_fail(cluster, namespace, now):
    pods, events = cluster.objects("pods", namespace), cluster.objects("events", namespace)
    expect(probe_failures(pods, events, now), namespace)


@check("WL003")
def test_no_init_container_is_stuck(cluster, namespace, settings, now):
    def last_lines(pod, container):
        try:
            return cluster.logs(namespace, pod["metadata"]["name"], container, tail=10)
        except Unavailable as exc:
            return [f"(no log: {exc})"]

    roles = {settings.name(namespace, role): role for role in ("bootstrap", "keycloak_init")}
    pods = cluster.objects("pods", namespace)
    limit = settings.threshold("init_container_minutes")
    expect(stuck_init_containers(pods, now, limit, last_lines, roles), namespace)


@check("WL004")
def test_workloads_have_their_replicas_ready(cluster, run, namespace, settings):
    workloads = cluster.objects("statefulsets", namespace) + cluster.objects("deployments", namespace)
    workloads += cluster.objects("daemonsets", namespace, required=False)
    roles = settings.expect[
        "system_workloads" if namespace == run.system_namespace else "installation_workloads"
    ]
    required = {role: settings.name(namespace, role) for role in roles}
    expect(unready_workloads(workloads, cluster.objects("pods", namespace), required), namespace)
