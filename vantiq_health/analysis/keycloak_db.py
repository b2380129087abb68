"""KC002/KC004: what the live PostgreSQL probe with Keycloak's credentials means for the operator."""

from __future__ import annotations

from vantiq_health.analysis.keycloak import KeycloakDb
from vantiq_health.findings import Finding, finding
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
    table: dict[str, tuple[str, list[str]]] = {
        r.DNS: (
            f"the database host {res.target.rpartition(':')[0]} does not resolve",
            ["check DB_ADDR (keycloak.keycloak.persistence.dbHost) for a typo", "check the cluster's DNS"],
        ),
        r.TIMEOUT: (
            f"TCP connect to {res.target} times out: a firewall, NSG or the server's network rules drop the traffic",
            ["allow the cluster's node/pod addresses in the database server's firewall or VNet rules"],
        ),
        r.REFUSED: (
            f"nothing accepts connections at {res.target}",
            ["check DB_PORT / the port in DB_ADDR and that the server is running"],
        ),
        r.UNREACHABLE: (f"no route to {res.target}", ["check the network path from the cluster"]),
        r.TLS_REQUIRED: (
            "the server requires TLS and Keycloak's JDBC_PARAMS do not ask for it",
            ["set JDBC_PARAMS to ?sslmode=require (or ?ssl=true) in the keycloak env and restart Keycloak"],
        ),
        r.TLS_FAILED: (
            f"the TLS handshake with {res.target} fails",
            ["compare JDBC_PARAMS' sslmode with what the server offers"],
        ),
        r.AUTH_FAILED: (
            f"PostgreSQL refuses the password for user {user}; DB_PASSWORD comes from {db.password_source()}",
            [*secret_fix, "Azure single server: the user must be user@servername (KC003)"],
        ),
        r.NO_DATABASE: (
            f"database {database} does not exist on {res.target}",
            [f"CREATE DATABASE {database} OWNER {user};   -- or correct DB_DATABASE"],
        ),
        r.NOT_AUTHORIZED: (
            f"user {user} may not use database {database} on {res.target}",
            [f"GRANT CONNECT ON DATABASE {database} TO {user};   -- or the server's pg_hba/firewall rules"],
        ),
    }
    return table.get(res.error_class, (f"the probe failed at {res.failed_at}", []))


def login_findings(db: KeycloakDb, res: ProbeResult, ns: str) -> list[Finding]:
    """KC002: Keycloak's credentials log in and `SELECT 1` answers, or which step fails and why."""
    if res.ok:
        return []
    diagnosis, fix = _diagnosis(db, res, ns)
    evidence = [
        res.describe(),
        f"server said: {res.error}",
        f"settings of {db.pod}: DB_ADDR from {db.addr.source}, DB_USER {db.user.shown}, "
        f"DB_DATABASE {db.database.shown}, DB_PASSWORD from {db.password_source()}, "
        f"sslmode {db.sslmode or 'driver default'}",
    ]
    return [finding("KC002", f"Keycloak cannot log in to PostgreSQL: {diagnosis}", evidence, fix)]


def login_facts(db: KeycloakDb, res: ProbeResult) -> list[str]:
    if not res.ok:
        return []
    return [
        f"logged in as {db.user.shown} to {res.target}/{db.database.shown} from {res.vantage}: "
        f"{' → '.join(res.reached)} in {res.latency_ms:.0f} ms (PostgreSQL {res.data.get('server_version', '?')})"
    ]


def require_login(res: ProbeResult) -> None:
    """KC004 reads the server through the KC002 login: without it there is nothing to judge."""
    if not res.ok:
        raise Unavailable(f"no session on {res.target}: {res.error_class} ({res.error}) — see KC002")


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
            f"{c['total']} connections of the keycloak user from {client}: more than the pool's maximum "
            f"({pool_max}); connections leak or several pools share the address",
            [f"pg_stat_activity: {client} {c['total']} connections, {c['idle']} idle"],
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
                f"{idle} idle connection(s) send their first keepalive after {first_probe} s, a middlebox "
                f"dropping idle flows after {middlebox_idle} s cuts them first",
                [
                    f"server: {', '.join(f'{k}={v}' for k, v in res.data.get('keepalives', {}).items())} (0 = OS default)"
                ],
                [
                    f"ALTER SYSTEM SET tcp_keepalives_idle = {max(30, middlebox_idle // 2)}; SELECT pg_reload_conf();"
                    "   -- Azure: the server parameter tcp_keepalives_idle"
                ],
            )
        )
    facts = [
        f"{client}: {c['total']} connection(s), {c['idle']} idle" for client, c in sorted(per_client.items())
    ]
    facts.append("keepalives (effective): " + ", ".join(f"{k}={v}" for k, v in keep.items()))
    return found, facts
