"""ST003: encryption at rest per StorageClass, and where Keycloak's PostgreSQL lives (also ST002)."""

from __future__ import annotations

from vantiq_health.analysis.k8s import Obj, name, namespace
from vantiq_health.analysis.storage import by_name, claim_class, class_policy
from vantiq_health.i18n import msg

UNKNOWN = msg("ST003.unknown")

# -- ST003 ----------------------------------------------------------------------
EBS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")
AZURE = ("disk.csi.azure.com", "kubernetes.io/azure-disk", "file.csi.azure.com", "kubernetes.io/azure-file")
GCE = ("pd.csi.storage.gke.io", "kubernetes.io/gce-pd")
# provisioner -> (parameter naming a customer-managed key, message with that key, message without)
_AT_REST = {
    **dict.fromkeys(EBS, ("kmsKeyId", "ST003.ebs_key", "ST003.ebs_default")),
    **dict.fromkeys(
        AZURE,
        (
            "diskEncryptionSetID",
            "ST003.azure_key",
            "ST003.azure_default",
        ),
    ),
    **dict.fromkeys(
        GCE,
        (
            "disk-encryption-kms-key",
            "ST003.gce_key",
            "ST003.gce_default",
        ),
    ),
}


def class_encryption(sc: Obj) -> str:
    """Encryption at rest as a StorageClass requests it."""
    provisioner, params = str(sc.get("provisioner", "")), sc.get("parameters") or {}
    # The EBS CSI driver reads kmsKeyId only when encrypted is "true".
    if provisioner in EBS and str(params.get("encrypted", "")).lower() != "true":
        return msg("ST003.ebs_not_requested")
    if provisioner not in _AT_REST:
        return UNKNOWN
    key, with_key, default = _AT_REST[provisioner]
    return msg(with_key, key=params[key]) if params.get(key) else msg(default)


def encryption_table(pvcs: list[Obj], classes: list[Obj]) -> list[str]:
    """ST003: one row per StorageClass the claims use."""
    used: dict[str, list[str]] = {}
    for pvc in sorted(pvcs, key=lambda c: (namespace(c), name(c))):
        used.setdefault(claim_class(pvc, classes) or "", []).append(f"{namespace(pvc)}/{name(pvc)}")
    rows: list[str] = [msg("ST003.header")]
    by_class = by_name(classes)
    for class_name, claims in sorted(used.items()):
        sc = by_class.get(class_name)
        if sc is None:
            label = class_name or msg("ST003.static_volumes")
            rows.append(msg("ST003.class_not_found", label=label, unknown=UNKNOWN, claims=", ".join(claims)))
            continue
        cells = (
            class_name,
            sc.get("provisioner", "?"),
            class_policy(sc),
            class_encryption(sc),
            ", ".join(claims),
        )
        rows.append(msg("ST003.row", cells=cells))
    return rows


def postgres_encryption(host: str | None, home: str) -> str:
    """Encryption at rest of keycloak's PostgreSQL, from its host name."""
    if not host:
        return msg("ST003.pg_no_addr", unknown=UNKNOWN)
    if host.endswith(".postgres.database.azure.com"):
        return msg("ST003.pg_azure", host=host)
    if host.endswith(".rds.amazonaws.com"):
        return msg("ST003.pg_rds", host=host, instance=host.split(".")[0])
    service = in_cluster_service(host, home)
    if service:
        return msg("ST003.pg_in_cluster", host=host, service=f"{service[0]}/{service[1]}")
    return msg("ST003.pg_unknown", host=host, unknown=UNKNOWN)


def in_cluster_postgres(host: str | None, system_namespace: str, namespace: str) -> list[str]:
    """The Service name of keycloak's PostgreSQL when it runs in `namespace`, as a list (empty: managed)."""
    service = in_cluster_service(host, system_namespace) if host else None
    return [service[1]] if service and service[0] == namespace else []


def in_cluster_service(host: str, home: str) -> tuple[str, str] | None:
    """(namespace, service) when a DB host names a cluster Service ("pg", "pg.ns", "pg.ns.svc..."), else None."""
    short = host.removesuffix(".cluster.local").removesuffix(".svc")
    labels = short.split(".")
    if len(labels) > 2 or (short != host and len(labels) != 2):
        return None
    return (labels[1] if len(labels) == 2 else home), labels[0].removesuffix("-hl")
