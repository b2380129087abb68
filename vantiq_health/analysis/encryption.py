"""ST003: encryption at rest per StorageClass, and where Keycloak's PostgreSQL lives (also ST002)."""

from __future__ import annotations

from vantiq_health.analysis.k8s import Obj, name, namespace
from vantiq_health.analysis.storage import UNKNOWN, by_name, claim_class, class_policy

# -- ST003 ----------------------------------------------------------------------
EBS = ("ebs.csi.aws.com", "kubernetes.io/aws-ebs")
AZURE = ("disk.csi.azure.com", "kubernetes.io/azure-disk", "file.csi.azure.com", "kubernetes.io/azure-file")
GCE = ("pd.csi.storage.gke.io", "kubernetes.io/gce-pd")
# provisioner -> (parameter naming a customer-managed key, text with that key, text without)
_AT_REST = {
    **dict.fromkeys(
        EBS, ("kmsKeyId", "encrypted (EBS, KMS key {})", "encrypted (EBS, the region's default KMS key)")
    ),
    **dict.fromkeys(
        AZURE,
        (
            "diskEncryptionSetID",
            "encrypted by the platform (customer-managed key, disk encryption set {})",
            "encrypted by the platform (Azure managed, SSE)",
        ),
    ),
    **dict.fromkeys(
        GCE,
        (
            "disk-encryption-kms-key",
            "encrypted by Google (customer-managed key {})",
            "encrypted by Google by default",
        ),
    ),
}


def class_encryption(sc: Obj) -> str:
    """Encryption at rest as a StorageClass requests it."""
    provisioner, params = str(sc.get("provisioner", "")), sc.get("parameters") or {}
    # The EBS CSI driver reads kmsKeyId only when encrypted is "true".
    if provisioner in EBS and str(params.get("encrypted", "")).lower() != "true":
        return (
            'not requested (EBS encrypted is not "true"): encrypted only if the account encrypts EBS '
            "by default (aws ec2 get-ebs-encryption-by-default)"
        )
    if provisioner not in _AT_REST:
        return UNKNOWN
    key, with_key, default = _AT_REST[provisioner]
    return with_key.format(params[key]) if params.get(key) else default


def encryption_table(pvcs: list[Obj], classes: list[Obj]) -> list[str]:
    """ST003: one row per StorageClass the claims use."""
    used: dict[str, list[str]] = {}
    for pvc in sorted(pvcs, key=lambda c: (namespace(c), name(c))):
        used.setdefault(claim_class(pvc, classes) or "", []).append(f"{namespace(pvc)}/{name(pvc)}")
    rows = ["StorageClass | provisioner | reclaimPolicy | encryption at rest | claims"]
    by_class = by_name(classes)
    for class_name, claims in sorted(used.items()):
        sc = by_class.get(class_name)
        if sc is None:
            label = class_name or "(none: static volumes)"
            rows.append(f"{label} | ? | ? | {UNKNOWN} (StorageClass not found) | {', '.join(claims)}")
            continue
        cells = (
            class_name,
            sc.get("provisioner", "?"),
            class_policy(sc),
            class_encryption(sc),
            ", ".join(claims),
        )
        rows.append(" | ".join(str(c) for c in cells))
    return rows


def postgres_encryption(host: str | None, home: str) -> str:
    """Encryption at rest of keycloak's PostgreSQL, from its host name."""
    if not host:
        return (
            f"PostgreSQL (keycloak DB_ADDR): {UNKNOWN} (DB_ADDR is not a literal value of the keycloak spec)"
        )
    what = f"PostgreSQL {host} (keycloak DB_ADDR): "
    if host.endswith(".postgres.database.azure.com"):
        return what + "Azure Database for PostgreSQL: encrypted by the platform"
    if host.endswith(".rds.amazonaws.com"):
        return what + (
            "RDS: encryption at rest depends on the instance setting, check with aws rds describe-db-instances "
            f"--db-instance-identifier {host.split('.')[0]} --query 'DBInstances[0].StorageEncrypted'"
        )
    service = in_cluster_service(host, home)
    if service:
        return (
            what + f"in-cluster (Service {service[0]}/{service[1]}): as the StorageClass of its volume above"
        )
    return what + UNKNOWN


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
