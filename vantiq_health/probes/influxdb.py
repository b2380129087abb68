"""InfluxDB 1.x with the `influxdb` client: log in as telegraf and Grafana do, then read only.

What is read: `SHOW DATABASES` (the login step: it needs a valid user), `SHOW MEASUREMENTS`
of each database asked for, and per series the last point and the number of points in the
window (`SELECT ... ORDER BY time DESC LIMIT 1`, `SELECT count(*) ... WHERE time > now() - Nm`).
Nothing is written; the server's own clock decides what "recent" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from influxdb import InfluxDBClient
from influxdb.exceptions import InfluxDBClientError, InfluxDBServerError

from vantiq_health.probes import net
from vantiq_health.probes.result import (
    AUTH_FAILED,
    ERROR,
    NOT_AUTHORIZED,
    REFUSED,
    TIMEOUT,
    ProbeResult,
    scrub,
)

# (fragment of the server's or the client's message, error class), first match wins
_CLASSES = (
    ("authorization failed", AUTH_FAILED),  # 401 {"error":"authorization failed"}
    ("unable to parse authentication credentials", AUTH_FAILED),
    ("not authorized", NOT_AUTHORIZED),  # 403: a user without read on the database
    ("forbidden", NOT_AUTHORIZED),
    ("timed out", TIMEOUT),
    ("timeout", TIMEOUT),
    ("connection refused", REFUSED),
)


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str


@dataclass(frozen=True)
class Series:
    """One series to read: a measurement of a database, optionally narrowed by tag values."""

    database: str
    measurement: str
    tags: tuple[tuple[str, str], ...] = ()

    @property
    def key(self) -> str:
        where = "".join(f",{k}={v}" for k, v in self.tags)
        return f"{self.database}/{self.measurement}{where}"


def classify(message: str) -> str:
    for fragment, error_class in _CLASSES:
        if fragment in message.lower():
            return error_class
    return ERROR


def probe(
    login: Login, series: list[Series], window_minutes: int, timeout: float, vantage: str
) -> ProbeResult:
    """Resolve, connect, log in, read; the result says how far it got and what it read."""
    return net.timed(
        "influxdb",
        login.host,
        login.port,
        timeout,
        vantage,
        lambda result, address: _session(result, login, address, series, window_minutes, timeout),
    )


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _where(s: Series, window_minutes: int | None) -> str:
    terms = [f"{_quoted(k)} = {_literal(v)}" for k, v in s.tags]
    if window_minutes is not None:
        terms.append(f"time > now() - {int(window_minutes)}m")
    return f" WHERE {' AND '.join(terms)}" if terms else ""


def _session(
    result: ProbeResult, login: Login, address: str, series: list[Series], window: int, timeout: float
) -> None:
    client = InfluxDBClient(
        host=address,
        port=login.port,
        username=login.user,
        password=login.password,
        timeout=timeout,
        retries=1,
    )
    try:
        databases = sorted(str(p["name"]) for p in client.query("SHOW DATABASES").get_points())
        result.reached.append("auth")
        result.data.update(databases=databases, window_minutes=window)
        result.data.update(_read(client, series, databases, window))
        result.reached.append("query")
    except (InfluxDBClientError, InfluxDBServerError, requests.RequestException) as exc:
        text = str(exc)
        result.error_class, result.error = classify(text), scrub(text, login.password)
    finally:
        client.close()


def _read(client: Any, series: list[Series], databases: list[str], window: int) -> dict[str, Any]:
    """SHOW MEASUREMENTS per database, then the last point and the window's count per present series."""
    measurements: dict[str, list[str]] = {}
    for db in sorted({s.database for s in series} & set(databases)):
        found = client.query("SHOW MEASUREMENTS", database=db).get_points()
        measurements[db] = sorted(str(p["name"]) for p in found)
    read: dict[str, dict[str, Any]] = {}
    for s in series:
        if s.measurement not in measurements.get(s.database, []):
            continue
        table = _quoted(s.measurement)
        last = list(
            client.query(
                f"SELECT * FROM {table}{_where(s, None)} ORDER BY time DESC LIMIT 1", database=s.database
            ).get_points()
        )
        counted = list(
            client.query(f"SELECT count(*) FROM {table}{_where(s, window)}", database=s.database).get_points()
        )
        count = max(
            (int(v) for v in (counted[0] if counted else {}).values() if isinstance(v, int)), default=0
        )
        read[s.key] = {"last": last[0]["time"] if last else None, "count": count}
    return {"measurements": measurements, "series": read}
