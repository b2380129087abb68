"""MT: the metrics pipeline — Grafana's data source, where it keeps its dashboards, telegraf's RBAC, volumes."""

import pytest

from vantiq_health.analysis.grafana_live import (
    api_dashboards,
    api_datasources,
    api_facts,
    review_denials,
    schema_findings,
)
from vantiq_health.analysis.k8s import Obj
from vantiq_health.analysis.metrics import (
    Dashboard,
    DataSource,
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
from vantiq_health.analysis.rbac import NEEDED, Account, service_account, telegraf_rbac
from vantiq_health.analysis.storage import StorageContext
from vantiq_health.config import Config
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.probes.hub import Probes
from vantiq_health.view import ClusterView, Unavailable

WORKLOADS = ("statefulsets", "deployments")


@check("MT001")
def test_influxdb_data_source_points_at_the_influxdb_service(
    cluster: ClusterView, namespace: str, settings: Config, probes: Probes
) -> None:
    sources, notes = _datasources(cluster, probes, namespace)
    if not sources:
        pytest.skip(
            f"cannot check: no InfluxDB data source is provisioned in a ConfigMap of {namespace}, "
            f"and Grafana's API was not read ({'; '.join(notes)})"
        )
    seen = gather(cluster, namespace, "services", *WORKLOADS)
    services = {s["metadata"]["name"] for s in seen["services"]}
    auth = influx_wants_auth(seen.of(*WORKLOADS), settings.name(namespace, "influxdb"))
    found = datasource_findings(sources, services, namespace, auth, settings.name(namespace, "grafana"))
    facts = notes + [f"{ds.source}: {ds.name} -> {ds.url}" for ds in sources]
    expect(found, namespace, facts, unseen=seen.reasons())


def _datasources(cluster: ClusterView, probes: Probes, ns: str) -> tuple[list[DataSource], list[str]]:
    """Grafana's data sources from its API when live (what Grafana uses), else the provisioning ConfigMaps."""
    try:
        result = probes.grafana(ns)
    except Unavailable as exc:
        return provisioned_datasources(cluster.objects("configmaps", ns)), [f"Grafana API: {exc}"]
    if result.ok:
        return api_datasources(result), api_facts(result)
    return provisioned_datasources(cluster.objects("configmaps", ns)), [
        f"Grafana API not read: {result.describe()}"
    ]


@check("MT002")
def test_grafana_stores_dashboards_in_mysql(
    cluster: ClusterView, namespace: str, settings: Config, probes: Probes
) -> None:
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
    grafanadb = settings.name(namespace, "grafanadb")
    found = (
        dashboards_not_in_mysql(db, services, namespace, grafana, f"{grafanadb}:3306")
        if seen.seen("services") or db.type != "mysql"
        else []
    )
    facts = [f"{db.source}: type {db.type}"]
    if not found and db.type == "mysql":
        try:
            probe = probes.grafanadb(namespace)
        except Unavailable as exc:
            facts.append(f"MySQL schema not read: {exc}")
        else:
            found = schema_findings(probe, namespace, grafana, grafanadb)
            facts.append(f"{probe.result.describe()}; tables: {len(probe.result.data.get('tables') or [])}")
    expect(found, namespace, facts, unseen=seen.reasons())


@check("MT005")
def test_telegraf_may_watch_pods_and_nodes(
    cluster: ClusterView, namespace: str, settings: Config, probes: Probes
) -> None:
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
    facts = [f"ServiceAccount {a.namespace}/{a.name}" for a in accounts]
    try:  # the API server's own answer (SubjectAccessReviews), live or as a snapshot saved it
        reviewed = review_denials(probes.access_review, accounts, NEEDED)
        roles, unseen = None, []
        facts.append(f"SubjectAccessReviews: {len(accounts) * len(NEEDED)} asked")
    except Unavailable as exc:  # else the recorded ClusterRoles and bindings, as the authorizer reads them
        reviewed, rbac = None, gather(cluster, None, "clusterroles", "clusterrolebindings")
        unseen = rbac.reasons()
        roles = None if unseen else (rbac["clusterroles"], rbac["clusterrolebindings"])
        facts.append(f"SubjectAccessReviews not asked: {exc}")
    logs = _telegraf_logs(cluster, namespace, [w["metadata"]["name"] for w in present.values()], unseen)
    restart = [f"{kind}/{w['metadata']['name']}" for kind, w in present.items()]
    local = _namespace_roles(cluster, namespace)
    found = telegraf_rbac(namespace, accounts, roles, logs, restart, reviewed=reviewed, local=local)
    judged = reviewed is not None or roles is not None
    expect(found, namespace, facts, unseen=[] if judged else unseen)


def _namespace_roles(cluster: ClusterView, ns: str) -> tuple[list[Obj], list[Obj], list[Obj]]:
    """Roles and RoleBindings of telegraf's namespace: they only name a grant that stops at it, never a verdict."""
    found: list[list[Obj]] = []
    for resource, where in (("roles", ns), ("rolebindings", ns), ("clusterroles", None)):
        try:
            found.append(cluster.objects(resource, where))
        except Unavailable:  # a snapshot without Roles (none exist) still has its RoleBindings
            found.append([])
    return found[0], found[1], found[2]


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
def test_dashboards_match_the_container_runtime(cluster: ClusterView, namespace: str, probes: Probes) -> None:
    dashboards, notes = _dashboards(cluster, probes, namespace)
    if not dashboards:
        pytest.skip(
            f"cannot check: no Grafana dashboard is provisioned in a ConfigMap of {namespace}, "
            f"and Grafana's API was not read ({'; '.join(notes)})"
        )
    by_runtime = runtimes(cluster.objects("nodes"))
    facts = notes + [f"{rt}: {len(nodes)} node(s)" for rt, nodes in sorted(by_runtime.items())]
    facts += [f"{d.source}: {d.title}" for d in dashboards]
    expect(docker_era_dashboards(dashboards, by_runtime, namespace), namespace, facts)


def _dashboards(cluster: ClusterView, probes: Probes, ns: str) -> tuple[list[Dashboard], list[str]]:
    """Grafana's dashboards from its API when live (saved ones too), else the dashboard ConfigMaps."""
    try:
        result = probes.grafana(ns)
    except Unavailable as exc:
        return dashboards_in(cluster.objects("configmaps", ns)), [f"Grafana API: {exc}"]
    if not result.ok:
        return dashboards_in(cluster.objects("configmaps", ns)), [
            f"Grafana API not read: {result.describe()}"
        ]
    found, unread = api_dashboards(result)
    return found, api_facts(result) + [f"not read: {u}" for u in unread]


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
