"""MT: the metrics pipeline — Grafana's data source, where it keeps its dashboards, telegraf's RBAC, volumes."""

from typing import Any

import pytest

from vantiq_health.analysis import influx
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
from vantiq_health.analysis.telegraf import (
    TelegrafLog,
    collection_findings,
    disk_full_lines,
    node_addresses,
    unreachable,
)
from vantiq_health.config import Config
from vantiq_health.i18n import msg, reason_of
from vantiq_health.partial import gather
from vantiq_health.plugin import cannot_check, check, expect
from vantiq_health.probes.hub import Probes
from vantiq_health.session import Run
from vantiq_health.view import ClusterView, Unavailable
from vantiq_health.view.node_reads import STATS_SUMMARY

WORKLOADS = ("statefulsets", "deployments")


@check("MT001")
def test_influxdb_data_source_points_at_the_influxdb_service(
    cluster: ClusterView, namespace: str, settings: Config, probes: Probes
) -> None:
    sources, notes = _datasources(cluster, probes, namespace)
    if not sources:
        pytest.skip(cannot_check(msg("MT001.skip_no_source", namespace=namespace, notes=notes)))
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
        return provisioned_datasources(cluster.objects("configmaps", ns)), [_api_unavailable(exc)]
    if result.ok:
        return api_datasources(result), api_facts(result)
    return provisioned_datasources(cluster.objects("configmaps", ns)), [
        msg("MT001.api_not_read", result=result.describe())
    ]


def _api_unavailable(exc: Unavailable) -> str:
    return msg("MT001.api_unavailable", reason=reason_of(exc))


@check("MT002")
def test_grafana_stores_dashboards_in_mysql(
    cluster: ClusterView, namespace: str, settings: Config, probes: Probes
) -> None:
    grafana = settings.name(namespace, "grafana")
    workload = cluster.get("deployments", namespace, grafana)
    configmap = cluster.get("configmaps", namespace, grafana)
    if workload is None and configmap is None:
        pytest.skip(cannot_check(msg("MT002.skip_not_installed", namespace=namespace, grafana=grafana)))
    db = grafana_database(configmap, workload, grafana)
    seen = gather(cluster, namespace, "services")
    services = {s["metadata"]["name"] for s in seen["services"]}
    grafanadb = settings.name(namespace, "grafanadb")
    found = (
        dashboards_not_in_mysql(db, services, namespace, grafana, f"{grafanadb}:3306")
        if seen.seen("services") or db.type != "mysql"
        else []
    )
    facts = [msg("MT002.type_is", source=db.source, type=db.type)]
    if not found and db.type == "mysql":
        try:
            probe = probes.grafanadb(namespace)
        except Unavailable as exc:
            facts.append(msg("MT002.schema_not_read", reason=reason_of(exc)))
        else:
            found = schema_findings(probe, namespace, grafana, grafanadb)
            tables = len(probe.result.data.get("tables") or [])
            facts.append(msg("MT002.schema_fact", result=probe.result.describe(), n=tables))
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
        pytest.skip(cannot_check(msg("MT005.skip_not_installed", namespace=namespace)))
    accounts = sorted(
        {Account(namespace, service_account(w)) for w in present.values()}, key=lambda a: a.name
    )
    facts = [f"ServiceAccount {a.namespace}/{a.name}" for a in accounts]
    try:  # the API server's own answer (SubjectAccessReviews), live or as a snapshot saved it
        reviewed = review_denials(probes.access_review, accounts, NEEDED)
        roles, unseen = None, []
        facts.append(msg("MT005.reviews_asked", n=len(accounts) * len(NEEDED)))
    except Unavailable as exc:  # else the recorded ClusterRoles and bindings, as the authorizer reads them
        reviewed, rbac = None, gather(cluster, None, "clusterroles", "clusterrolebindings")
        unseen = rbac.reasons()
        roles = None if unseen else (rbac["clusterroles"], rbac["clusterrolebindings"])
        facts.append(msg("MT005.reviews_not_asked", reason=reason_of(exc)))
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
                unseen.append(msg("MT005.log_not_read", pod=pod_name, reason=reason_of(exc)))
    return logs


@check("MT007")
def test_dashboards_match_the_container_runtime(cluster: ClusterView, namespace: str, probes: Probes) -> None:
    dashboards, notes = _dashboards(cluster, probes, namespace)
    if not dashboards:
        pytest.skip(cannot_check(msg("MT007.skip_no_dashboard", namespace=namespace, notes=notes)))
    by_runtime = runtimes(cluster.objects("nodes"))
    facts = notes + [msg("MT007.nodes", runtime=rt, n=len(nodes)) for rt, nodes in sorted(by_runtime.items())]
    facts += [f"{d.source}: {d.title}" for d in dashboards]
    expect(docker_era_dashboards(dashboards, by_runtime, namespace), namespace, facts)


def _dashboards(cluster: ClusterView, probes: Probes, ns: str) -> tuple[list[Dashboard], list[str]]:
    """Grafana's dashboards from its API when live (saved ones too), else the dashboard ConfigMaps."""
    try:
        result = probes.grafana(ns)
    except Unavailable as exc:
        return dashboards_in(cluster.objects("configmaps", ns)), [_api_unavailable(exc)]
    if not result.ok:
        return dashboards_in(cluster.objects("configmaps", ns)), [
            msg("MT001.api_not_read", result=result.describe())
        ]
    found, unread = api_dashboards(result)
    return found, api_facts(result) + [msg("MT007.not_read", what=u) for u in unread]


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
                reason = reason_of(exc)
                unseen.append(
                    msg("MT004.log_not_read", pod=pod_name, container=container["name"], reason=reason)
                )
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
    expect(found, namespace, facts, unseen=[msg("MT003.runtime_not_read", reason=r) for r in nodes.reasons()])


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
        pytest.skip(cannot_check(msg("MT004.skip_nothing", namespace=namespace)))
    usages = []
    for node in sorted({node for _, node in claims.values()}):
        try:
            usages += influx.volume_usage(cluster.node_proxy(node, STATS_SUMMARY), namespace, set(claims))
        except Unavailable as exc:
            unseen.append(msg("MT004.usage_not_read", node=node, reason=reason_of(exc)))
    pvcs = gather(cluster, namespace, "persistentvolumeclaims")
    found = influx.space_findings(
        usages,
        disk_full_lines(logs),
        influx.claim_info(pvcs["persistentvolumeclaims"], set(claims)),
        namespace,
        settings.threshold("influxdb_free_warning_percent"),
        settings.threshold("influxdb_free_critical_percent"),
    )
    facts = [u.describe() for u in usages] + [msg("MT004.logs_free", n=len(logs))]
    expect(found, namespace, facts, unseen=unseen + pvcs.reasons())


@check("MT006")
def test_telegraf_collects_from_every_target(
    cluster: ClusterView, settings: Config, run: Run, namespace: str
) -> None:
    unseen: list[str] = []
    logs, count = _telegraf_pod_logs(cluster, settings, namespace, unseen)
    if not count:
        pytest.skip(cannot_check(msg("MT006.skip_not_installed", namespace=namespace)))
    namespaces = sorted({*run.namespaces, namespace})
    seen = [gather(cluster, ns, "pods") for ns in namespaces]
    nodes = gather(cluster, None, "nodes")
    targets = unreachable(
        logs,
        [p for s in seen for p in s["pods"]],
        node_addresses(nodes["nodes"]),
        tuple(settings.name(ns, "mongodb") for ns in namespaces),
    )
    facts = [msg("MT006.logs_read", n=len(logs))]
    reasons = [r for s in (*seen, nodes) for r in s.reasons()]
    expect(collection_findings(targets, namespace), namespace, facts, unseen=unseen + reasons)
