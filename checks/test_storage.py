"""ST: volumes left Released, claims not Bound, database volumes deleted with their claim, encryption at rest."""

from datetime import datetime

from vantiq_health.analysis.encryption import (
    encryption_table,
    in_cluster_postgres,
    postgres_encryption,
)
from vantiq_health.analysis.keycloak import keycloak_db_host
from vantiq_health.analysis.storage import (
    StorageContext,
    database_claims,
    deleted_database_volumes,
    released_volumes,
    unbound_claims,
)
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.partial import Gathered, gather
from vantiq_health.plugin import check, expect
from vantiq_health.session import Run
from vantiq_health.view import ClusterView

DATABASES = ("mongodb", "influxdb", "grafanadb")
WORKLOADS = ("statefulsets", "deployments")
# which claims belong to which workload: without them a database claim is not known as one
OWNERS = (*WORKLOADS, "pods")


def _context(cluster: ClusterView, namespace: str, seen: Gathered) -> StorageContext:
    return StorageContext(
        namespace,
        pvs=seen["persistentvolumes"],
        pvcs=seen["persistentvolumeclaims"],
        workloads=seen.of(*WORKLOADS),
        pods=seen["pods"],
    )


def _keycloak_db_host(cluster: ClusterView, run: Run, settings: Config) -> str | None:
    ns = run.system_namespace
    seen = gather(cluster, ns, *OWNERS)
    return keycloak_db_host(seen.of(*WORKLOADS), seen["pods"], settings.name(ns, "keycloak"))


@check("ST001")
def test_no_volume_is_left_released(cluster: ClusterView, namespace: str, settings: Config) -> None:
    grafana, grafanadb = settings.name(namespace, "grafana"), settings.name(namespace, "grafanadb")
    partners = {grafana: grafanadb, grafanadb: grafana}  # must share a node, so a zone
    seen = gather(cluster, namespace, "persistentvolumes", "persistentvolumeclaims", *OWNERS)
    # the volumes alone tell what is Released; claims and owners only fill in the recovery commands
    facts = [msg("ST001.recovery_lacks", why=why) for why in seen.reasons()]
    expect(released_volumes(_context(cluster, namespace, seen), partners), namespace, facts)


@check("ST002")
def test_claims_are_bound_and_database_volumes_retained(
    cluster: ClusterView, run: Run, namespace: str, settings: Config, now: datetime
) -> None:
    seen = gather(cluster, namespace, "persistentvolumes", "persistentvolumeclaims", *OWNERS, "events")
    ctx = _context(cluster, namespace, seen)
    databases = [settings.name(namespace, role) for role in DATABASES]
    databases += in_cluster_postgres(
        _keycloak_db_host(cluster, run, settings), run.system_namespace, namespace
    )
    classes = gather(cluster, None, "storageclasses")
    deleted, facts = deleted_database_volumes(
        database_claims(ctx, databases), ctx.pvcs, ctx.pvs, classes["storageclasses"]
    )
    unbound = unbound_claims(ctx.pvcs, seen["events"], now, settings.threshold("pending_claim_minutes"))
    # a volume's policy comes from its PV or else its StorageClass: unseen only when neither was read
    policies = [*seen.reasons("persistentvolumes"), *classes.reasons()]
    unseen = seen.reasons(*OWNERS) + (policies if len(policies) == 2 else [])
    expect(unbound + deleted, namespace, facts, unseen=unseen)


@check("ST003")
def test_encryption_at_rest_is_known(cluster: ClusterView, run: Run, settings: Config) -> None:
    namespaces = [ns for ns in run.all_namespaces if ns not in run.absent]
    claims = [gather(cluster, ns, "persistentvolumeclaims") for ns in namespaces]
    pvcs = [pvc for seen in claims for pvc in seen["persistentvolumeclaims"]]
    unread = [why for seen in claims for why in seen.reasons()]
    table = encryption_table(pvcs, cluster.objects("storageclasses"))
    host = _keycloak_db_host(cluster, run, settings)
    facts = [
        *table,
        postgres_encryption(host, run.system_namespace),
        *(msg("common.not_seen", reason=u) for u in unread),
    ]
    # an info table: it only skips when no claim at all could be read
    expect([], None, facts=facts, unseen=unread if len(unread) == len(claims) else ())
