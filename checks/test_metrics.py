"""MT: the metrics pipeline — Grafana's data source, where it keeps its dashboards, where its volumes live."""

import pytest

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
from vantiq_health.plugin import check, expect
from vantiq_health.view import Unavailable


@check("MT001")
def test_influxdb_data_source_points_at_the_influxdb_service(cluster, system_namespace, settings):
    ns = system_namespace
    sources = provisioned_datasources(cluster.objects("configmaps", ns))
    if not sources:
        pytest.skip(
            f"cannot check: no InfluxDB data source is provisioned in a ConfigMap of {ns}; "
            "data sources added in Grafana's UI live in its database (the Grafana API, a live probe)"
        )
    services = {s["metadata"]["name"] for s in cluster.objects("services", ns)}
    workloads = cluster.objects("statefulsets", ns) + cluster.objects("deployments", ns)
    auth = influx_wants_auth(workloads, settings.name(ns, "influxdb"))
    found = datasource_findings(sources, services, ns, auth, settings.name(ns, "grafana"))
    expect(found, ns, [f"{ds.source}: {ds.name} -> {ds.url}" for ds in sources])


@check("MT002")
def test_grafana_stores_dashboards_in_mysql(cluster, system_namespace, settings):
    ns = system_namespace
    grafana = settings.name(ns, "grafana")
    workload = cluster.get("deployments", ns, grafana)
    configmap = cluster.get("configmaps", ns, grafana)
    if workload is None and configmap is None:
        pytest.skip(f"cannot check: Grafana is not installed in {ns} (no Deployment or ConfigMap {grafana})")
    db = grafana_database(configmap, workload, grafana)
    services = {s["metadata"]["name"] for s in cluster.objects("services", ns)}
    expected = f"{settings.name(ns, 'grafanadb')}:3306"
    expect(dashboards_not_in_mysql(db, services, ns, grafana, expected), ns, [f"{db.source}: type {db.type}"])


@check("MT007")
def test_dashboards_match_the_container_runtime(cluster, system_namespace):
    ns = system_namespace
    dashboards = dashboards_in(cluster.objects("configmaps", ns))
    if not dashboards:
        pytest.skip(
            f"cannot check: no Grafana dashboard is provisioned in a ConfigMap of {ns}; "
            "dashboards saved in Grafana live in its database (the Grafana API, a live probe)"
        )
    by_runtime = runtimes(cluster.objects("nodes"))
    facts = [f"{rt}: {len(nodes)} node(s)" for rt, nodes in sorted(by_runtime.items())]
    facts += [f"{d.source}: {d.title}" for d in dashboards]
    expect(docker_era_dashboards(dashboards, by_runtime, ns), ns, facts)


@check("MT009")
def test_grafana_and_its_database_volumes_share_a_zone(cluster, system_namespace, settings):
    ns = system_namespace
    ctx = StorageContext(
        ns,
        pvs=cluster.objects("persistentvolumes"),
        pvcs=cluster.objects("persistentvolumeclaims", ns),
        workloads=cluster.objects("deployments", ns) + cluster.objects("statefulsets", ns),
        pods=cluster.objects("pods", ns),
    )
    found, facts = volumes_in_different_zones(
        ctx, settings.name(ns, "grafana"), settings.name(ns, "grafanadb")
    )
    expect(found, ns, facts)


@check("MT005")
def test_telegraf_may_watch_pods_and_nodes(cluster, system_namespace, settings):
    ns = system_namespace
    workloads = {
        "daemonset": cluster.get("daemonsets", ns, settings.name(ns, "telegraf_ds")),
        "deployment": cluster.get("deployments", ns, settings.name(ns, "telegraf_prom")),
    }
    present = {kind: w for kind, w in workloads.items() if w is not None}
    if not present:
        pytest.skip(
            f"cannot check: telegraf is not installed in {ns} (no telegraf-ds DaemonSet or telegraf-prom Deployment)"
        )
    accounts = sorted({Account(ns, service_account(w)) for w in present.values()}, key=lambda a: a.name)
    unseen = []
    try:
        rbac = (cluster.objects("clusterroles"), cluster.objects("clusterrolebindings"))
    except Unavailable as exc:
        rbac, unseen = None, [f"ClusterRoles/ClusterRoleBindings not read: {exc}"]
    logs = _telegraf_logs(cluster, ns, [w["metadata"]["name"] for w in present.values()], unseen)
    found = telegraf_rbac(
        ns, accounts, rbac, logs, [f"{kind}/{w['metadata']['name']}" for kind, w in present.items()]
    )
    if not found and rbac is None:
        pytest.skip(f"cannot check: {'; '.join(unseen)}")
    expect(found, ns, [f"ServiceAccount {a.namespace}/{a.name}" for a in accounts] + unseen)


def _telegraf_logs(cluster, ns, names, unseen):
    logs = {}
    for pod in cluster.objects("pods", ns):
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
