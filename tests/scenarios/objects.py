"""Constructors of Kubernetes objects shaped as the API server returns them."""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

Obj = dict[str, Any]


class Clock:
    """Timestamps relative to one 'now', so live and snapshot runs agree."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = (now or datetime.now(UTC)).replace(microsecond=0)

    def ago(self, **delta: float) -> str:
        return (self.now - timedelta(**delta)).strftime("%Y-%m-%dT%H:%M:%SZ")


def meta(name: str, namespace: str | None, clock: Clock, *, age_days: float = 30, **extra: Any) -> Obj:
    md: Obj = {
        "name": name,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{namespace}/{name}/{extra.get('kind', '')}")),
        "resourceVersion": str(int(hashlib.sha1(name.encode()).hexdigest()[:6], 16)),
        "creationTimestamp": clock.ago(days=age_days),
    }
    if namespace is not None:
        md["namespace"] = namespace
    extra.pop("kind", None)
    md.update(extra)
    return md


def managed(
    clock: Clock, *, written_days_ago: float, manager: str = "kubectl-client-side-apply"
) -> list[Obj]:
    return [
        {
            "manager": manager,
            "operation": "Update",
            "apiVersion": "v1",
            "time": clock.ago(days=written_days_ago),
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:data": {}, "f:type": {}},
        }
    ]


def b64(value: bytes | str) -> str:
    raw = value.encode() if isinstance(value, str) else value
    return base64.b64encode(raw).decode()


def secret(
    name: str,
    ns: str,
    clock: Clock,
    data: dict[str, bytes | str],
    *,
    written_days_ago: float = 30,
    type_: str = "Opaque",
    labels: dict[str, str] | None = None,
) -> Obj:
    md = meta(
        name,
        ns,
        clock,
        age_days=written_days_ago,
        managedFields=managed(clock, written_days_ago=written_days_ago),
    )
    if labels:
        md["labels"] = labels
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": md,
        "type": type_,
        "data": {k: b64(v) for k, v in data.items()},
    }


def configmap(
    name: str,
    ns: str,
    clock: Clock,
    data: dict[str, str],
    *,
    written_days_ago: float = 30,
    labels: dict[str, str] | None = None,
) -> Obj:
    md = meta(
        name,
        ns,
        clock,
        age_days=written_days_ago,
        managedFields=managed(clock, written_days_ago=written_days_ago),
    )
    if labels:
        md["labels"] = labels
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": data}


def container(name: str, image: str, **spec: Any) -> Obj:
    return {"name": name, "image": image, "imagePullPolicy": "IfNotPresent", "resources": {}, **spec}


def env_secret(var: str, secret_name: str, key: str) -> Obj:
    return {"name": var, "valueFrom": {"secretKeyRef": {"name": secret_name, "key": key}}}


def running(
    name: str, image: str, clock: Clock, *, started_days_ago: float = 2, restarts: int = 0, ready: bool = True
) -> Obj:
    return {
        "name": name,
        "image": image,
        "imageID": f"docker.io/{image}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
        "containerID": f"containerd://{hashlib.sha256(name.encode()).hexdigest()}",
        "ready": ready,
        "started": True,
        "restartCount": restarts,
        "state": {"running": {"startedAt": clock.ago(days=started_days_ago)}},
        "lastState": {},
    }


def init_done(name: str, image: str, clock: Clock, *, started_days_ago: float = 2) -> Obj:
    return {
        "name": name,
        "image": image,
        "ready": True,
        "restartCount": 0,
        "state": {
            "terminated": {
                "reason": "Completed",
                "exitCode": 0,
                "startedAt": clock.ago(days=started_days_ago, seconds=40),
                "finishedAt": clock.ago(days=started_days_ago, seconds=5),
            }
        },
        "lastState": {},
    }


def conditions(
    clock: Clock, *, ready: bool = True, started_days_ago: float = 2, ready_after_s: int = 60
) -> list[Obj]:
    ready_at = clock.ago(days=started_days_ago, seconds=-ready_after_s)
    status = "True" if ready else "False"
    return [
        {"type": "Initialized", "status": "True", "lastTransitionTime": clock.ago(days=started_days_ago)},
        {"type": "Ready", "status": status, "lastTransitionTime": ready_at},
        {"type": "ContainersReady", "status": status, "lastTransitionTime": ready_at},
        {
            "type": "PodScheduled",
            "status": "True",
            "lastTransitionTime": clock.ago(days=started_days_ago, seconds=60),
        },
    ]


def owner_ref(kind: str, name: str, api_version: str = "apps/v1") -> Obj:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": str(uuid.uuid5(uuid.NAMESPACE_DNS, name)),
        "controller": True,
        "blockOwnerDeletion": True,
    }


def _token_volume(name: str) -> Obj:
    """The service account volume the API server injects into every pod."""
    sources = [
        {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {
            "downwardAPI": {
                "items": [
                    {"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}
                ]
            }
        },
    ]
    return {"name": name, "projected": {"defaultMode": 420, "sources": sources}}


def _with_token_mount(container: Obj, token: str) -> Obj:
    mount = {"name": token, "readOnly": True, "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
    return {**container, "volumeMounts": [*container.get("volumeMounts", []), mount]}


def pod(
    name: str,
    ns: str,
    clock: Clock,
    *,
    containers: list[Obj],
    statuses: list[Obj],
    init_containers: list[Obj] | None = None,
    init_statuses: list[Obj] | None = None,
    volumes: list[Obj] | None = None,
    labels: dict[str, str] | None = None,
    owner: Obj | None = None,
    node: str = "aks-nodepool1-0",
    ip: str = "10.244.0.10",
    phase: str = "Running",
    ready: bool = True,
    started_days_ago: float = 2,
) -> Obj:
    md = meta(name, ns, clock, age_days=started_days_ago, labels=labels or {})
    if owner:
        md["ownerReferences"] = [owner]
    token = f"kube-api-access-{hashlib.sha1(name.encode()).hexdigest()[:5]}"
    spec: Obj = {
        "containers": [_with_token_mount(c, token) for c in containers],
        "restartPolicy": "Always",
        "serviceAccountName": "default",
        "nodeName": node,
        "volumes": [*(volumes or []), _token_volume(token)],
    }
    if init_containers:
        spec["initContainers"] = [_with_token_mount(c, token) for c in init_containers]
    status: Obj = {
        "phase": phase,
        "conditions": conditions(clock, ready=ready, started_days_ago=started_days_ago),
        "hostIP": "10.240.0.4",
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": clock.ago(days=started_days_ago),
        "containerStatuses": statuses,
        "qosClass": "BestEffort",
    }
    if init_statuses:
        status["initContainerStatuses"] = init_statuses
    return {"apiVersion": "v1", "kind": "Pod", "metadata": md, "spec": spec, "status": status}


def workload(
    kind: str,
    name: str,
    ns: str,
    clock: Clock,
    *,
    replicas: int,
    ready: int | None = None,
    labels: dict[str, str],
    template_spec: Obj | None = None,
) -> Obj:
    ready = replicas if ready is None else ready
    spec: Obj = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels}, "spec": template_spec or {"containers": []}},
    }
    if kind == "DaemonSet":
        status: Obj = {
            "desiredNumberScheduled": replicas,
            "currentNumberScheduled": replicas,
            "numberReady": ready,
            "numberAvailable": ready,
            "updatedNumberScheduled": replicas,
            "numberMisscheduled": 0,
            "observedGeneration": 1,
        }
    else:
        spec["replicas"] = replicas
        status = {
            "replicas": replicas,
            "readyReplicas": ready,
            "availableReplicas": ready,
            "updatedReplicas": replicas,
            "observedGeneration": 1,
        }
        if kind == "StatefulSet":
            spec["serviceName"] = name
            status["currentReplicas"] = replicas
        if ready == 0:
            del status["readyReplicas"], status["availableReplicas"]  # the API server omits zeros
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": meta(name, ns, clock, labels=labels, generation=1),
        "spec": spec,
        "status": status,
    }


def event(
    ns: str,
    clock: Clock,
    *,
    obj_name: str,
    reason: str,
    message: str,
    type_: str = "Normal",
    count: int = 1,
    minutes_ago: float = 5,
    field_path: str | None = None,
    kind: str = "Pod",
    host: str = "aks-nodepool1-0",
) -> Obj:
    involved: Obj = {"kind": kind, "namespace": ns, "name": obj_name, "apiVersion": "v1"}
    if field_path:
        involved["fieldPath"] = field_path
    name = f"{obj_name}.{hashlib.sha1(f'{reason}{message}'.encode()).hexdigest()[:16]}"
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": meta(name, ns, clock, age_days=minutes_ago / 1440),
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": host},
        "firstTimestamp": clock.ago(minutes=minutes_ago + 10),
        "lastTimestamp": clock.ago(minutes=minutes_ago),
        "count": count,
        "type": type_,
        "reportingComponent": "kubelet",
        "reportingInstance": host,
    }


def persistent_volume(
    clock: Clock,
    name: str,
    claim: tuple[str, str],
    *,
    phase: str,
    zone: str,
    size: str = "5Gi",
    policy: str = "Retain",
    storage_class: str = "vantiq-sc",
    age_days: float = 247,
) -> Obj:
    """An Azure disk PV bound (or once bound) to claim (namespace, name), pinned to a zone."""
    ns, claim_name = claim
    zone_term = {
        "matchExpressions": [{"key": "topology.disk.csi.azure.com/zone", "operator": "In", "values": [zone]}]
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": meta(name, None, clock, age_days=age_days),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "capacity": {"storage": size},
            "persistentVolumeReclaimPolicy": policy,
            "storageClassName": storage_class,
            "volumeMode": "Filesystem",
            "claimRef": {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "name": claim_name,
                "namespace": ns,
                "uid": f"uid-{claim_name}",
            },
            "csi": {"driver": "disk.csi.azure.com", "volumeHandle": f"/subscriptions/x/disks/{name}"},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [zone_term]}},
        },
        "status": {"phase": phase, "lastPhaseTransitionTime": clock.ago(days=6)},
    }
