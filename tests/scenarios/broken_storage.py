"""Storage and Helm variants of the baseline (ST, HM), with the verdicts they must produce."""

from __future__ import annotations

import base64
from typing import Any

from tests.scenarios.installation import Scenario, _manifest, _release, _with_meta
from tests.scenarios.objects import Obj, event, meta, persistent_volume
from tests.scenarios.variants import Variant
from vantiq_health import helm

OLD_GRAFANA_PV = "pvc-ec37c469-782a-473f-a6f9-aaaaaaaaaaaa"
OLD_MONGO_PV = "pvc-5b1e0a7d-1c2f-4e0b-9d3a-bbbbbbbbbbbb"
PDB_V1BETA1 = ("policy/v1beta1", "PodDisruptionBudget")
FLOWCONTROL_V1BETA3 = "flowcontrol.apiserver.k8s.io/v1beta3"


# -- helpers ------------------------------------------------------------------------
def _pv(sc: Scenario, name: str, claim: tuple[str, str], **kwargs: Any) -> Obj:
    return persistent_volume(sc.clock, name, claim, **kwargs)


def _decoded(obj: Obj) -> Obj:
    payload = obj["data"]["release"]
    raw = base64.b64decode(payload) if obj["kind"] == "Secret" else payload
    return helm.decode_release_payload(raw)


def _set_status(sc: Scenario, release: str, ns: str, revision: int, status: str) -> None:
    """Rewrite a stored revision's status, as Helm does when a newer revision supersedes it."""
    old = sc.find("Secret", ns, helm.storage_object_name(release, revision))
    body = _decoded(old)
    body["info"]["status"] = status
    sc.remove("Secret", ns, old["metadata"]["name"])
    sc.add(_with_meta(helm.release_secret(body), sc.clock))


def _revision(
    sc: Scenario,
    release: str,
    ns: str,
    revision: int,
    status: str,
    objs: list[tuple[str, str, str]],
    *,
    storage: str = "secret",
    gzip_it: bool = True,
    **info: str,
) -> None:
    body = _release(release, ns, revision, status, _manifest(objs, ns))
    body["info"].update(info)
    store = helm.release_secret if storage == "secret" else helm.release_configmap
    sc.add(_with_meta(store(body, gzip_it=gzip_it), sc.clock))


def _upgrade(
    sc: Scenario, release: str, ns: str, status: str, objs: list[tuple[str, str, str]], **info: str
) -> None:
    """Revision 3 of a baseline release (revisions 1 superseded, 2 deployed)."""
    _set_status(sc, release, ns, 2, "superseded")
    _revision(sc, release, ns, 3, status, objs, **info)


# -- ST -------------------------------------------------------------------------------
def _st001_released_volumes(sc: Scenario) -> None:
    """undeploy/deploy left grafana's old volume (another zone) and one of mongodb's Released."""
    grafana_volume = {"name": "storage", "persistentVolumeClaim": {"claimName": "grafana"}}
    sc.find("Deployment", "shared", "grafana")["spec"]["template"]["spec"]["volumes"].append(grafana_volume)
    sc.find("Pod", "shared", "grafana-7fcf76474b-wxhqf")["spec"]["volumes"].append(grafana_volume)
    sc.find("StatefulSet", "prod", "mongodb")["spec"]["volumeClaimTemplates"] = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": "datadir"},
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "20Gi"}},
                "storageClassName": "vantiq-sc",
            },
        }
    ]
    sc.add(
        _pv(sc, OLD_GRAFANA_PV, ("shared", "grafana"), phase="Released", zone="japaneast-1"),
        _pv(
            sc, OLD_MONGO_PV, ("prod", "datadir-mongodb-1"), phase="Released", zone="japaneast-2", size="20Gi"
        ),
        # not ours: another namespace's Released volume, and a volume already Available again
        _pv(
            sc,
            "pvc-0f0f0f0f-1111-2222-3333-cccccccccccc",
            ("staging", "grafana"),
            phase="Released",
            zone="japaneast-1",
        ),
        _pv(
            sc,
            "pvc-0e0e0e0e-1111-2222-3333-dddddddddddd",
            ("shared", "influxdb-data-influxdb-0"),
            phase="Available",
            zone="japaneast-0",
        ),
    )


def _st002_pending_and_delete(sc: Scenario) -> None:
    """A claim waits for a StorageClass that does not exist; InfluxDB's volume came from the default class (Delete)."""
    sc.add(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": meta(
                "managed-csi",
                None,
                sc.clock,
                annotations={"storageclass.kubernetes.io/is-default-class": "true"},
            ),
            "provisioner": "disk.csi.azure.com",
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "parameters": {"skuname": "StandardSSD_LRS"},
            "allowVolumeExpansion": True,
        }
    )
    influx = sc.find("PersistentVolumeClaim", "shared", "influxdb-data-influxdb-0")
    del influx["spec"]["storageClassName"]
    pv = sc.find("PersistentVolume", None, influx["spec"]["volumeName"])
    pv["spec"].update(storageClassName="managed-csi", persistentVolumeReclaimPolicy="Delete")
    sc.add(
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": meta("vantiq-exports", "prod", sc.clock, age_days=0.1),
            "spec": {
                "accessModes": ["ReadWriteOnce"],
                "resources": {"requests": {"storage": "10Gi"}},
                "storageClassName": "premium-zrs",
                "volumeMode": "Filesystem",
            },
            "status": {"phase": "Pending"},
        },
        event(
            "prod",
            sc.clock,
            obj_name="vantiq-exports",
            kind="PersistentVolumeClaim",
            reason="ProvisioningFailed",
            type_="Warning",
            count=14,
            minutes_ago=1,
            message='storageclass.storage.k8s.io "premium-zrs" not found',
        ),
    )


# -- HM -------------------------------------------------------------------------------
def _hm001_removed_apis(sc: Scenario) -> None:
    """vantiq's latest revision still renders policy/v1beta1 and batch/v1beta1 on a 1.29 cluster."""
    _upgrade(
        sc,
        "vantiq",
        "prod",
        "deployed",
        [
            ("apps/v1", "StatefulSet", "vantiq"),
            ("batch/v1beta1", "CronJob", "mongobackup"),
            (*PDB_V1BETA1, "vantiq"),
        ],
    )


def _apf_release(sc: Scenario) -> None:
    _revision(
        sc,
        "api-priority",
        "shared",
        1,
        "deployed",
        [
            (FLOWCONTROL_V1BETA3, "FlowSchema", "vantiq-clients"),
            (FLOWCONTROL_V1BETA3, "PriorityLevelConfiguration", "vantiq"),
        ],
    )


def _hm001_next_minor(sc: Scenario) -> None:
    """On 1.31, a release still renders flowcontrol v1beta3, which 1.32 removes."""
    sc.version = "1.31"
    _apf_release(sc)


def _hm002_pending_upgrade(sc: Scenario) -> None:
    """A deploy was interrupted: vantiq's revision 3 stays pending-upgrade."""
    _upgrade(
        sc,
        "vantiq",
        "prod",
        "pending-upgrade",
        [("apps/v1", "StatefulSet", "vantiq"), ("policy/v1", "PodDisruptionBudget", "vantiq")],
        description="Preparing upgrade",
        last_deployed="2026-03-10T10:00:00Z",
    )


def _hm001_only_old_revision(sc: Scenario) -> None:
    """telegraf-prom's revision 1 rendered policy/v1beta1; revision 2 (deployed) renders policy/v1: fine."""
    sc.remove("Secret", "shared", helm.storage_object_name("telegraf-prom", 1))
    _revision(
        sc,
        "telegraf-prom",
        "shared",
        1,
        "superseded",
        [("apps/v1", "Deployment", "telegraf-prom"), (*PDB_V1BETA1, "telegraf-prom")],
    )


def _hm001_configmap_driver(sc: Scenario) -> None:
    """influxdb was installed with HELM_DRIVER=configmap; its deployed revision renders policy/v1beta1."""
    objs = [("apps/v1", "StatefulSet", "influxdb"), (*PDB_V1BETA1, "influxdb")]
    _revision(sc, "influxdb", "shared", 1, "superseded", objs, storage="configmap", gzip_it=False)
    _revision(sc, "influxdb", "shared", 2, "deployed", objs, storage="configmap")


UPGRADE_FAILED = "UPGRADE FAILED: resource mapping not found for name:"

VARIANTS = [
    Variant(
        "st001-released",
        _st001_released_volumes,
        warns={
            ("ST001", "shared"): (
                f"PersistentVolume {OLD_GRAFANA_PV} (5Gi) is Released: it holds the old data of claim shared/grafana",
                "different zones (old japaneast-1, current japaneast-0)",
                "grafana and grafanadb-mysql must run on the same node",
                "grafanadb-mysql's volume is in zone japaneast-0",
                "kubectl scale deploy -n shared grafana --replicas=0",
                f'kubectl patch pv {OLD_GRAFANA_PV} -p \'{{"spec":{{"claimRef": null}}}}\'',
                f"volumeName: {OLD_GRAFANA_PV}",
                "name: old-grafana-pv",
                "kubectl apply -f old-grafana-pv.yaml",
                "kubectl edit deploy -n shared grafana",
                "kubectl scale deploy -n shared grafana --replicas=1",
            ),
            ("ST001", "prod"): (
                f"PersistentVolume {OLD_MONGO_PV} (20Gi) is Released",
                "kubectl scale sts -n prod mongodb --replicas=0",
                "kubectl delete pvc -n prod datadir-mongodb-1",
                "name: datadir-mongodb-1",
                "kubectl scale sts -n prod mongodb --replicas=3",
            ),
        },
    ),
    Variant(
        "st002-pending-delete",
        _st002_pending_and_delete,
        warns={
            ("ST002", "prod"): (
                "PersistentVolumeClaim prod/vantiq-exports is Pending, not Bound",
                'storageclass.storage.k8s.io "premium-zrs" not found',
            ),
            ("ST002", "shared"): (
                "database volume shared/influxdb-data-influxdb-0 (influxdb) has reclaimPolicy Delete",
                "StorageClass managed-csi",
                'persistentVolumeReclaimPolicy":"Retain',
            ),
        },
    ),
    Variant(
        "hm001-removed",
        _hm001_removed_apis,
        fails={
            ("HM001", "prod"): (
                "Helm release prod/vantiq (revision 3, chart vantiq-1.3.0) renders 2 object(s) whose API Kubernetes 1.29 no longer serves",
                f'{UPGRADE_FAILED} "mongobackup" namespace: "prod" from "": no matches for kind "CronJob" in version "batch/v1beta1"',
                "PodDisruptionBudget vantiq",
                "removed in 1.25, use policy/v1",
                "use batch/v1",
                "helm mapkubeapis vantiq -n prod",
            ),
        },
    ),
    Variant(
        "hm001-next-minor",
        _hm001_next_minor,
        warns={
            ("HM001", "shared"): (
                "Helm release shared/api-priority (revision 1, chart api-priority-1.1.0) renders 2 object(s) whose API is removed in Kubernetes 1.32, the next minor",
                "FlowSchema vantiq-clients",
                f"{FLOWCONTROL_V1BETA3}: removed in 1.32, use flowcontrol.apiserver.k8s.io/v1",
            ),
        },
    ),
    Variant(
        "hm001-target",
        _apf_release,
        args=("--target-version", "1.32"),
        fails={
            ("HM001", "shared"): (
                "shared/api-priority (revision 1, chart api-priority-1.1.0) would break on Kubernetes 1.32",
                "the first deploy after the upgrade ends in",
                "helm mapkubeapis api-priority -n shared",
            ),
        },
    ),
    Variant(
        "hm002-pending",
        _hm002_pending_upgrade,
        fails={
            ("HM002", "prod"): (
                "Helm release prod/vantiq is stuck in pending-upgrade at revision 3",
                "another operation (install/upgrade/rollback) is in progress",
                "helm history vantiq -n prod",
                "helm rollback vantiq 2 -n prod",
                "kubectl get secret sh.helm.release.v1.vantiq.v3 -n prod",
            ),
        },
    ),
    Variant("hm001-old-revision-only", _hm001_only_old_revision),
    Variant(
        "hm001-configmap-driver",
        _hm001_configmap_driver,
        fails={
            ("HM001", "shared"): (
                "Helm release shared/influxdb (revision 2, chart influxdb-1.2.0)",
                'no matches for kind "PodDisruptionBudget" in version "policy/v1beta1"',
            ),
        },
    ),
]
