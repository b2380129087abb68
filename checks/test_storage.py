"""ST: volumes left Released, claims not Bound, database volumes deleted with their claim, encryption at rest."""

from vantiq_health.analysis.encryption import (
    encryption_table,
    in_cluster_postgres,
    keycloak_db_host,
    postgres_encryption,
)
from vantiq_health.analysis.storage import (
    StorageContext,
    database_claims,
    deleted_database_volumes,
    released_volumes,
    unbound_claims,
)
from vantiq_health.plugin import check, expect

DATABASES = ("mongodb", "influxdb", "grafanadb")


def _workloads(cluster, namespace):
    found = cluster.objects("statefulsets", namespace, required=False)
    return found + cluster.objects("deployments", namespace, required=False)


def _context(cluster, namespace, *, need_volumes):
    return StorageContext(
        namespace,
        pvs=cluster.objects("persistentvolumes", required=need_volumes),
        pvcs=cluster.objects("persistentvolumeclaims", namespace),
        workloads=_workloads(cluster, namespace),
        pods=cluster.objects("pods", namespace, required=False),
    )


def _keycloak_db_host(cluster, run, settings):
    ns = run.system_namespace
    pods = cluster.objects("pods", ns, required=False)
    return keycloak_db_host(_workloads(cluster, ns), pods, settings.name(ns, "keycloak"))


@check("ST001")
def test_no_volume_is_left_released(cluster, namespace, settings):
    grafana, grafanadb = settings.name(namespace, "grafana"), settings.name(namespace, "grafanadb")
    partners = {grafana: grafanadb, grafanadb: grafana}  # must share a node, so a zone
    expect(released_volumes(_context(cluster, namespace, need_volumes=True), partners), namespace)


@check("ST002")
def test_claims_are_bound_and_database_volumes_retained(cluster, run, namespace, settings, now):
    ctx = _context(cluster, namespace, need_volumes=False)
    databases = [settings.name(namespace, role) for role in DATABASES]
    databases += in_cluster_postgres(
        _keycloak_db_host(cluster, run, settings), run.system_namespace, namespace
    )
    classes = cluster.objects("storageclasses", required=False)
    deleted, facts = deleted_database_volumes(database_claims(ctx, databases), ctx.pvcs, ctx.pvs, classes)
    events = cluster.objects("events", namespace, required=False)
    unbound = unbound_claims(ctx.pvcs, events, now, settings.threshold("pending_claim_minutes"))
    expect(unbound + deleted, namespace, facts)


@check("ST003")
def test_encryption_at_rest_is_known(cluster, run, settings):
    namespaces = [ns for ns in run.all_namespaces if ns != run.system_namespace or run.system_present]
    pvcs = [pvc for ns in namespaces for pvc in cluster.objects("persistentvolumeclaims", ns)]
    table = encryption_table(pvcs, cluster.objects("storageclasses"))
    host = _keycloak_db_host(cluster, run, settings)
    expect([], None, facts=[*table, postgres_encryption(host, run.system_namespace)])
