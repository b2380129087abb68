"""MT: the metrics pipeline — Grafana's data source, where it keeps its dashboards, telegraf's RBAC, volumes."""

import pytest

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
from vantiq_health.config import Config
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.view import ClusterView, Unavailable

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
