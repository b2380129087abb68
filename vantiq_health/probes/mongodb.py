"""MongoDB with pymongo: log in to one member directly, `ping`, then `replSetGetStatus`.

`directConnection` to one reachable member: its `replSetGetStatus` reports every
member's state as that member sees it, so quorum is judged without resolving the
members' in-cluster names from where the suite runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pymongo import MongoClient
from pymongo.errors import OperationFailure, PyMongoError

from vantiq_health.probes import net
from vantiq_health.probes.result import AUTH_FAILED, ERROR, NOT_AUTHORIZED, TIMEOUT, ProbeResult, scrub

AUTH_CODES = {18: AUTH_FAILED, 13: NOT_AUTHORIZED}


@dataclass(frozen=True)
class Login:
    host: str
    port: int
    user: str
    password: str
    auth_source: str = "admin"


def probe(login: Login, timeout: float, vantage: str) -> ProbeResult:
    return net.timed(
        "mongodb",
        login.host,
        login.port,
        timeout,
        vantage,
        lambda result, address: _session(result, login, address, timeout),
    )


def _client(login: Login, address: str, timeout: float) -> MongoClient[dict[str, Any]]:
    ms = int(timeout * 1000)
    return MongoClient(
        address,
        login.port,
        directConnection=True,
        username=login.user,
        password=login.password,
        authSource=login.auth_source,
        serverSelectionTimeoutMS=ms,
        connectTimeoutMS=ms,
        socketTimeoutMS=ms,
        appname="vantiq-health",
        retryReads=False,
    )


def _failure(result: ProbeResult, exc: PyMongoError, login: Login) -> None:
    code = getattr(exc, "code", None)
    if isinstance(exc, OperationFailure):
        result.error_class = AUTH_CODES.get(code or 0, ERROR)
    else:
        result.error_class = TIMEOUT if "timed out" in str(exc).lower() else ERROR
    result.error = scrub(f"{exc} (code {code})" if code else str(exc), login.password)


def _session(result: ProbeResult, login: Login, address: str, timeout: float) -> None:
    client = _client(login, address, timeout)
    try:
        client.admin.command("ping")
        result.reached += ["auth", "query"]
    except PyMongoError as exc:
        _failure(result, exc, login)
        client.close()
        return
    try:
        status = client.admin.command("replSetGetStatus")
        result.data["set"] = status.get("set", "")
        result.data["members"] = [
            {k: m.get(k) for k in ("name", "stateStr", "health")} for m in status.get("members", [])
        ]
    except PyMongoError as exc:
        result.data["status_error"] = scrub(str(exc), login.password)
        result.data["status_code"] = getattr(exc, "code", None)
    finally:
        client.close()
