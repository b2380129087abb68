"""Keycloak and MongoDB variants of the baseline (KC, MG), with the verdicts they must produce."""

from __future__ import annotations

from tests.scenarios.installation import Scenario
from tests.scenarios.objects import Obj, b64, meta, owner_ref, workload
from tests.scenarios.variants import Variant

# The log of 「Keycloak pod が起動しない」, as `kubectl logs -n shared keycloak-0` shows it
KEYCLOAK_PASSWORD_LOG = """\
Picked up JAVA_TOOL_OPTIONS: -XX:+UseContainerSupport -XX:MaxRAMPercentage=50.0
Added 'keycloak' to '/opt/jboss/keycloak/standalone/configuration/keycloak-add-user.json', restart server to load user
  Using PostgreSQL database
12:12:33,661 INFO  [org.jboss.modules] (CLI command executor) JBoss Modules version 1.10.0.Final
12:13:01,951 WARN  [org.jboss.jca.core.connectionmanager.pool.strategy.OnePool] (ServerService Thread Pool -- 65) IJ000604: Throwable while attempting to get a new connection: null: javax.resource.ResourceException: IJ031084: Unable to create connection
\tat org.jboss.ironjacamar.jdbcadapters@1.4.20.Final//org.jboss.jca.adapters.jdbc.local.LocalManagedConnectionFactory.createLocalManagedConnection(LocalManagedConnectionFactory.java:345)
Caused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user "keycloak"
\tat org.postgresql.jdbc@42.2.5//org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:514)
"""
KEYCLOAK_REFUSED_LOG = """\
12:20:11,102 WARN  [org.jboss.jca.core.connectionmanager.pool.strategy.OnePool] (ServerService Thread Pool -- 58) IJ000604: Throwable while attempting to get a new connection: null
Caused by: org.postgresql.util.PSQLException: Connection to keycloak-pg.postgres.database.azure.com:5432 refused. Check that the hostname and port are correct and that the postmaster is accepting TCP/IP connections.
Caused by: java.net.ConnectException: Connection refused (Connection refused)
"""
# 「keycloak-initでFailedとなる」
KEYCLOAK_INIT_LOG = """\
Logging into http://keycloak-http.shared.svc.cluster.local/auth as user keycloak of realm master
HTTPS required [invalid request]
"""
PUBLIC_IPS = ("52.140.0.4", "52.140.0.5", "52.140.0.6")


def _crash_loop(pod: Obj, container: str, restarts: int, *, init: bool = False) -> None:
    key = "initContainerStatuses" if init else "containerStatuses"
    for cs in pod["status"][key]:
        if cs["name"] == container:
            cs.update(
                ready=False,
                restartCount=restarts,
                state={"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s restarting"}},
                lastState={"terminated": {"reason": "Error", "exitCode": 1}},
            )
    pod["status"]["conditions"][1]["status"] = "False"
    if init:
        pod["status"]["phase"] = "Pending"
        for cs in pod["status"]["containerStatuses"]:
            cs.update(ready=False, state={"waiting": {"reason": "PodInitializing"}})


def _env(sc: Scenario, ns: str, pod_name: str, container: str) -> list[Obj]:
    pod = sc.find("Pod", ns, pod_name)
    return next(c for c in pod["spec"]["containers"] if c["name"] == container)["env"]


def _keycloak_env(sc: Scenario, var: str, value: str) -> None:
    for i in range(3):
        for item in _env(sc, "shared", f"keycloak-{i}", "keycloak"):
            if item["name"] == var:
                item.clear()
                item.update(name=var, value=value)


# -- KC ------------------------------------------------------------------------------------------------
def _kc001_wrong_password(sc: Scenario) -> None:
    for i in range(3):
        _crash_loop(sc.find("Pod", "shared", f"keycloak-{i}"), "keycloak", 2)
        sc.logs[("shared", f"keycloak-{i}", "keycloak")] = KEYCLOAK_PASSWORD_LOG
        sc.logs[("shared", f"keycloak-{i}", "keycloak:previous")] = KEYCLOAK_PASSWORD_LOG


def _kc001_refused(sc: Scenario) -> None:
    sc.logs[("shared", "keycloak-1", "keycloak")] += KEYCLOAK_REFUSED_LOG


def _kc003_user_without_server(sc: Scenario) -> None:
    _keycloak_env(sc, "DB_USER", "keycloak")


def _kc006_public_nodes(sc: Scenario) -> None:
    for node, ip in zip(_sorted_nodes(sc), PUBLIC_IPS, strict=True):
        node["status"]["addresses"][0]["address"] = ip
    pod = sc.find("Pod", "prod", "vantiq-0")
    _crash_loop(pod, "keycloak-init", 4, init=True)
    sc.logs[("prod", "vantiq-0", "keycloak-init")] = KEYCLOAK_INIT_LOG
    sc.logs[("prod", "vantiq-0", "keycloak-init:previous")] = KEYCLOAK_INIT_LOG


def _sorted_nodes(sc: Scenario) -> list[Obj]:
    return sorted((o for o in sc.objects if o["kind"] == "Node"), key=lambda o: o["metadata"]["name"])


# -- MG ------------------------------------------------------------------------------------------------
def _job(sc: Scenario, job_name: str, hours_ago: float, *, failed: bool) -> Obj:
    done = sc.clock.ago(hours=hours_ago)
    condition = (
        {
            "type": "Failed",
            "status": "True",
            "reason": "BackoffLimitExceeded",
            "message": "Job has reached the specified backoff limit",
        }
        if failed
        else {"type": "Complete", "status": "True"}
    )
    status: Obj = {"startTime": sc.clock.ago(hours=hours_ago + 0.1), "conditions": [condition]}
    status.update({"failed": 7} if failed else {"succeeded": 1, "completionTime": done})
    md = meta(job_name, "prod", sc.clock, age_days=hours_ago / 24)
    md["ownerReferences"] = [owner_ref("CronJob", "mongobackup", "batch/v1")]
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": md, "spec": {}, "status": status}


def _mg003_suspended(sc: Scenario) -> None:
    sc.find("CronJob", "prod", "mongobackup")["spec"]["suspend"] = True


def _mg003_stale_and_failing(sc: Scenario) -> None:
    cj = sc.find("CronJob", "prod", "mongobackup")
    cj["status"] = {"lastScheduleTime": sc.clock.ago(hours=6), "lastSuccessfulTime": sc.clock.ago(hours=54)}
    sc.add(
        _job(sc, "mongobackup-28887120", 54, failed=False),
        _job(sc, "mongobackup-28888560", 30, failed=True),
        _job(sc, "mongobackup-28890000", 6, failed=True),
    )


def _mg003_azure_key_missing(sc: Scenario) -> None:
    creds = sc.find("Secret", "prod", "dbbackup-creds")
    creds["data"]["credentials"] = b64("export AZURE_STORAGE_ACCOUNT=vantiqbackup\nAZURE_STORAGE_KEY=\n")


def _mg003_no_cronjob(sc: Scenario) -> None:
    sc.remove("CronJob", "prod", "mongobackup")


def _mg004_no_mongorestore(sc: Scenario) -> None:
    sc.remove("CronJob", "prod", "mongorestore")


def _mg004_userdb_without_restore(sc: Scenario) -> None:
    sc.remove("CronJob", "prod", "userdbrestore")
    sc.add(workload("StatefulSet", "userdb", "prod", sc.clock, replicas=0, labels={"app": "userdb"}))


VARIANTS = [
    Variant(
        "kc001-wrong-password",
        _kc001_wrong_password,
        fails={
            ("KC001", "shared"): (
                "Keycloak keycloak-0: PostgreSQL refuses the password Keycloak gives it",
                'FATAL: password authentication failed for user "keycloak"',
                "IJ031084: Unable to create connection",
                "DB_PASSWORD comes from Secret keycloak-db, key password",
                "CrashLoopBackOff",
                "kubectl rollout restart statefulset/keycloak -n shared",
            ),
            ("WL001", "shared"): ("keycloak-0", "CrashLoopBackOff"),  # the same crash, seen by the workloads
        },
    ),
    Variant(
        "kc001-connection-refused",
        _kc001_refused,
        fails={
            ("KC001", "shared"): (
                "Keycloak keycloak-1: ",
                "the database host refuses Keycloak's TCP connection",
                "Connection to keycloak-pg.postgres.database.azure.com:5432 refused",
            )
        },
    ),
    Variant(
        "kc003-azure-user-without-server",
        _kc003_user_without_server,
        fails={("KC003", "shared"): ("DB_USER keycloak has no @keycloak-pg", "dbUser: keycloak@keycloak-pg")},
    ),
    Variant(
        "kc006-public-node-addresses",
        _kc006_public_nodes,
        fails={
            ("KC006", "prod"): (
                "keycloak-init of vantiq-0 is refused by Keycloak with HTTPS required",
                "HTTPS required [invalid request]",
                "InternalIP 52.140.0.4 (PUBLIC)",
            ),
            # the same cause seen by the other checks: vantiq-0 cannot start, and NET003 names the nodes
            ("WL001", "prod"): ("vantiq-0",),
            ("WL002", "prod"): ("vantiq-0",),
            ("NET003", None): ("52.140.0.4", "HTTPS required"),
        },
    ),
    Variant(
        "mg003-suspended",
        _mg003_suspended,
        warns={
            ("MG003", "prod"): (
                "CronJob mongobackup is suspended",
                "kubectl patch cronjob mongobackup -n prod",
            )
        },
    ),
    Variant(
        "mg003-stale-and-failing",
        _mg003_stale_and_failing,
        warns={
            ("MG003", "prod"): (
                "the last successful backup of mongobackup is 2d6h ago, more than its schedule '@daily' allows (26.4 h)",
                "backup Job(s) failed since the last success: mongobackup-28888560, mongobackup-28890000",
                "BackoffLimitExceeded",
                "successfulJobsHistoryLimit 3",
            )
        },
    ),
    Variant(
        "mg003-azure-key-not-exported",
        _mg003_azure_key_missing,
        warns={
            ("MG003", "prod"): (
                "must export AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY",
                "AZURE_STORAGE_KEY not exported",
            )
        },
    ),
    Variant(
        "mg003-credentials-without-cronjob",
        _mg003_no_cronjob,
        warns={("MG003", "prod"): ("Secret dbbackup-creds) exist but there is no mongobackup CronJob",)},
    ),
    Variant(
        "mg004-no-mongorestore",
        _mg004_no_mongorestore,
        warns={
            ("MG004", "prod"): (
                "no CronJob mongorestore",
                "kubectl create job mongorestore --from=cronjob/mongorestore",
            )
        },
    ),
    Variant(
        "mg004-userdb-without-restore",
        _mg004_userdb_without_restore,
        warns={("MG004", "prod"): ("no CronJob userdbrestore",)},
    ),
]
