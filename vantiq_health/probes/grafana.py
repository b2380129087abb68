"""Grafana's HTTP API with the admin login (basic auth): data sources and dashboards, GETs only.

`GET /api/datasources` and `/api/datasources/uid/UID` of each InfluxDB source (MT001);
`GET /api/search?type=dash-db` and `GET /api/dashboards/uid/UID` of each dashboard found (MT007).
The record keeps no credential: of a data source only its name, type, URL, and
whether a user and a password are set; of a dashboard its uid, title and model.
"""

from __future__ import annotations

import base64
import time
from typing import Any
from urllib.parse import quote, urlsplit

from vantiq_health.probes import net
from vantiq_health.probes.http import Session, _Failed
from vantiq_health.probes.result import ERROR, ProbeResult, scrub

MAX_DASHBOARDS = 200  # a Grafana with more is read up to this many, and says so


def _datasource(ds: Any) -> dict[str, Any]:
    """What MT001 reads of a data source (the API also answers legacy plain-text password fields)."""
    if not isinstance(ds, dict):
        return {}
    raw = ds.get("secureJsonFields")
    secure: dict[str, Any] = raw if isinstance(raw, dict) else {}
    return {
        "name": str(ds.get("name", "")),
        "type": str(ds.get("type", "")),
        "url": str(ds.get("url", "")),
        "has_user": bool(ds.get("user") or ds.get("basicAuthUser")),
        "has_password": bool(secure.get("password") or secure.get("basicAuthPassword") or ds.get("password")),
    }


def _detailed(session: Session, ds: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
    """An InfluxDB source as `GET /api/datasources/uid/UID` has it: the list omits `secureJsonFields`."""
    if str(ds.get("type", "")).lower() != "influxdb" or not ds.get("uid"):
        return _datasource(ds)
    try:
        one = session.call("GET", f"/api/datasources/uid/{quote(str(ds['uid']), safe='')}", headers=headers)
    except _Failed:
        return _datasource(ds)
    return _datasource(one if isinstance(one, dict) else ds)


def grafana(
    base_url: str, user: str, password: str, timeout: float, vantage: str, *, verify: bool = True
) -> ProbeResult:
    """Log in with basic auth, read the data sources, then each dashboard's model."""
    parts = urlsplit(base_url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    result = ProbeResult("grafana", f"{parts.hostname}:{port}", vantage)
    started = time.monotonic()
    session = Session(base_url, timeout, verify=verify)
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {"Authorization": f"Basic {token}", "Accept": "application/json"}
    try:
        if net.reach(result, parts.hostname or "", port, timeout) is None:
            return result
        if parts.scheme == "https":
            result.reached.append("tls")
        _reads(session, result, headers)
    except _Failed as exc:
        result.error_class, result.error = exc.error_class, scrub(str(exc), password, token)
    finally:
        session.close()
        result.latency_ms = (time.monotonic() - started) * 1000
    return result


def _reads(session: Session, result: ProbeResult, headers: dict[str, str]) -> None:
    sources = session.call("GET", "/api/datasources", headers=headers)
    if not isinstance(sources, list):
        raise _Failed(ERROR, "GET /api/datasources: the answer is not a list of data sources")
    result.reached.append("auth")
    result.data["datasources"] = [_detailed(session, ds, headers) for ds in sources if isinstance(ds, dict)]
    found = session.call("GET", "/api/search", fields={"type": "dash-db"}, headers=headers)
    hits = [h for h in found if isinstance(h, dict) and h.get("uid")] if isinstance(found, list) else []
    dashboards: list[dict[str, Any]] = []
    for hit in hits[:MAX_DASHBOARDS]:
        uid = str(hit["uid"])
        try:
            doc = session.call("GET", f"/api/dashboards/uid/{quote(uid, safe='')}", headers=headers)
        except _Failed as exc:
            dashboards.append({"uid": uid, "title": str(hit.get("title", "")), "error": str(exc)})
            continue
        model = doc.get("dashboard") if isinstance(doc, dict) else None
        if isinstance(model, dict):
            dashboards.append(
                {"uid": uid, "title": str(model.get("title") or hit.get("title", "")), "model": model}
            )
    result.data["dashboards"] = dashboards
    result.data["dashboards_total"] = len(hits)
    result.reached.append("query")
