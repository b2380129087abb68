"""One broken variant of the baseline per failure mode, with the diagnosis it must produce."""

from __future__ import annotations

from tests.scenarios.installation import Scenario
from tests.scenarios.objects import b64, container, event, owner_ref, pod, secret
from tests.scenarios.variants import Variant, build


def _wl001_bad_image_rollout(sc: Scenario) -> None:
    """A rollout of metrics-collector with a mistyped image: the new pod cannot pull, the old one serves."""
    bad = container("metrics-collector", "vantiq/metrics-colector:1.39.8")
    new = pod(
        "metrics-collector-5d8f9c7b6-kq2zt",
        "prod",
        sc.clock,
        containers=[bad],
        statuses=[
            {
                "name": "metrics-collector",
                "image": bad["image"],
                "ready": False,
                "restartCount": 0,
                "started": False,
                "state": {
                    "waiting": {
                        "reason": "ImagePullBackOff",
                        "message": 'Back-off pulling image "vantiq/metrics-colector:1.39.8"',
                    }
                },
                "lastState": {},
            }
        ],
        labels={"app": "metrics-collector", "pod-template-hash": "5d8f9c7b6"},
        owner=owner_ref("ReplicaSet", "metrics-collector-5d8f9c7b6"),
        ready=False,
        phase="Pending",
        started_days_ago=0.01,
    )
    sc.add(new)


def _wl002_liveness_kills_slow_start(sc: Scenario) -> None:
    """Keycloak's liveness probe kills keycloak-1 before it finishes starting (it is up between kills)."""
    kc = sc.find("Pod", "shared", "keycloak-1")
    spec = kc["spec"]["containers"][0]
    spec["livenessProbe"] = {
        "httpGet": {"path": "/auth/", "port": 8080},
        "initialDelaySeconds": 30,
        "periodSeconds": 10,
        "failureThreshold": 3,
    }
    cs = kc["status"]["containerStatuses"][0]
    cs["restartCount"] = 3
    cs["state"] = {"running": {"startedAt": sc.clock.ago(seconds=40)}}
    cs["lastState"] = {
        "terminated": {
            "reason": "Error",
            "exitCode": 137,
            "startedAt": sc.clock.ago(seconds=190),
            "finishedAt": sc.clock.ago(seconds=45),
        }
    }
    sc.add(
        event(
            "shared",
            sc.clock,
            obj_name="keycloak-1",
            reason="Unhealthy",
            type_="Warning",
            count=9,
            minutes_ago=1,
            message='Liveness probe failed: Get "http://10.244.1.21:8080/auth/": dial tcp 10.244.1.21:8080: connect: connection refused',
            field_path="spec.containers{keycloak}",
            host="aks-nodepool1-1",
        )
    )
    sc.add(
        event(
            "shared",
            sc.clock,
            obj_name="keycloak-1",
            reason="Killing",
            type_="Normal",
            count=3,
            minutes_ago=1,
            message="Container keycloak failed liveness probe, will be restarted",
            field_path="spec.containers{keycloak}",
        )
    )


def _wl003_bootstrap_stuck(sc: Scenario) -> None:
    """mongodb-2's bootstrap peer finder hangs on DNS (the classic TCP fallback case)."""
    mongo = sc.find("Pod", "prod", "mongodb-2")
    mongo["status"]["phase"] = "Pending"
    mongo["status"]["initContainerStatuses"][0].update(
        ready=False, state={"running": {"startedAt": sc.clock.ago(minutes=23)}}
    )
    mongo["status"]["containerStatuses"][0].update(
        ready=False, started=False, state={"waiting": {"reason": "PodInitializing"}}
    )
    for cond in mongo["status"]["conditions"]:
        if cond["type"] in ("Ready", "ContainersReady", "Initialized"):
            cond["status"] = "False"
    sts = sc.find("StatefulSet", "prod", "mongodb")
    sts["status"].update(readyReplicas=2, availableReplicas=2)
    sc.logs[("prod", "mongodb-2", "bootstrap")] = (
        "2026/11/29 09:00:01 lookup mongodb on 10.0.0.10:53: read udp 10.244.2.31:41234->10.0.0.10:53: i/o timeout\n"
        "2026/11/29 09:00:31 lookup mongodb on 10.0.0.10:53: read udp 10.244.2.31:41234->10.0.0.10:53: i/o timeout\n"
    )


def _wl004_vantiq_pending(sc: Scenario) -> None:
    """vantiq-2 cannot be scheduled: the StatefulSet has 2 of 3 replicas ready."""
    vq = sc.find("Pod", "prod", "vantiq-2")
    vq["status"] = {
        "phase": "Pending",
        "conditions": [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient memory.",
            }
        ],
        "qosClass": "Burstable",
    }
    vq["spec"].pop("nodeName")
    sc.find("StatefulSet", "prod", "vantiq")["status"].update(readyReplicas=2, availableReplicas=2)


def _sec001_backup_secret_missing(sc: Scenario) -> None:
    """dbbackup-creds was never created: the next backup Job cannot start."""
    sc.remove("Secret", "prod", "dbbackup-creds")


def _sec002_password_with_newline(sc: Scenario) -> None:
    """The keycloak password was encoded with `echo pw | base64`: it ends in a newline."""
    sc.find("Secret", "prod", "keycloak")["data"]["password"] = b64("Kc-pr0d-s3cret\n")


def _sec003_license_updated(sc: Scenario) -> None:
    """A new license was deployed an hour ago; the vantiq pods still run with the old one."""
    lic = sc.find("Secret", "prod", "vantiq-license")
    lic["metadata"]["managedFields"][0]["time"] = sc.clock.ago(hours=1)


VARIANTS = [
    Variant(
        "wl001-bad-image",
        _wl001_bad_image_rollout,
        {
            ("WL001", "prod"): (
                "metrics-collector-5d8f9c7b6-kq2zt",
                "ImagePullBackOff",
                "vantiq/metrics-colector:1.39.8",
            )
        },
    ),
    Variant(
        "wl002-liveness",
        _wl002_liveness_kills_slow_start,
        {
            ("WL002", "shared"): (
                "keycloak-1",
                "liveness probe",
                "budget",
                "= 60 s",
                "kubectl edit sts keycloak -n shared",
            )
        },
    ),
    Variant(
        "wl003-bootstrap",
        _wl003_bootstrap_stuck,
        {
            ("WL003", "prod"): ("mongodb-2", "bootstrap", "NET001", "i/o timeout"),
            ("WL004", "prod"): ("StatefulSet prod/mongodb has 2/3 replicas ready",),
        },
    ),
    Variant(
        "wl004-pending",
        _wl004_vantiq_pending,
        {("WL004", "prod"): ("StatefulSet prod/vantiq has 2/3 replicas ready", "vantiq-2: Pending")},
    ),
    Variant(
        "sec001-missing",
        _sec001_backup_secret_missing,
        {("SEC001", "prod"): ("Secret prod/dbbackup-creds does not exist", "cronjob mongobackup")},
    ),
    Variant(
        "sec002-newline",
        _sec002_password_with_newline,
        {
            ("SEC002", "prod"): (
                "keycloak",
                "'password'",
                "ends with a newline",
                "15 bytes",
                "keycloak-init, env KEYCLOAK_PASSWORD",
            )
        },
    ),
    Variant(
        "sec003-license",
        _sec003_license_updated,
        {
            ("SEC003", "prod"): (
                "vantiq-license",
                "pod vantiq-0",
                "kubectl rollout restart sts/vantiq -n prod",
            )
        },
    ),
]


__all__ = ["VARIANTS", "Variant", "b64", "build", "secret"]
