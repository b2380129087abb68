"""KC002/KC004: what the live PostgreSQL probe with Keycloak's credentials means for the operator."""

from __future__ import annotations

from vantiq_health.analysis.keycloak import KeycloakDb
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes import result as r
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

LINUX_KEEPALIVE = {"tcp_keepalives_idle": 7200, "tcp_keepalives_interval": 75, "tcp_keepalives_count": 9}


def _diagnosis(db: KeycloakDb, res: ProbeResult, ns: str) -> tuple[str, list[str]]:
    user, database = db.user.shown, db.database.shown
    secret_fix = []
    if db.password.secret:
        secret, key = db.password.secret
        secret_fix = [
            f"kubectl get secret -n {ns} {secret} -o jsonpath='{{.data.{key}}}' | base64 -d | wc -c"
            "   # its length; compare the value with the database's password privately",
            f"kubectl rollout restart sts/keycloak -n {ns}   # after correcting the Secret: env values are read at start",
        ]
    target = res.target
    table: dict[str, tuple[str, list[str]]] = {
        r.DNS: (
            msg("KC002.dns", host=target.rpartition(":")[0]),
            [msg("KC002.dns_fix_addr"), msg("KC002.dns_fix_dns")],
        ),
        r.TIMEOUT: (msg("KC002.timeout", target=target), [msg("KC002.timeout_fix")]),
        r.REFUSED: (msg("KC002.refused", target=target), [msg("KC002.refused_fix")]),
        r.UNREACHABLE: (msg("KC002.unreachable", target=target), [msg("KC002.unreachable_fix")]),
        r.TLS_REQUIRED: (msg("KC002.tls_required"), [msg("KC002.tls_required_fix")]),
        r.TLS_FAILED: (msg("KC002.tls_failed", target=target), [msg("KC002.tls_failed_fix")]),
        r.AUTH_FAILED: (
            msg("KC002.auth_failed", user=user, source=db.password_source()),
            [*secret_fix, msg("KC002.auth_failed_fix")],
        ),
        r.NO_DATABASE: (
            msg("KC002.no_database", database=database, target=target),
            [f"CREATE DATABASE {database} OWNER {user};   -- or correct DB_DATABASE"],
        ),
        r.NOT_AUTHORIZED: (
            msg("KC002.not_authorized", user=user, database=database, target=target),
            [f"GRANT CONNECT ON DATABASE {database} TO {user};   -- or the server's pg_hba/firewall rules"],
        ),
    }
    return table.get(res.error_class, (msg("KC002.failed_at", step=res.failed_at), []))


def login_findings(db: KeycloakDb, res: ProbeResult, ns: str) -> list[Finding]:
    """KC002: Keycloak's credentials log in and `SELECT 1` answers, or which step fails and why."""
    if res.ok:
        return []
    diagnosis, fix = _diagnosis(db, res, ns)
    evidence = [
        res.describe(),
        msg("KC002.server_said", error=res.error),
        msg(
            "KC002.settings",
            pod=db.pod,
            addr=db.addr.source,
            user=db.user.shown,
            database=db.database.shown,
            password=db.password_source(),
            sslmode=db.sslmode or msg("KC002.driver_default"),
        ),
    ]
    return [finding("KC002", msg("KC002.cannot_log_in", diagnosis=diagnosis), evidence, fix)]


def login_facts(db: KeycloakDb, res: ProbeResult) -> list[str]:
    if not res.ok:
        return []
    return [
        msg(
            "KC002.logged_in",
            user=db.user.shown,
            target=f"{res.target}/{db.database.shown}",
            vantage=res.vantage,
            steps=" → ".join(res.reached),
            ms=f"{res.latency_ms:.0f}",
            version=res.data.get("server_version", "?"),
        )
    ]


def require_login(res: ProbeResult) -> None:
    """KC004 reads the server through the KC002 login: without it there is nothing to judge."""
    if not res.ok:
        raise Unavailable(
            msg("KC004.no_session", target=res.target, error_class=res.error_class, error=res.error)
        )


def pool_findings(res: ProbeResult, pool_max: int, middlebox_idle: int) -> tuple[list[Finding], list[str]]:
    """KC004: connections per client address within the pool, keepalives before the middlebox cuts."""
    per_client: dict[str, dict[str, int]] = {}
    for row in res.data.get("activity", []):
        counts = per_client.setdefault(row["client"], {"total": 0, "idle": 0})
        counts["total"] += row["count"]
        if row["state"] == "idle":
            counts["idle"] += row["count"]
    found = [
        finding(
            "KC004",
            msg("KC004.too_many", total=c["total"], client=client, pool_max=pool_max),
            [msg("KC004.activity", client=client, total=c["total"], idle=c["idle"])],
            [
                "SELECT client_addr, state, count(*) FROM pg_stat_activity WHERE usename='keycloak' GROUP BY 1, 2;"
            ],
        )
        for client, c in sorted(per_client.items())
        if c["total"] > pool_max
    ]
    keep = {k: v or LINUX_KEEPALIVE[k] for k, v in res.data.get("keepalives", {}).items()}
    idle = sum(c["idle"] for c in per_client.values())
    first_probe = keep.get("tcp_keepalives_idle", LINUX_KEEPALIVE["tcp_keepalives_idle"])
    if idle and first_probe >= middlebox_idle:
        found.append(
            finding(
                "KC004",
                msg("KC004.keepalive_late", idle=idle, first=first_probe, middlebox=middlebox_idle),
                [
                    msg(
                        "KC004.server_keepalives",
                        values=", ".join(f"{k}={v}" for k, v in res.data.get("keepalives", {}).items()),
                    )
                ],
                [
                    f"ALTER SYSTEM SET tcp_keepalives_idle = {max(30, middlebox_idle // 2)}; SELECT pg_reload_conf();"
                    "   -- Azure: the server parameter tcp_keepalives_idle"
                ],
            )
        )
    facts: list[str] = [
        msg("KC004.client", client=client, total=c["total"], idle=c["idle"])
        for client, c in sorted(per_client.items())
    ]
    facts.append(msg("KC004.effective", values=", ".join(f"{k}={v}" for k, v in keep.items())))
    return found, facts
