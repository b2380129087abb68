"""ST001-ST003 over PersistentVolumes, claims, StorageClasses and workloads."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from vantiq_health.analysis.encryption import (
    class_encryption,
    encryption_table,
    in_cluster_postgres,
    in_cluster_service,
    postgres_encryption,
)
from vantiq_health.analysis.keycloak import keycloak_db_host
from vantiq_health.analysis.storage import (
    StorageContext,
    claim_class,
    claim_user,
    claims_of,
    database_claims,
    deleted_database_volumes,
    pv_zone,
    released_volumes,
    unbound_claims,
)
from vantiq_health.analysis.storage_fixes import claim_yaml
from vantiq_health.findings import Findings

Obj = dict[str, Any]
OLD, NEW = "pvc-ec37c469-782a-473f-a6f9-aaaaaaaaaaaa", "pvc-a6d5da12-7e3e-4a32-a5b3-bbbbbbbbbbbb"

NOW = datetime(2026, 11, 29, 12, 15, tzinfo=UTC)


def _pv(
    name: str,
    claim: str,
    *,
    ns: str = "shared",
    phase: str = "Bound",
    zone: str | None = "japaneast-1",
    policy: str = "Retain",
    sc: str | None = "vantiq-sc",
    size: str = "5Gi",
) -> Obj:
    spec: Obj = {
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": size},
        "persistentVolumeReclaimPolicy": policy,
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": claim},
        "volumeMode": "Filesystem",
    }
    if sc is not None:
        spec["storageClassName"] = sc
    if zone:
        term = {
            "matchExpressions": [
                {"key": "topology.disk.csi.azure.com/zone", "operator": "In", "values": [zone]}
            ]
        }
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [term]}}
    return {"kind": "PersistentVolume", "metadata": {"name": name}, "spec": spec, "status": {"phase": phase}}


def _pvc(
    name: str,
    *,
    ns: str = "shared",
    volume: str | None = None,
    phase: str = "Bound",
    sc: str | None = "vantiq-sc",
) -> Obj:
    spec: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "5Gi"}}}
    if sc is not None:
        spec["storageClassName"] = sc
    if volume:
        spec["volumeName"] = volume
    return {
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": ns},
        "spec": spec,
        "status": {"phase": phase},
    }


def _workload(
    kind: str, name: str, *, replicas: int = 1, claims: tuple[str, ...] = (), templates: tuple[str, ...] = ()
) -> Obj:
    volumes = [{"name": c, "persistentVolumeClaim": {"claimName": c}} for c in claims]
    spec: Obj = {"replicas": replicas, "template": {"spec": {"containers": [], "volumes": volumes}}}
    if templates:
        spec["volumeClaimTemplates"] = [{"metadata": {"name": t}} for t in templates]
    return {"kind": kind, "metadata": {"name": name, "namespace": "shared"}, "spec": spec}


def _class(
    name: str,
    provisioner: str = "disk.csi.azure.com",
    policy: str | None = "Retain",
    default: bool = False,
    **params: str,
) -> Obj:
    md: Obj = {"name": name}
    if default:
        md["annotations"] = {"storageclass.kubernetes.io/is-default-class": "true"}
    sc: Obj = {"kind": "StorageClass", "metadata": md, "provisioner": provisioner, "parameters": params}
    if policy:
        sc["reclaimPolicy"] = policy
    return sc


# -- helpers ----------------------------------------------------------------------------
def test_zone_from_node_affinity_or_labels() -> None:
    assert pv_zone(_pv("a", "c", zone="japaneast-2")) == "japaneast-2"
    labelled = _pv("b", "c", zone=None)
    labelled["metadata"]["labels"] = {"topology.kubernetes.io/zone": "us-east-1a"}
    assert pv_zone(labelled) == "us-east-1a"
    assert pv_zone(_pv("c", "c", zone=None)) is None


def test_claim_class_falls_back_to_the_default_class() -> None:
    classes = [_class("vantiq-sc"), _class("managed-csi", default=True)]
    assert claim_class(_pvc("x", sc="vantiq-sc"), classes) == "vantiq-sc"
    assert claim_class(_pvc("x", sc=None), classes) == "managed-csi"
    assert claim_class(_pvc("x", sc=""), classes) is None  # "" asks for no class at all


def test_claim_user_reads_specs_pods_then_names() -> None:
    grafana = _workload("Deployment", "grafana", claims=("grafana-storage",))
    influx = _workload("StatefulSet", "influxdb", templates=("influxdb-data",))
    mysql = _workload("Deployment", "grafanadb-mysql")
    workloads = [grafana, influx, mysql]
    assert claim_user("grafana-storage", workloads, []).name == "grafana"  # type: ignore[union-attr]
    assert claim_user("influxdb-data-influxdb-0", workloads, []).how == "template"  # type: ignore[union-attr]
    assert claim_user("grafanadb-mysql", workloads, []).how == "name"  # type: ignore[union-attr]
    pod = {
        "metadata": {
            "name": "x-1",
            "ownerReferences": [{"kind": "StatefulSet", "name": "x", "controller": True}],
        },
        "spec": {"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "scratch"}}]},
    }
    assert claim_user("scratch", workloads, [pod]).name == "x"  # type: ignore[union-attr]
    assert claim_user("nobody", workloads, []) is None
    pvcs = [_pvc("influxdb-data-influxdb-0"), _pvc("grafana-storage")]
    assert claims_of("influxdb", pvcs, workloads, []) == ["influxdb-data-influxdb-0"]


def test_claim_yaml_binds_exactly_that_volume() -> None:
    text = claim_yaml(_pv(OLD, "grafana", sc=None), "old-grafana-pv", "shared")
    assert text == (
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: old-grafana-pv\n  namespace: shared\n"
        "spec:\n  accessModes:\n  - ReadWriteOnce\n  resources:\n    requests:\n      storage: 5Gi\n"
        f'  volumeName: {OLD}\n  storageClassName: ""\n  volumeMode: Filesystem\n'
    )


# -- ST001 --------------------------------------------------------------------------------
def _grafana_ctx(*extra_pvs: Obj) -> StorageContext:
    pvs = [
        _pv(OLD, "grafana", phase="Released", zone="japaneast-1"),
        _pv(NEW, "grafana", zone="japaneast-0"),
        _pv("pvc-mysql", "grafanadb-mysql", zone="japaneast-0"),
        *extra_pvs,
    ]
    pvcs = [_pvc("grafana", volume=NEW), _pvc("grafanadb-mysql", volume="pvc-mysql")]
    workloads = [
        _workload("Deployment", "grafana", claims=("grafana",)),
        _workload("Deployment", "grafanadb-mysql", claims=("grafanadb-mysql",)),
    ]
    return StorageContext("shared", pvs, pvcs, workloads, [])


PARTNERS = {"grafana": "grafanadb-mysql", "grafanadb-mysql": "grafana"}


def assert_pasteable(fix: tuple[str, ...]) -> None:
    """Every fix line is a command that runs as pasted: no prose, no trailing comment."""
    for command in fix:
        assert command.startswith("kubectl "), command
        assert "  #" not in command, command


def test_released_grafana_volume_in_another_zone_than_its_partner_is_not_rebound() -> None:
    [found] = released_volumes(_grafana_ctx(), PARTNERS)
    assert found.diagnosis == (
        f"PersistentVolume {OLD} (5Gi) is Released: it holds the old data of claim shared/grafana, now bound to {NEW}; "
        "the two are in different zones (old japaneast-1, current japaneast-0); it cannot be rebound for grafana, "
        "which shares a node with grafanadb-mysql (volume in zone japaneast-0)"
    )
    assert found.evidence[2] == "Deployment shared/grafana (1 replica) mounts claim grafana"
    assert found.evidence[3].startswith(
        "caveat: grafana and grafanadb-mysql must run on the same node, so their volumes must be in the same zone: "
        "grafanadb-mysql's volume is in zone japaneast-0, this old volume in japaneast-1 — they would not fit on one node"
    )
    assert found.fix == ()  # the old volume is already on Retain: nothing to run before deciding
    cannot, move, restore = found.advice
    assert cannot.startswith(
        "Rebinding cannot work here: grafana on the old volume must run in zone japaneast-1"
    )
    assert "deploy only grafanadb-mysql again" in move
    assert "restored from backup" in move
    assert restore.startswith("Or keep the current volumes and restore the data from a backup")


def test_released_grafana_volume_in_its_partners_zone_is_rebound_with_a_pasteable_heredoc() -> None:
    ctx = _grafana_ctx()
    ctx.pvs[2] = _pv("pvc-mysql", "grafanadb-mysql", zone="japaneast-1")
    [found] = released_volumes(ctx, PARTNERS)
    assert "cannot be rebound" not in found.diagnosis
    assert found.fix[0] == "kubectl scale deploy -n shared grafana --replicas=0"
    assert found.fix[1] == f'kubectl patch pv {OLD} -p \'{{"spec":{{"claimRef": null}}}}\''
    assert found.fix[2].startswith("kubectl apply -f - <<'EOF'\napiVersion: v1\n")
    assert found.fix[2].endswith("  volumeMode: Filesystem\nEOF")
    assert found.fix[3:] == (
        "kubectl edit deploy -n shared grafana",
        "kubectl scale deploy -n shared grafana --replicas=1",
    )
    assert found.advice == (
        "In the editor, set volumes[].persistentVolumeClaim.claimName to old-grafana-pv (was grafana): "
        "a claim cannot be changed, so the workload moves to a new one.",
    )
    assert_pasteable(found.fix)


def test_the_rendered_fix_block_is_a_shell_script_that_pastes_whole(tmp_path: Path) -> None:
    ctx = _grafana_ctx()
    ctx.pvs[2] = _pv("pvc-mysql", "grafanadb-mysql", zone="japaneast-1")
    found = Findings("ST001", "shared")
    found.extend(released_volumes(ctx, PARTNERS))
    lines = found.explain().splitlines()
    assert (
        lines[0] == "[ST001] No volume of the installation is left Released — 1 finding in namespace shared"
    )
    assert lines[1].startswith(f"1. [warning] PersistentVolume {OLD} (5Gi) is Released")
    start = lines.index("   fix:") + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("   advice: "))
    script = lines[start:end]
    assert script[0] == "kubectl scale deploy -n shared grafana --replicas=0"
    assert "EOF" in script  # the heredoc ends at column 0, so the block pastes whole
    (tmp_path / "fix.sh").write_text("\n".join(script) + "\n")
    subprocess.run(["bash", "-n", str(tmp_path / "fix.sh")], check=True)
    assert lines[-2].startswith("Why it matters: A Released volume holds data")
    assert not any(line.startswith("Why: ") for line in lines)


def test_only_released_volumes_of_this_namespace_count() -> None:
    others = (
        _pv("pvc-staging", "grafana", ns="staging", phase="Released"),
        _pv("pvc-free", "old", phase="Available"),
    )
    ctx = _grafana_ctx(*others)
    assert [f.diagnosis.split()[1] for f in released_volumes(ctx, PARTNERS)] == [OLD]
    assert released_volumes(StorageContext("prod", ctx.pvs, [], [], []), {}) == []


def test_statefulset_claim_is_recreated_under_its_own_name() -> None:
    old = _pv("pvc-old", "datadir-mongodb-1", ns="prod", phase="Released", size="20Gi", zone="japaneast-2")
    new = _pv("pvc-new", "datadir-mongodb-1", ns="prod", policy="Delete", size="20Gi", zone="japaneast-2")
    sts = _workload("StatefulSet", "mongodb", replicas=3, templates=("datadir",))
    ctx = StorageContext(
        "prod", [old, new], [_pvc("datadir-mongodb-1", ns="prod", volume="pvc-new")], [sts], []
    )
    [found] = released_volumes(ctx, PARTNERS)
    assert found.diagnosis == (
        "PersistentVolume pvc-old (20Gi) is Released: it holds the old data of claim prod/datadir-mongodb-1, now bound to pvc-new"
    )
    assert found.fix[:3] == (
        "kubectl scale sts -n prod mongodb --replicas=0",
        'kubectl patch pv pvc-new -p \'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\'',
        "kubectl delete pvc -n prod datadir-mongodb-1",
    )
    assert found.advice == (
        "pvc-new is set to Retain first: deleting its claim would delete the current data.",
        "The StatefulSet names its claims itself: the old volume takes the name datadir-mongodb-1.",
    )
    assert "name: datadir-mongodb-1\n" in found.fix[4]
    assert_pasteable(found.fix)
    assert found.fix[-1] == "kubectl scale sts -n prod mongodb --replicas=3"
    assert not any("kubectl edit" in step for step in found.fix)


def test_released_volume_of_a_deleted_claim_without_workload() -> None:
    ctx = StorageContext("shared", [_pv(OLD, "reports", phase="Released")], [], [], [])
    [found] = released_volumes(ctx, PARTNERS)
    assert (
        found.diagnosis
        == f"PersistentVolume {OLD} (5Gi) is Released: it holds the old data of claim shared/reports, which no longer exists"
    )
    assert found.evidence[-1] == "no Deployment or StatefulSet of shared mounts claim reports"
    assert found.fix[0] == f'kubectl patch pv {OLD} -p \'{{"spec":{{"claimRef": null}}}}\''
    assert found.fix[1].startswith("kubectl apply -f - <<'EOF'\n")
    assert "  name: reports\n" in found.fix[1]
    assert found.fix[2:] == ()


def test_released_volume_of_a_gone_claim_that_a_workload_still_names() -> None:
    ctx = StorageContext(
        "shared",
        [_pv(OLD, "grafana", phase="Released")],
        [],
        [_workload("Deployment", "grafana", claims=("grafana",))],
        [],
    )
    [found] = released_volumes(ctx, {})
    assert found.fix[0] == "kubectl scale deploy -n shared grafana --replicas=0"
    assert "  name: grafana\n" in found.fix[2]
    assert not any("kubectl edit" in step for step in found.fix)
    assert found.fix[-1] == "kubectl scale deploy -n shared grafana --replicas=1"


# -- ST002 --------------------------------------------------------------------------------
def test_pending_and_lost_claims() -> None:
    events = [
        {
            "involvedObject": {"kind": "PersistentVolumeClaim", "name": "exports"},
            "reason": "ProvisioningFailed",
            "message": 'storageclass.storage.k8s.io "premium-zrs" not found',
            "lastTimestamp": "2026-11-29T10:00:00Z",
        }
    ]
    pvcs = [
        _pvc("exports", ns="prod", phase="Pending", sc="premium-zrs"),
        _pvc("data", ns="prod", phase="Lost", volume="pvc-x"),
        _pvc("ok", ns="prod"),
    ]
    lost, pending = unbound_claims(pvcs, events, NOW, 5)
    assert lost.diagnosis == "PersistentVolumeClaim prod/data is Lost: its PersistentVolume is gone"
    assert pending.diagnosis == "PersistentVolumeClaim prod/exports is Pending, not Bound"
    assert pending.evidence == (
        "requests 5Gi, StorageClass premium-zrs, volumeName -",
        'event ProvisioningFailed: storageclass.storage.k8s.io "premium-zrs" not found',
    )
    assert pending.severity == "warning"
    assert pending.fix == ("kubectl describe pvc -n prod exports", "kubectl get storageclass")
    assert lost.advice[0].startswith("Its volume was deleted")


def test_a_claim_pending_for_seconds_is_provisioning_not_stuck() -> None:
    fresh = _pvc("exports", ns="prod", phase="Pending", sc="premium-zrs")
    fresh["metadata"]["creationTimestamp"] = "2026-11-29T12:14:58Z"
    assert unbound_claims([fresh], [], NOW, 5) == []
    [late] = unbound_claims([fresh], [], NOW + timedelta(minutes=6), 5)
    assert late.diagnosis == "PersistentVolumeClaim prod/exports is Pending, not Bound"
    assert late.evidence[0].endswith(", created 6m2s ago")
    lost = _pvc("data", ns="prod", phase="Lost", volume="pvc-x")
    lost["metadata"]["creationTimestamp"] = "2026-11-29T12:14:58Z"
    assert len(unbound_claims([lost], [], NOW, 5)) == 1  # Lost is never a phase that passes


def test_database_volume_on_delete() -> None:
    classes = [_class("vantiq-sc"), _class("managed-csi", policy=None, default=True)]
    pvcs = [
        _pvc("datadir-mongodb-0", ns="prod", volume="pvc-m0", sc=None),
        _pvc("datadir-mongodb-1", ns="prod", volume="pvc-m1"),
        _pvc("datadir-mongodb-2", ns="prod", phase="Pending", sc=None),
    ]
    pvs = [
        _pv("pvc-m0", "datadir-mongodb-0", ns="prod", policy="Delete", sc="managed-csi"),
        _pv("pvc-m1", "datadir-mongodb-1", ns="prod", policy="Retain"),
    ]
    db = {claim: "mongodb" for claim in ("datadir-mongodb-0", "datadir-mongodb-1", "datadir-mongodb-2")}
    (bound, pending), facts = deleted_database_volumes(db, pvcs, pvs, classes)
    assert facts == []
    assert bound.diagnosis == (
        "database volume prod/datadir-mongodb-0 (mongodb) has reclaimPolicy Delete (PersistentVolume pvc-m0): "
        "deleting the claim (an undeploy) deletes the data with it"
    )
    assert bound.evidence == (
        "StorageClass managed-csi (reclaimPolicy Delete), volume pvc-m0 reclaimPolicy Delete",
    )
    assert bound.fix == (
        'kubectl patch pv pvc-m0 -p \'{"spec":{"persistentVolumeReclaimPolicy":"Retain"}}\'',
        'kubectl get sc managed-csi -o json | jq \'.metadata = {name: "managed-csi-retain"} | '
        '.reclaimPolicy = "Retain"\' | kubectl apply -f -',
    )
    assert bound.advice[0].startswith("A StorageClass's reclaimPolicy cannot be changed")
    assert_pasteable(bound.fix)
    assert pending.diagnosis.startswith(
        "database volume prod/datadir-mongodb-2 (mongodb) has reclaimPolicy Delete (StorageClass managed-csi)"
    )


def test_retained_volume_on_a_delete_class_is_fine_and_unknown_is_a_fact() -> None:
    pvcs = [_pvc("influx", volume="pvc-i", sc="managed-csi"), _pvc("mysql", volume="pvc-gone", sc="missing")]
    found, facts = deleted_database_volumes(
        {"influx": "influxdb", "mysql": "grafanadb-mysql"},
        pvcs,
        [_pv("pvc-i", "influx")],
        [_class("managed-csi", policy="Delete")],
    )
    assert found == []
    assert facts == [
        "shared/mysql (grafanadb-mysql): reclaim policy unknown (its PV and StorageClass could not be read)"
    ]


# -- ST003 --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("provisioner", "params", "expected"),
    [
        (
            "ebs.csi.aws.com",
            {"encrypted": "true", "kmsKeyId": "arn:aws:kms:k"},
            "encrypted (EBS, KMS key arn:aws:kms:k)",
        ),
        ("kubernetes.io/aws-ebs", {"encrypted": "true"}, "encrypted (EBS, the region's default KMS key)"),
        (
            "ebs.csi.aws.com",
            {"kmsKeyId": "arn:aws:kms:k"},
            'not requested (EBS encrypted is not "true"): encrypted only if the account encrypts EBS by default (aws ec2 get-ebs-encryption-by-default)',
        ),
        ("disk.csi.azure.com", {}, "encrypted by the platform (Azure managed, SSE)"),
        ("file.csi.azure.com", {}, "encrypted by the platform (Azure managed, SSE)"),
        (
            "disk.csi.azure.com",
            {"diskEncryptionSetID": "/des/x"},
            "encrypted by the platform (customer-managed key, disk encryption set /des/x)",
        ),
        ("pd.csi.storage.gke.io", {}, "encrypted by Google by default"),
        ("rancher.io/local-path", {}, "unknown"),
    ],
)
def test_class_encryption(provisioner: str, params: dict[str, str], expected: str) -> None:
    assert class_encryption(_class("x", provisioner, **params)) == expected


def test_encryption_table_rows() -> None:
    pvcs = [_pvc("grafana"), _pvc("datadir-mongodb-0", ns="prod", sc=None), _pvc("old", ns="prod", sc="gone")]
    rows = encryption_table(
        pvcs,
        [_class("vantiq-sc"), _class("gp3", "ebs.csi.aws.com", "Delete", default=True, encrypted="true")],
    )
    assert rows == [
        "StorageClass | provisioner | reclaimPolicy | encryption at rest | claims",
        "gone | ? | ? | unknown (StorageClass not found) | prod/old",
        "gp3 | ebs.csi.aws.com | Delete | encrypted (EBS, the region's default KMS key) | prod/datadir-mongodb-0",
        "vantiq-sc | disk.csi.azure.com | Retain | encrypted by the platform (Azure managed, SSE) | shared/grafana",
    ]


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        (
            "kc.postgres.database.azure.com",
            "PostgreSQL kc.postgres.database.azure.com (keycloak DB_ADDR): Azure Database for PostgreSQL: encrypted by the platform",
        ),
        (
            "kc.abc123.ap-northeast-1.rds.amazonaws.com",
            "PostgreSQL kc.abc123.ap-northeast-1.rds.amazonaws.com (keycloak DB_ADDR): RDS: encryption at rest depends on the instance setting, check with aws rds describe-db-instances --db-instance-identifier kc --query 'DBInstances[0].StorageEncrypted'",
        ),
        (
            "keycloak-postgresql",
            "PostgreSQL keycloak-postgresql (keycloak DB_ADDR): in-cluster (Service shared/keycloak-postgresql): as the StorageClass of its volume above",
        ),
        ("db.example.com", "PostgreSQL db.example.com (keycloak DB_ADDR): unknown"),
        (
            None,
            "PostgreSQL (keycloak DB_ADDR): unknown (DB_ADDR is not a literal value of the keycloak spec)",
        ),
    ],
)
def test_postgres_encryption(host: str | None, expected: str) -> None:
    assert postgres_encryption(host, "shared") == expected


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("pg", ("shared", "pg")),
        ("pg-hl.db", ("db", "pg")),
        ("pg.db.svc", ("db", "pg")),
        ("pg.db.svc.cluster.local", ("db", "pg")),
        ("kc.postgres.database.azure.com", None),
        ("10.0.0.5", None),
    ],
)
def test_in_cluster_service(host: str, expected: tuple[str, str] | None) -> None:
    assert in_cluster_service(host, "shared") == expected


def test_keycloak_db_host_from_the_statefulset() -> None:
    kc = _workload("StatefulSet", "keycloak")
    kc["spec"]["template"]["spec"]["containers"] = [
        {"name": "keycloak", "env": [{"name": "DB_ADDR", "value": "pg.shared "}]}
    ]
    assert keycloak_db_host([kc], [], "keycloak") == "pg.shared"
    assert keycloak_db_host([kc], [], "other") is None


def test_in_cluster_postgres_counts_as_a_database_of_its_namespace() -> None:
    assert in_cluster_postgres("keycloak-postgresql", "shared", "shared") == ["keycloak-postgresql"]
    assert in_cluster_postgres("keycloak-postgresql", "shared", "prod") == []
    assert in_cluster_postgres("kc.postgres.database.azure.com", "shared", "shared") == []
    assert in_cluster_postgres(None, "shared", "shared") == []
    pg = _workload("StatefulSet", "keycloak-postgresql", templates=("data",))
    ctx = StorageContext("shared", [], [_pvc("data-keycloak-postgresql-0"), _pvc("grafana")], [pg], [])
    assert database_claims(ctx, ["keycloak-postgresql", "influxdb"]) == {
        "data-keycloak-postgresql-0": "keycloak-postgresql"
    }
