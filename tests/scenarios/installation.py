"""A realistic healthy Vantiq installation: `prod` (Vantiq, MongoDB) and `shared` (Keycloak, metrics).

`baseline()` is the cluster on which every check passes; `tests/scenarios/broken.py`
derives one broken variant per failure mode from it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tests.scenarios.certs import server_chain
from tests.scenarios.objects import (
    Clock,
    Obj,
    configmap,
    container,
    env_secret,
    event,
    init_done,
    meta,
    owner_ref,
    persistent_volume,
    pod,
    running,
    secret,
    workload,
)
from vantiq_health import helm

NODES = [
    ("aks-nodepool1-0", "10.240.0.4", "10.244.0"),
    ("aks-nodepool1-1", "10.240.0.5", "10.244.1"),
    ("aks-nodepool1-2", "10.240.0.6", "10.244.2"),
]
VANTIQ_IMAGE = "vantiq/vantiq-server:1.39.7"
DOMAIN = "vantiq.example.com"


@dataclass
class Scenario:
    clock: Clock
    objects: list[Obj] = field(default_factory=list)
    logs: dict[tuple[str, str, str], str] = field(default_factory=dict)
    version: str = "1.29"
    forbidden: list[tuple[str, str, str | None]] = field(default_factory=list)
    failing: list[tuple[str, str | None]] = field(default_factory=list)  # lists that answer 500
    # what the kubelets answer through the nodes proxy: (node, "stats/summary" | "configz") -> JSON
    node_docs: dict[tuple[str, str], Obj] = field(default_factory=dict)

    def find(self, kind: str, namespace: str | None, name: str) -> Obj:
        for obj in self.objects:
            md = obj["metadata"]
            if obj["kind"] == kind and md["name"] == name and md.get("namespace") == namespace:
                return obj
        raise KeyError(f"{kind} {namespace}/{name}")

    def remove(self, kind: str, namespace: str | None, name: str) -> None:
        self.objects.remove(self.find(kind, namespace, name))

    def add(self, *objs: Obj) -> None:
        self.objects.extend(objs)


# The notes' "To-Be" queries for containerd clusters (AKS 1.19 and later).
VANTIQ_RESOURCES: dict[str, Any] = {
    "title": "Vantiq Resources",
    "templating": {
        "list": [
            {
                "name": "pod",
                "query": 'show tag values from "kubernetes_pod_container" with key="pod_name" where pod_name =~ /vantiq-/',
            }
        ]
    },
    "panels": [
        {
            "title": "CPU utilization",
            "targets": [
                {
                    "rawQuery": True,
                    "query": 'SELECT mean("cpu_usage_nanocores") / 10000000 AS "cpu usage" FROM "kubernetes_pod_container" '
                    "WHERE (pod_name =~ /^$pod$/ AND namespace =~ /^$installation$/ and container_name =~ /^vantiq/) "
                    "AND $timeFilter GROUP BY pod_name, time($__interval) fill(none)",
                }
            ],
        }
    ],
}


def _node(name: str, ip: str, clock: Clock) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": meta(
            name,
            None,
            clock,
            age_days=90,
            labels={"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": f"japaneast-{name[-1]}"},
        ),
        "spec": {"podCIDR": f"10.244.{name[-1]}.0/24"},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "KubeletReady",
                    "lastHeartbeatTime": clock.ago(seconds=20),
                }
            ],
            "nodeInfo": {
                "containerRuntimeVersion": "containerd://1.7.15",
                "kubeletVersion": "v1.29.4",
                "osImage": "Ubuntu 22.04.4 LTS",
            },
        },
    }


def _lease(name: str, clock: Clock) -> Obj:
    return {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": meta(name, "kube-node-lease", clock, age_days=90),
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": 40,
            "renewTime": clock.now.strftime("%Y-%m-%dT%H:%M:%S.000000Z"),
        },
    }


def _statefulset_pods(
    sc: Scenario,
    name: str,
    ns: str,
    replicas: int,
    containers: list[Obj],
    init: list[Obj],
    volumes: list[Obj],
    node_offset: int = 0,
) -> None:
    labels = {"app": name}
    sc.add(
        workload(
            "StatefulSet",
            name,
            ns,
            sc.clock,
            replicas=replicas,
            labels=labels,
            template_spec={"containers": containers, "initContainers": init, "volumes": volumes},
        )
    )
    for i in range(replicas):
        node, _, net = NODES[(i + node_offset) % len(NODES)]
        sc.add(
            pod(
                f"{name}-{i}",
                ns,
                sc.clock,
                containers=containers,
                init_containers=init,
                volumes=volumes,
                statuses=[running(c["name"], c["image"], sc.clock) for c in containers],
                init_statuses=[init_done(c["name"], c["image"], sc.clock) for c in init],
                labels={**labels, "statefulset.kubernetes.io/pod-name": f"{name}-{i}"},
                owner=owner_ref("StatefulSet", name),
                node=node,
                ip=f"{net}.{20 + i + node_offset * 10}",
            )
        )


def _claim_templates(sc: Scenario, sts_name: str, ns: str, template: str, size: str) -> None:
    """volumeClaimTemplates on the StatefulSet, and the claim each pod mounts (TEMPLATE-STS-N)."""
    sts = sc.find("StatefulSet", ns, sts_name)
    claim_spec = {
        "accessModes": ["ReadWriteOnce"],
        "resources": {"requests": {"storage": size}},
        "storageClassName": "vantiq-sc",
    }
    sts["spec"]["volumeClaimTemplates"] = [
        {
            "apiVersion": "v1",
            "kind": "PersistentVolumeClaim",
            "metadata": {"name": template},
            "spec": claim_spec,
        }
    ]
    for obj in sc.objects:
        md = obj["metadata"]
        if obj["kind"] == "Pod" and md.get("namespace") == ns and md["name"].startswith(f"{sts_name}-"):
            obj["spec"]["volumes"].append(
                {"name": template, "persistentVolumeClaim": {"claimName": f"{template}-{md['name']}"}}
            )


def _claim_volume(sc: Scenario, deploy_name: str, ns: str, volume: str, claim: str) -> None:
    """A Deployment (its template and its pods) mounting a claim by name."""
    mount = {"name": volume, "persistentVolumeClaim": {"claimName": claim}}
    deploy = sc.find("Deployment", ns, deploy_name)
    specs = [deploy["spec"]["template"]["spec"]]
    specs += [
        o["spec"]
        for o in sc.objects
        if o["kind"] == "Pod"
        and o["metadata"].get("namespace") == ns
        and o["metadata"]["name"].startswith(f"{deploy_name}-7")
    ]
    for spec in specs:  # the builder may share one volumes list between template and pod
        volumes = spec.setdefault("volumes", [])
        if mount not in volumes:
            volumes.append(mount)


def _mount_volumes(sc: Scenario) -> None:
    """The database volumes, mounted as the charts do."""
    _claim_templates(sc, "mongodb", "prod", "datadir", "20Gi")
    _claim_templates(sc, "influxdb", "shared", "influxdb-data", "50Gi")
    _claim_volume(sc, "grafana", "shared", "storage", "grafana")
    _claim_volume(sc, "grafanadb-mysql", "shared", "data", "grafanadb-mysql")


def _deployment_pod(
    sc: Scenario,
    name: str,
    ns: str,
    containers: list[Obj],
    volumes: list[Obj] | None = None,
    node: int = 0,
    replicas: int = 1,
) -> None:
    labels = {"app": name}
    template_hash = "7fcf76474b"
    sc.add(
        workload(
            "Deployment",
            name,
            ns,
            sc.clock,
            replicas=replicas,
            labels=labels,
            template_spec={"containers": containers, "volumes": volumes or []},
        )
    )
    for i in range(replicas):
        node_name, _, net = NODES[(node + i) % len(NODES)]
        sc.add(
            pod(
                f"{name}-{template_hash}-{'wxhqf' if i == 0 else f'x{i}abc'}",
                ns,
                sc.clock,
                containers=containers,
                volumes=volumes,
                statuses=[running(c["name"], c["image"], sc.clock) for c in containers],
                labels={**labels, "pod-template-hash": template_hash},
                owner=owner_ref("ReplicaSet", f"{name}-{template_hash}"),
                node=node_name,
                ip=f"{net}.{50 + node + i}",
            )
        )


def _prod(sc: Scenario, ns: str = "prod") -> None:
    c = sc.clock
    keycloak_init = container(
        "keycloak-init",
        "vantiq/keycloak-init:1.2",
        env=[env_secret("KEYCLOAK_PASSWORD", "keycloak", "password")],
    )
    vantiq = container(
        "vantiq",
        VANTIQ_IMAGE,
        env=[
            env_secret("MONGO_PASSWORD", "vantiq-mongodb", "password"),
            env_secret("MONGO_USER", "vantiq-mongodb", "username"),
        ],
        volumeMounts=[
            {"name": "vantiq-license", "mountPath": "/opt/vantiq/config/license"},
            {"name": "vantiq-defaults", "mountPath": "/etc/default"},
            {"name": "vantiq-ssl-cert", "mountPath": "/opt/vantiq/config/ssl"},
        ],
        readinessProbe={
            "httpGet": {"path": "/api/v1/resources/health", "port": 8080},
            "initialDelaySeconds": 60,
            "periodSeconds": 10,
            "failureThreshold": 6,
        },
        livenessProbe={
            "httpGet": {"path": "/api/v1/resources/health", "port": 8080},
            "initialDelaySeconds": 180,
            "periodSeconds": 20,
            "failureThreshold": 3,
        },
    )
    volumes = [
        {"name": "vantiq-license", "secret": {"secretName": "vantiq-license", "defaultMode": 420}},
        {"name": "vantiq-defaults", "configMap": {"name": "vantiq-config", "defaultMode": 420}},
        {"name": "vantiq-ssl-cert", "secret": {"secretName": "vantiq-ssl-cert", "defaultMode": 420}},
    ]
    _statefulset_pods(sc, "vantiq", ns, 3, [vantiq], [keycloak_init], volumes)
    mongo = container(
        "mongodb",
        "bitnami/mongodb:4.4.15",
        env=[env_secret("MONGODB_ROOT_PASSWORD", "vantiq-mongodb", "root-password")],
        volumeMounts=[{"name": "datadir", "mountPath": "/data/db"}],
    )
    bootstrap = container(
        "bootstrap",
        "vantiq/mongodb-bootstrap:1.0",
        command=["/work-dir/peer-finder", "-on-start=/init/on-start.sh", "-service=mongodb"],
    )
    _statefulset_pods(sc, "mongodb", ns, 3, [mongo], [bootstrap], [], node_offset=1)
    _deployment_pod(
        sc,
        "metrics-collector",
        ns,
        [container("metrics-collector", "vantiq/metrics-collector:1.39.7")],
        node=2,
    )
    sc.add(
        secret("keycloak", ns, c, {"password": "Kc-pr0d-s3cret", "smtp.password": ""}),
        secret(
            "vantiq-mongodb",
            ns,
            c,
            {"username": "vantiq", "password": "M0ngo-pr0d", "root-password": "M0ngo-r00t"},
        ),
        secret(
            "vantiq-license",
            ns,
            c,
            {"license.key": "-----BEGIN VANTIQ LICENSE-----\nbGljZW5zZQ==\n-----END VANTIQ LICENSE-----\n"},
        ),
        secret(
            "vantiq-ssl-cert",
            ns,
            c,
            dict(zip(("tls.crt", "tls.key"), server_chain(DOMAIN, c.now), strict=True)),
            type_="kubernetes.io/tls",
        ),
        secret(
            "dbbackup-creds",
            ns,
            c,
            {
                "credentials": "export AZURE_STORAGE_ACCOUNT=vantiqbackup\nexport AZURE_STORAGE_KEY=c3RvcmFnZWtleQ==\n"
            },
        ),
        configmap("vantiq-config", ns, c, {"vantiq": "VANTIQ_OPTS=-Xmx4g\n"}),
        configmap(
            "kube-root-ca.crt",
            ns,
            c,
            {"ca.crt": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"},
        ),
    )
    for cj in ("mongobackup", "mongorestore", "userdbrestore"):
        sc.add(_cronjob(cj, ns, c, suspend=cj != "mongobackup"))
    sc.add(*_services(ns, c, [("vantiq", 8080, False), ("mongodb", 27017, True)]))
    sc.add(_ingress("vantiq", ns, c, DOMAIN, "vantiq", 8080))
    sc.add(
        event(
            ns,
            c,
            obj_name="vantiq-0",
            reason="Unhealthy",
            type_="Warning",
            count=3,
            minutes_ago=2870,
            message='Readiness probe failed: Get "http://10.244.0.20:8080/api/v1/resources/health": dial tcp 10.244.0.20:8080: connect: connection refused',
            field_path="spec.containers{vantiq}",
        )
    )
    sc.add(
        event(
            ns,
            c,
            obj_name="mongobackup-28890000",
            kind="Job",
            reason="Completed",
            message="Job completed",
            minutes_ago=300,
        )
    )


def _cronjob(name: str, ns: str, clock: Clock, *, suspend: bool) -> Obj:
    tmpl = {
        "containers": [
            container(
                name,
                "vantiq/mongo-tools:4.4",
                envFrom=[{"secretRef": {"name": "vantiq-mongodb"}}],
                volumeMounts=[{"name": "creds", "mountPath": "/creds"}],
            )
        ],
        "volumes": [{"name": "creds", "secret": {"secretName": "dbbackup-creds"}}],
        "restartPolicy": "OnFailure",
    }
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(name, ns, clock),
        "spec": {
            "schedule": "@daily",
            "suspend": suspend,
            "successfulJobsHistoryLimit": 3,
            "failedJobsHistoryLimit": 1,
            "concurrencyPolicy": "Forbid",
            "jobTemplate": {"spec": {"template": {"spec": tmpl}}},
        },
        "status": {"lastScheduleTime": clock.ago(hours=5), "lastSuccessfulTime": clock.ago(hours=5)}
        if not suspend
        else {},
    }


def _services(ns: str, clock: Clock, specs: list[tuple[str, int, bool]]) -> list[Obj]:
    out = []
    for name, port, headless in specs:
        spec: Obj = {
            "selector": {"app": name},
            "ports": [{"name": "main", "port": port, "targetPort": port, "protocol": "TCP"}],
            "type": "ClusterIP",
        }
        spec["clusterIP"] = "None" if headless else f"10.0.{len(name)}.{port % 250}"
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta(name, ns, clock), "spec": spec})
    return out


def _ingress(name: str, ns: str, clock: Clock, host: str, service: str, port: int) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": meta(name, ns, clock),
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [host], "secretName": "vantiq-ssl-cert"}],
            "rules": [
                {
                    "host": host,
                    "http": {
                        "paths": [
                            {
                                "path": "/",
                                "pathType": "Prefix",
                                "backend": {"service": {"name": service, "port": {"number": port}}},
                            }
                        ]
                    },
                }
            ],
        },
    }


def _shared(sc: Scenario, ns: str = "shared") -> None:
    c = sc.clock
    kc = container(
        "keycloak",
        "jboss/keycloak:15.0.2",
        env=[
            {"name": "DB_VENDOR", "value": "postgres"},
            {"name": "DB_ADDR", "value": "keycloak-pg.postgres.database.azure.com"},
            {"name": "DB_DATABASE", "value": "keycloak"},
            {"name": "DB_USER", "value": "keycloak@keycloak-pg"},
            env_secret("DB_PASSWORD", "keycloak-db", "password"),
            env_secret("KEYCLOAK_PASSWORD", "keycloak", "password"),
        ],
        readinessProbe={
            "httpGet": {"path": "/auth/realms/master", "port": 8080},
            "initialDelaySeconds": 30,
            "periodSeconds": 10,
            "failureThreshold": 3,
        },
    )
    _statefulset_pods(sc, "keycloak", ns, 3, [kc], [], [])
    grafana = container(
        "grafana",
        "grafana/grafana:8.1.8",
        volumeMounts=[{"name": "config", "mountPath": "/etc/grafana/grafana.ini", "subPath": "grafana.ini"}],
        env=[env_secret("GF_SECURITY_ADMIN_PASSWORD", "grafana", "admin-password")],
        readinessProbe={
            "httpGet": {"path": "/api/health", "port": 3000},
            "periodSeconds": 10,
            "failureThreshold": 6,
            "initialDelaySeconds": 30,
        },
    )
    _deployment_pod(
        sc, "grafana", ns, [grafana], [{"name": "config", "configMap": {"name": "grafana"}}], node=0
    )
    _deployment_pod(
        sc,
        "grafanadb-mysql",
        ns,
        [
            container(
                "mysql",
                "mysql:5.7.35",
                env=[env_secret("MYSQL_PASSWORD", "grafanadb-mysql", "mysql-password")],
            )
        ],
        node=0,
    )
    _statefulset_pods(
        sc,
        "influxdb",
        ns,
        1,
        [
            container(
                "influxdb",
                "influxdb:1.8.10",
                env=[env_secret("INFLUXDB_ADMIN_PASSWORD", "influxdb-auth", "influxdb-password")],
            )
        ],
        [],
        [],
    )
    _deployment_pod(
        sc,
        "telegraf-prom",
        ns,
        [
            container(
                "telegraf",
                "telegraf:1.19",
                env=[env_secret("INFLUXDB_PASSWORD", "influxdb-auth", "influxdb-password")],
            )
        ],
        node=1,
    )
    _deployment_pod(
        sc,
        "ingress-nginx-controller",
        ns,
        [container("controller", "registry.k8s.io/ingress-nginx/controller:v1.9.6")],
        node=1,
        replicas=2,
    )
    ds_labels = {"app": "telegraf-ds"}
    sc.add(workload("DaemonSet", "telegraf-ds", ns, c, replicas=3, labels=ds_labels))
    for i, (node, _, net) in enumerate(NODES):
        tc = container(
            "telegraf",
            "telegraf:1.19",
            env=[env_secret("INFLUXDB_PASSWORD", "influxdb-auth", "influxdb-password")],
        )
        sc.add(
            pod(
                f"telegraf-ds-{'abcde'[i]}x{i}q",
                ns,
                c,
                containers=[tc],
                statuses=[running("telegraf", "telegraf:1.19", c)],
                labels=ds_labels,
                owner=owner_ref("DaemonSet", "telegraf-ds"),
                node=node,
                ip=f"{net}.90",
            )
        )
    sc.add(
        secret("keycloak", ns, c, {"password": "Kc-admin-s3cret"}),
        secret("keycloak-db", ns, c, {"password": "Pg-s3cret-value"}),
        secret("grafana", ns, c, {"admin-user": "admin", "admin-password": "Gr4fana-adm1n"}),
        secret(
            "grafanadb-mysql", ns, c, {"mysql-password": "MySql-s3cret", "mysql-root-password": "MySql-r00t"}
        ),
        secret("influxdb-auth", ns, c, {"influxdb-user": "admin", "influxdb-password": "Infl8x-s3cret"}),
        configmap(
            "grafana",
            ns,
            c,
            {
                "grafana.ini": "[database]\ntype = mysql\nhost = grafanadb-mysql:3306\nname = grafana\nuser = grafana\n",
                "datasources.yaml": (
                    "apiVersion: 1\ndatasources:\n- name: InfluxDB\n  type: influxdb\n  access: proxy\n"
                    "  url: http://influxdb:8086\n  database: kubernetes\n  user: admin\n"
                    "  secureJsonData:\n    password: Infl8x-s3cret\n"
                ),
            },
        ),
        configmap(
            "kube-root-ca.crt",
            ns,
            c,
            {"ca.crt": "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n"},
        ),
        configmap(
            "grafana-dashboards-vantiq",
            ns,
            c,
            {"vantiq-resources.json": json.dumps(VANTIQ_RESOURCES, indent=1)},
            labels={"grafana_dashboard": "1"},
        ),
    )
    sc.add(
        *_services(
            ns,
            c,
            [
                ("keycloak", 8080, False),
                ("grafana", 3000, False),
                ("grafanadb-mysql", 3306, False),
                ("influxdb", 8086, False),
            ],
        )
    )
    sc.add(
        event(
            ns,
            c,
            obj_name="grafana-7fcf76474b-wxhqf",
            reason="Pulled",
            message='Container image "grafana/grafana:8.1.8" already present on machine',
            minutes_ago=2880,
        )
    )


def _helm_releases(sc: Scenario) -> None:
    for release, ns, manifest in (
        (
            "vantiq",
            "prod",
            _manifest(
                [
                    ("apps/v1", "StatefulSet", "vantiq"),
                    ("batch/v1", "CronJob", "mongobackup"),
                    ("policy/v1", "PodDisruptionBudget", "vantiq"),
                ],
                "prod",
            ),
        ),
        (
            "telegraf-prom",
            "shared",
            _manifest(
                [
                    ("apps/v1", "Deployment", "telegraf-prom"),
                    ("policy/v1", "PodDisruptionBudget", "telegraf-prom"),
                ],
                "shared",
            ),
        ),
    ):
        for revision in (1, 2):
            status = "deployed" if revision == 2 else "superseded"
            sc.add(
                _with_meta(helm.release_secret(_release(release, ns, revision, status, manifest)), sc.clock)
            )


def _manifest(objs: list[tuple[str, str, str]], ns: str) -> str:
    docs = [
        f"---\n# Source: chart/templates/{k.lower()}.yaml\napiVersion: {gv}\nkind: {k}\nmetadata:\n  name: {n}\n  namespace: {ns}\n"
        for gv, k, n in objs
    ]
    return "".join(docs)


def _release(name: str, ns: str, revision: int, status: str, manifest: str, **extra: Any) -> Obj:
    return {
        "name": name,
        "namespace": ns,
        "version": revision,
        "info": {
            "status": status,
            "first_deployed": "2026-01-10T10:00:00Z",
            "last_deployed": f"2026-0{revision}-10T10:00:00Z",
            "description": "Upgrade complete",
        },
        "chart": {"metadata": {"name": name, "version": f"1.{revision}.0", "appVersion": "1.39.7"}},
        "config": {"password": "Helm-values-s3cret"},
        "manifest": manifest,
        **extra,
    }


def _with_meta(obj: Obj, clock: Clock) -> Obj:
    obj["metadata"].setdefault("creationTimestamp", clock.ago(days=20))
    obj["metadata"].setdefault("resourceVersion", "1000")
    obj["metadata"].setdefault(
        "managedFields",
        [
            {
                "manager": "helm",
                "operation": "Update",
                "apiVersion": "v1",
                "time": clock.ago(days=20),
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:data": {}},
            }
        ],
    )
    return obj


def _storage(sc: Scenario) -> None:
    c = sc.clock
    sc.add(
        {
            "apiVersion": "storage.k8s.io/v1",
            "kind": "StorageClass",
            "metadata": meta("vantiq-sc", None, c),
            "provisioner": "disk.csi.azure.com",
            "reclaimPolicy": "Retain",
            "volumeBindingMode": "WaitForFirstConsumer",
            "parameters": {"skuName": "Premium_LRS"},
            "allowVolumeExpansion": True,
        }
    )
    claims = [("prod", f"datadir-mongodb-{i}", "20Gi", f"japaneast-{(i + 1) % 3}") for i in range(3)]
    claims += [
        ("shared", "grafana", "5Gi", "japaneast-0"),
        ("shared", "grafanadb-mysql", "5Gi", "japaneast-0"),
        ("shared", "influxdb-data-influxdb-0", "50Gi", "japaneast-0"),
    ]
    for ns, claim, size, zone in claims:
        digest = hashlib.sha256(f"{ns}/{claim}".encode()).hexdigest()
        pv_name = f"pvc-{digest[:8]}-7e3e-4a32-a5b3-{digest[8:20]}"
        sc.add(
            {
                "apiVersion": "v1",
                "kind": "PersistentVolumeClaim",
                "metadata": meta(claim, ns, c, annotations={"pv.kubernetes.io/bind-completed": "yes"}),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": size}},
                    "storageClassName": "vantiq-sc",
                    "volumeMode": "Filesystem",
                    "volumeName": pv_name,
                },
                "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}},
            },
            persistent_volume(c, pv_name, (ns, claim), phase="Bound", zone=zone, size=size, age_days=30),
        )


def _telegraf_rbac(sc: Scenario, ns: str) -> None:
    """telegraf's own ServiceAccounts and the notes' aggregated ClusterRole, as the controller fills it in."""
    for kind, name in (("DaemonSet", "telegraf-ds"), ("Deployment", "telegraf-prom")):
        sc.find(kind, ns, name)["spec"]["template"]["spec"]["serviceAccountName"] = name
    viewer = [{"apiGroups": [""], "resources": ["*"], "verbs": ["get", "list"]}]
    view = [
        {"apiGroups": [""], "resources": ["pods", "services", "endpoints"], "verbs": ["get", "list", "watch"]}
    ]
    role = "rbac.authorization.k8s.io/v1"
    sc.add(
        {
            "apiVersion": role,
            "kind": "ClusterRole",
            "metadata": meta("influx:cluster:viewer", None, sc.clock),
            "rules": viewer,
        },
        {"apiVersion": role, "kind": "ClusterRole", "metadata": meta("view", None, sc.clock), "rules": view},
        {
            "apiVersion": role,
            "kind": "ClusterRole",
            "metadata": meta("system:basic-user", None, sc.clock),
            "rules": [
                {
                    "apiGroups": ["authorization.k8s.io"],
                    "resources": ["selfsubjectaccessreviews"],
                    "verbs": ["create"],
                }
            ],
        },
        {
            "apiVersion": role,
            "kind": "ClusterRole",
            "metadata": meta("influx:telegraf", None, sc.clock),
            "aggregationRule": {
                "clusterRoleSelectors": [
                    {"matchLabels": {"rbac.authorization.k8s.io/aggregate-view-telegraf": "true"}}
                ]
            },
            "rules": viewer + view,
        },
        {
            "apiVersion": role,
            "kind": "ClusterRoleBinding",
            "metadata": meta("system:basic-user", None, sc.clock),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "system:basic-user",
            },
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}
            ],
        },
        {
            "apiVersion": role,
            "kind": "ClusterRoleBinding",
            "metadata": meta("influx:telegraf:viewer", None, sc.clock),
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "influx:telegraf",
            },
            "subjects": [
                {"kind": "ServiceAccount", "name": n, "namespace": ns}
                for n in ("telegraf-ds", "telegraf-prom")
            ],
        },
    )


def stats_summary(node: str, volumes: list[tuple[str, str, str, int, int]]) -> Obj:
    """A kubelet stats summary as the nodes proxy returns it: (ns, pod, claim, capacity, available) per volume."""
    pods: dict[tuple[str, str], list[Obj]] = {}
    for ns, pod_name, claim, capacity, available in volumes:
        pods.setdefault((ns, pod_name), []).append(
            {
                "time": "2026-11-29T09:00:00Z",
                "name": claim.split("-" + pod_name)[0],
                "capacityBytes": capacity,
                "availableBytes": available,
                "usedBytes": capacity - available,
                "pvcRef": {"name": claim, "namespace": ns},
            }
        )
    return {
        "node": {"nodeName": node, "fs": {"capacityBytes": 128 << 30, "availableBytes": 90 << 30}},
        "pods": [
            {"podRef": {"name": p, "namespace": ns, "uid": f"uid-{p}"}, "volume": vols}
            for (ns, p), vols in pods.items()
        ],
    }


def _metrics_pipeline(sc: Scenario) -> None:
    """MT004/MT006: telegraf logs that only start up and write; the InfluxDB volume 60% free."""
    started = "2026-11-29T08:00:00Z I! Starting Telegraf 1.19.3\n2026-11-29T08:00:00Z I! [agent] Config: Interval:30s\n"
    for obj in sc.objects:
        pod_name = obj["metadata"]["name"]
        if obj["kind"] == "Pod" and pod_name.startswith(("telegraf-ds-", "telegraf-prom-")):
            sc.logs[("shared", pod_name, "telegraf")] = started
    volume = ("shared", "influxdb-0", "influxdb-data-influxdb-0", 50 << 30, 30 << 30)
    sc.node_docs[(NODES[0][0], "stats/summary")] = stats_summary(NODES[0][0], [volume])


def baseline(clock: Clock | None = None) -> Scenario:
    """The healthy installation: every implemented check passes on it."""
    sc = Scenario(clock or Clock())
    for ns in ("prod", "shared", "kube-node-lease"):
        sc.add(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": meta(ns, None, sc.clock, age_days=90),
                "status": {"phase": "Active"},
            }
        )
    for name, ip, _ in NODES:
        sc.add(_node(name, ip, sc.clock), _lease(name, sc.clock))
    _prod(sc)
    _shared(sc)
    _mount_volumes(sc)
    _helm_releases(sc)
    _storage(sc)
    _telegraf_rbac(sc, "shared")
    _metrics_pipeline(sc)
    for i in range(3):  # KC001 reads every keycloak pod's log: an unread log is no clean log
        sc.logs[("shared", f"keycloak-{i}", "keycloak")] = (
            "12:13:01,951 INFO  [org.jboss.as] (Controller Boot Thread) WFLYSRV0025: Keycloak 15.0.2 started\n"
        )
    sc.logs[("prod", "mongodb-0", "bootstrap")] = (
        "2026/11/27 10:00:00 Peer list updated\n[mongodb-0.mongodb.prod.svc.cluster.local]\n"
    )
    return sc
