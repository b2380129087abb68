"""MT: the metrics pipeline — Grafana's data source, where it keeps its dashboards, telegraf's RBAC, volumes."""

from typing import Any

import pytest

from vantiq_health.analysis import influx
from vantiq_health.analysis.k8s import Obj
from vantiq_health.analysis.metrics import (
    dashboards_in,
    dashboards_not_in_mysql,
    datasource_findings,
    docker_era_dashboards,
    grafana_database,
    influx_wants_auth,
    provisioned_datasources,
    runtimes,
    volumes_in_different_zones,
)
from vantiq_health.analysis.rbac import Account, service_account, telegraf_rbac
from vantiq_health.analysis.storage import StorageContext
from vantiq_health.analysis.telegraf import (
    TelegrafLog,
    collection_findings,
    disk_full_lines,
    node_addresses,
    unreachable,
)
from vantiq_health.config import Config
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.session import Run
from vantiq_health.view import ClusterView, Unavailable
from vantiq_health.view.node_reads import STATS_SUMMARY

WORKLOADS = ("statefulsets", "deployments")


@check("MT001")
def test_influxdb_data_source_points_at_the_influxdb_service(
    cluster: ClusterView, namespace: str, settings: Config
) -> None:
    sources = provisioned_datasources(cluster.objects("configmaps", namespace))
    if not sources:
        pytest.skip(
            f"cannot check: no InfluxDB data source is provisioned in a ConfigMap of {namespace}; "
            "data sources added in Grafana's UI live in its database (the Grafana API, a live probe)"
        )
    seen = gather(cluster, namespace, "services", *WORKLOADS)
    services = {s["metadata"]["name"] for s in seen["services"]}
    auth = influx_wants_auth(seen.of(*WORKLOADS), settings.name(namespace, "influxdb"))
    found = datasource_findings(sources, services, namespace, auth, settings.name(namespace, "grafana"))
    facts = [f"{ds.source}: {ds.name} -> {ds.url}" for ds in sources]
    expect(found, namespace, facts, unseen=seen.reasons())


@check("MT002")
def test_grafana_stores_dashboards_in_mysql(cluster: ClusterView, namespace: str, settings: Config) -> None:
    grafana = settings.name(namespace, "grafana")
    workload = cluster.get("deployments", namespace, grafana)
    configmap = cluster.get("configmaps", namespace, grafana)
    if workload is None and configmap is None:
        pytest.skip(
            f"cannot check: Grafana is not installed in {namespace} (no Deployment or ConfigMap {grafana})"
        )
    db = grafana_database(configmap, workload, grafana)
    seen = gather(cluster, namespace, "services")
    services = {s["metadata"]["name"] for s in seen["services"]}
    expected = f"{settings.name(namespace, 'grafanadb')}:3306"
    found = (
        dashboards_not_in_mysql(db, services, namespace, grafana, expected)
        if seen.seen("services") or db.type != "mysql"
        else []
    )
    expect(found, namespace, [f"{db.source}: type {db.type}"], unseen=seen.reasons())


@check("MT005")
def test_telegraf_may_watch_pods_and_nodes(cluster: ClusterView, namespace: str, settings: Config) -> None:
    named = {
        "daemonset": cluster.get("daemonsets", namespace, settings.name(namespace, "telegraf_ds")),
        "deployment": cluster.get("deployments", namespace, settings.name(namespace, "telegraf_prom")),
    }
    present = {kind: w for kind, w in named.items() if w is not None}
    if not present:
        pytest.skip(
            f"cannot check: telegraf is not installed in {namespace} (no telegraf-ds or telegraf-prom)"
        )
    accounts = sorted(
        {Account(namespace, service_account(w)) for w in present.values()}, key=lambda a: a.name
    )
    rbac = gather(cluster, None, "clusterroles", "clusterrolebindings")
    unseen = rbac.reasons()
    logs = _telegraf_logs(cluster, namespace, [w["metadata"]["name"] for w in present.values()], unseen)
    restart = [f"{kind}/{w['metadata']['name']}" for kind, w in present.items()]
    roles = None if rbac.reasons() else (rbac["clusterroles"], rbac["clusterrolebindings"])
    found = telegraf_rbac(namespace, accounts, roles, logs, restart)
    facts = [f"ServiceAccount {a.namespace}/{a.name}" for a in accounts]
    expect(found, namespace, facts, unseen=unseen if roles is None else [])


def _telegraf_logs(
    cluster: ClusterView, ns: str, names: list[str], unseen: list[str]
) -> dict[str, list[str]]:
    logs: dict[str, list[str]] = {}
    for pod in gather(cluster, ns, "pods")["pods"]:
        pod_name = pod["metadata"]["name"]
        if not any(pod_name.startswith(f"{n}-") for n in names):
            continue
        for container in (pod.get("spec") or {}).get("containers") or []:
            try:
                logs[f"{pod_name} [{container['name']}]"] = cluster.logs(
                    ns, pod_name, container["name"], tail=200
                )
            except Unavailable as exc:
                unseen.append(f"log of {pod_name}: {exc}")
    return logs


@check("MT007")
def test_dashboards_match_the_container_runtime(cluster: ClusterView, namespace: str) -> None:
    dashboards = dashboards_in(cluster.objects("configmaps", namespace))
    if not dashboards:
        pytest.skip(
            f"cannot check: no Grafana dashboard is provisioned in a ConfigMap of {namespace}; "
            "dashboards saved in Grafana live in its database (the Grafana API, a live probe)"
        )
    by_runtime = runtimes(cluster.objects("nodes"))
    facts = [f"{rt}: {len(nodes)} node(s)" for rt, nodes in sorted(by_runtime.items())]
    facts += [f"{d.source}: {d.title}" for d in dashboards]
    expect(docker_era_dashboards(dashboards, by_runtime, namespace), namespace, facts)


@check("MT009")
def test_grafana_and_its_database_volumes_share_a_zone(
    cluster: ClusterView, namespace: str, settings: Config
) -> None:
    seen = gather(cluster, namespace, *WORKLOADS, "pods")
    workloads: list[Obj] = seen.of(*WORKLOADS)
    ctx = StorageContext(
        namespace,
        pvs=cluster.objects("persistentvolumes"),
        pvcs=cluster.objects("persistentvolumeclaims", namespace),
        workloads=workloads,
        pods=seen["pods"],
    )
    found, facts = volumes_in_different_zones(
        ctx, settings.name(namespace, "grafana"), settings.name(namespace, "grafanadb")
    )
    expect(found, namespace, facts, unseen=seen.reasons())


# -- MT003, MT004, MT006, MT008: InfluxDB's metrics and volume, telegraf's targets --------------------
def _telegraf_pod_logs(
    cluster: ClusterView, settings: Config, ns: str, unseen: list[str]
) -> tuple[list[TelegrafLog], int]:
    """The recent logs of the telegraf-ds and telegraf-prom pods, and how many such pods there are."""
    prefixes = tuple(f"{settings.name(ns, role)}-" for role in ("telegraf_ds", "telegraf_prom"))
    tail = int(settings.threshold("log_tail_lines"))
    pods = [p for p in cluster.objects("pods", ns) if p["metadata"]["name"].startswith(prefixes)]
    logs = []
    for pod in pods:
        pod_name, spec = pod["metadata"]["name"], pod.get("spec") or {}
        for container in spec.get("containers") or []:
            try:
                lines = cluster.logs(ns, pod_name, container["name"], tail=tail)
            except Unavailable as exc:
                unseen.append(f"log of {pod_name} [{container['name']}]: {exc}")
                continue
            logs.append(TelegrafLog(pod_name, str(spec.get("nodeName") or ""), tuple(lines)))
    return logs, len(pods)


@check("MT003")
@pytest.mark.live
def test_influxdb_receives_cluster_metrics(
    probes: Any, cluster: ClusterView, settings: Config, namespace: str
) -> None:
    probe = probes.influxdb(namespace)
    failed = influx.login_findings(probe, namespace, settings.name(namespace, "influxdb"))
    nodes = gather(cluster, None, "nodes")
    wanted = influx.expected_series(
        runtimes(nodes["nodes"]),
        settings.name(namespace, "telegraf_ds"),
        settings.name(namespace, "telegraf_prom"),
    )
    window = int(settings.threshold("influxdb_window_minutes"))
    found, facts = (
        influx.metrics_findings(probe.result, wanted, namespace, window) if not failed else (failed, [])
    )
    expect(found, namespace, facts, unseen=[f"container runtime: {r}" for r in nodes.reasons()])


@check("MT008")
@pytest.mark.live
def test_organization_metrics_exist(probes: Any, settings: Config, run: Run, namespace: str) -> None:
    result = probes.influxdb(namespace).result
    influx.require_login(result)
    collectors = [(ns, settings.name(ns, "metrics_collector")) for ns in run.namespaces]
    window = int(settings.threshold("influxdb_window_minutes"))
    found, facts = influx.org_metrics_findings(result, window, collectors)
    expect(found, namespace, facts)


@check("MT004")
def test_influxdb_has_free_space(cluster: ClusterView, settings: Config, namespace: str) -> None:
    claims = influx.influx_claims(cluster.objects("pods", namespace), settings.name(namespace, "influxdb"))
    unseen: list[str] = []
    logs, _ = _telegraf_pod_logs(cluster, settings, namespace, unseen)
    if not claims and not logs:
        pytest.skip(f"cannot check: no InfluxDB pod with a claim and no telegraf log in {namespace}")
    usages = []
    for node in sorted({node for _, node in claims.values()}):
        try:
            usages += influx.volume_usage(cluster.node_proxy(node, STATS_SUMMARY), namespace, set(claims))
        except Unavailable as exc:
            unseen.append(f"volume usage of node {node}: {exc}")
    pvcs = gather(cluster, namespace, "persistentvolumeclaims")
    found = influx.space_findings(
        usages,
        disk_full_lines(logs),
        influx.claim_info(pvcs["persistentvolumeclaims"], set(claims)),
        namespace,
        settings.threshold("influxdb_free_warning_percent"),
        settings.threshold("influxdb_free_critical_percent"),
    )
    facts = [u.describe() for u in usages] + [f"{len(logs)} telegraf log(s) free of disk-full lines"]
    expect(found, namespace, facts, unseen=unseen + pvcs.reasons())


@check("MT006")
def test_telegraf_collects_from_every_target(
    cluster: ClusterView, settings: Config, run: Run, namespace: str
) -> None:
    unseen: list[str] = []
    logs, count = _telegraf_pod_logs(cluster, settings, namespace, unseen)
    if not count:
        pytest.skip(
            f"cannot check: telegraf is not installed in {namespace} (no telegraf-ds or telegraf-prom pod)"
        )
    namespaces = sorted({*run.namespaces, namespace})
    seen = [gather(cluster, ns, "pods") for ns in namespaces]
    nodes = gather(cluster, None, "nodes")
    targets = unreachable(
        logs,
        [p for s in seen for p in s["pods"]],
        node_addresses(nodes["nodes"]),
        tuple(settings.name(ns, "mongodb") for ns in namespaces),
    )
    facts = [f"{len(logs)} telegraf log(s) read"]
    reasons = [r for s in (*seen, nodes) for r in s.reasons()]
    expect(collection_findings(targets, namespace), namespace, facts, unseen=unseen + reasons)
