"""PostgreSQL with psycopg2: log in as the service does, `SELECT 1`, then read-only facts.

The session is read-only (`default_transaction_read_only`) and every statement is
bounded (`statement_timeout`). What is read: `pg_stat_activity` for the login's own
user and the server's `tcp_keepalives_*` (KC004).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import psycopg2

from vantiq_health.probes import net
from vantiq_health.probes.result import (
    AUTH_FAILED,
    ERROR,
    NO_DATABASE,
    NOT_AUTHORIZED,
    REFUSED,
    TIMEOUT,
    TLS_FAILED,
    TLS_REQUIRED,
    ProbeResult,
    scrub,
)

ACTIVITY = """
SELECT coalesce(host(client_addr), 'local'), coalesce(state, ''), count(*)
FROM pg_stat_activity WHERE usename = current_user AND pid <> pg_backend_pid()
GROUP BY 1, 2 ORDER BY 1, 2
"""
KEEPALIVES = ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count")
# (fragment of the server's or libpq's message, error class), first match wins
_CLASSES = (
    ("password authentication failed", AUTH_FAILED),
    ("SSL connection is required", TLS_REQUIRED),  # Azure Database for PostgreSQL
    ("no encryption", TLS_REQUIRED),  # pg_hba.conf: hostssl only
    ("SSL off", TLS_REQUIRED),
    ("server does not support SSL", TLS_FAILED),
    ("certificate", TLS_FAILED),
    ("SSL", TLS_FAILED),
    ("does not exist", NO_DATABASE),  # database "x" does not exist (role: auth failed first)
    ("permission denied", NOT_AUTHORIZED),
    ("not permitted to log in", NOT_AUTHORIZED),
    ("no pg_hba.conf entry", NOT_AUTHORIZED),
    ("timeout expired", TIMEOUT),
    ("Connection refused", REFUSED),
)


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    database: str
    user: str
    password: str
    sslmode: str | None = None  # None: libpq's default (prefer)


def classify(message: str) -> str:
    for fragment, error_class in _CLASSES:
        if fragment.lower() in message.lower():
            return error_class
    return ERROR


def probe(login: Login, timeout: float, vantage: str) -> ProbeResult:
    """Resolve, connect, log in, query; the result says how far it got."""
    return net.timed(
        "postgres",
        login.host,
        login.port,
        timeout,
        vantage,
        lambda result, address: _session(result, login, address, timeout),
    )


def _connect(login: Login, address: str, timeout: float) -> Any:
    statement_ms = int(timeout * 1000)
    return psycopg2.connect(
        host=login.host,
        hostaddr=address,
        port=login.port,
        dbname=login.database,
        user=login.user,
        password=login.password,
        sslmode=login.sslmode or "prefer",
        connect_timeout=max(2, math.ceil(timeout)),  # libpq counts whole seconds, at least 2
        application_name="vantiq-health",
        options=f"-c statement_timeout={statement_ms} -c default_transaction_read_only=on",
    )


def _session(result: ProbeResult, login: Login, address: str, timeout: float) -> None:
    try:
        conn = _connect(login, address, timeout)
    except psycopg2.Error as exc:
        text = str(exc)
        result.error_class, result.error = classify(text), scrub(text, login.password)
        return
    try:
        if conn.info.ssl_in_use:
            result.reached.append("tls")
        result.reached.append("auth")
        with conn.cursor() as cur:
            cur.execute("SELECT 1")
            cur.fetchone()
            result.reached.append("query")
            result.data.update(_facts(cur))
    except psycopg2.Error as exc:
        result.error_class, result.error = classify(str(exc)), scrub(str(exc), login.password)
    finally:
        conn.close()


def _facts(cur: Any) -> dict[str, Any]:
    cur.execute(ACTIVITY)
    activity = [{"client": c, "state": s, "count": int(n)} for c, s, n in cur.fetchall()]
    keepalives = {}
    for name in KEEPALIVES:
        cur.execute(f"SHOW {name}")
        keepalives[name] = int(cur.fetchone()[0])
    cur.execute("SHOW server_version")
    return {"activity": activity, "keepalives": keepalives, "server_version": cur.fetchone()[0]}
