"""Grafana's MySQL with PyMySQL: log in as Grafana does, list the tables of its schema.

What is read: `SELECT 1`, `SELECT VERSION()` and the table names of the schema in
`information_schema.tables`; the session is read-only (`SET SESSION TRANSACTION
READ ONLY`) and bounded by the probe timeout (connect, read and write).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pymysql

from vantiq_health.probes import net
from vantiq_health.probes.result import (
    AUTH_FAILED,
    ERROR,
    NO_DATABASE,
    NOT_AUTHORIZED,
    REFUSED,
    TIMEOUT,
    ProbeResult,
    scrub,
)

TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY table_name"
# MySQL / MariaDB error numbers -> error class
_CODES = {
    1045: AUTH_FAILED,  # Access denied for user 'x'@'host' (using password: YES)
    1044: NOT_AUTHORIZED,  # Access denied for user 'x'@'host' to database 'y'
    1049: NO_DATABASE,  # Unknown database 'y'
    1130: NOT_AUTHORIZED,  # Host 'h' is not allowed to connect to this MySQL server
    2003: REFUSED,  # Can't connect to MySQL server
    2013: TIMEOUT,  # Lost connection during query
}


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    database: str
    user: str
    password: str


def classify(exc: pymysql.MySQLError) -> str:
    code = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    if code == 2003 and "timed out" in str(exc):
        return TIMEOUT
    return _CODES.get(code, ERROR)


def probe(login: Login, timeout: float, vantage: str) -> ProbeResult:
    """Resolve, connect, log in, list the schema's tables; the result says how far it got."""
    return net.timed(
        "grafanadb",
        login.host,
        login.port,
        timeout,
        vantage,
        lambda result, address: _session(result, login, address, timeout),
    )


def _connect(login: Login, address: str, timeout: float) -> Any:
    seconds = max(1, math.ceil(timeout))
    return pymysql.connect(
        host=address,
        port=login.port,
        user=login.user,
        password=login.password,
        database=login.database,
        connect_timeout=seconds,
        read_timeout=seconds,
        write_timeout=seconds,
        program_name="vantiq-health",
        init_command="SET SESSION TRANSACTION READ ONLY",
    )


def _session(result: ProbeResult, login: Login, address: str, timeout: float) -> None:
    try:
        conn = _connect(login, address, timeout)
    except pymysql.MySQLError as exc:
        result.error_class, result.error = classify(exc), scrub(str(exc), login.password)
        return
    try:
        result.reached.append("auth")
        with conn.cursor() as cur:
            cur.execute("SELECT VERSION()")
            result.data["server_version"] = str(cur.fetchone()[0])
            cur.execute(TABLES, (login.database,))
            result.data["tables"] = [str(row[0]) for row in cur.fetchall()]
            result.data["database"] = login.database
            result.reached.append("query")
    except pymysql.MySQLError as exc:
        result.error_class, result.error = classify(exc), scrub(str(exc), login.password)
    finally:
        conn.close()
