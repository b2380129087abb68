"""HTTP services with urllib3: Keycloak's admin REST API (a master-realm token, then `GET` of realms).

Only the token endpoint is POSTed to (it stores nothing); everything else is a GET.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import quote, urlsplit

import urllib3

from vantiq_health.probes import net
from vantiq_health.probes.result import (
    AUTH_FAILED,
    ERROR,
    NOT_AUTHORIZED,
    TIMEOUT,
    TLS_FAILED,
    ProbeResult,
    scrub,
)


class _Failed(Exception):
    def __init__(self, error_class: str, text: str) -> None:
        super().__init__(text)
        self.error_class = error_class


class Session:
    def __init__(self, base_url: str, timeout: float, *, verify: bool = True) -> None:
        self.base = base_url.rstrip("/")
        self.pool = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            retries=False,
            cert_reqs="CERT_REQUIRED" if verify else "CERT_NONE",
        )

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self.pool.request(method, self.base + path, **kwargs)
        except urllib3.exceptions.SSLError as exc:
            raise _Failed(TLS_FAILED, f"TLS with {self.base}: {exc}") from None
        except (urllib3.exceptions.TimeoutError, TimeoutError) as exc:
            raise _Failed(TIMEOUT, f"{method} {path}: {exc}") from None
        except urllib3.exceptions.HTTPError as exc:
            raise _Failed(ERROR, f"{method} {path}: {exc}") from None
        if response.status in (401, 403):
            raise _Failed(
                AUTH_FAILED if response.status == 401 else NOT_AUTHORIZED,
                f"{method} {path}: {response.status} {_brief(response.data)}",
            )
        if response.status >= 400:
            raise _Failed(ERROR, f"{method} {path}: HTTP {response.status} {_brief(response.data)}")
        try:
            return json.loads(response.data or b"null")
        except ValueError:
            raise _Failed(ERROR, f"{method} {path}: not JSON: {_brief(response.data)}") from None

    def close(self) -> None:
        self.pool.clear()


def _brief(data: bytes) -> str:
    return data[:200].decode("utf-8", "replace").strip()


def keycloak_realms(
    base_url: str,
    user: str,
    password: str,
    realms: list[str],
    timeout: float,
    vantage: str,
    *,
    verify: bool = True,
) -> ProbeResult:
    """Log in to the master realm as the admin, then read each realm (all but master when none given)."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result = ProbeResult("keycloak", f"{parts.hostname}:{port}", vantage)
    started = time.monotonic()
    session = Session(base_url, timeout, verify=verify)
    try:
        if net.reach(result, parts.hostname or "", port, timeout) is None:
            return result
        if parts.scheme == "https":
            result.reached.append("tls")
        _admin_reads(session, result, user, password, realms)
    except _Failed as exc:
        result.error_class, result.error = exc.error_class, scrub(str(exc), password)
    finally:
        session.close()
        result.latency_ms = (time.monotonic() - started) * 1000
    return result


def _admin_reads(session: Session, result: ProbeResult, user: str, password: str, realms: list[str]) -> None:
    form = {"grant_type": "password", "client_id": "admin-cli", "username": user, "password": password}
    token = session.call(
        "POST", "/realms/master/protocol/openid-connect/token", fields=form, encode_multipart=False
    )
    if not isinstance(token, dict) or "access_token" not in token:
        raise _Failed(ERROR, "the token endpoint answered without an access_token")
    result.reached.append("auth")
    headers = {"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"}
    if not realms:
        listed = session.call("GET", "/admin/realms", headers=headers)
        realms = [r.get("realm", "") for r in listed or [] if r.get("realm") != "master"]
    found: dict[str, Any] = {}
    for realm in realms:
        try:
            doc = session.call("GET", f"/admin/realms/{quote(realm, safe='')}", headers=headers)
        except _Failed as exc:
            found[realm] = {"error": str(exc)}
            continue
        attributes = (doc or {}).get("attributes") or {}
        found[realm] = {"frontendUrl": attributes.get("frontendUrl") or None}
    result.data["realms"] = found
    result.reached.append("query")
