"""MT002 (static half) and MT009: where Grafana keeps its dashboards, and where its volumes live."""

from __future__ import annotations

import configparser
from dataclasses import dataclass
from urllib.parse import urlsplit

from vantiq_health.analysis.k8s import Obj, containers
from vantiq_health.analysis.storage import StorageContext
from vantiq_health.findings import Finding, finding

GRAFANA_INI = "grafana.ini"


@dataclass(frozen=True)
class GrafanaDatabase:
    type: str  # mysql, postgres, sqlite3
    host: str
    source: str  # where the setting comes from, as the operator would look it up


def _ini_database(text: str) -> dict[str, str]:
    parser = configparser.ConfigParser(
        strict=False, interpolation=None, inline_comment_prefixes=("#", ";"), comment_prefixes=("#", ";")
    )
    try:
        parser.read_string(text)
    except configparser.Error:
        return {}
    return dict(parser["database"]) if parser.has_section("database") else {}


def _env(workload: Obj | None) -> dict[str, str]:
    """Literal GF_DATABASE_* values of the Grafana containers: they override grafana.ini."""
    spec = (((workload or {}).get("spec") or {}).get("template") or {}).get("spec") or {}
    found = {}
    for c in containers(spec):
        for env in c.get("env") or []:
            if (
                isinstance(env, dict)
                and str(env.get("name", "")).startswith("GF_DATABASE_")
                and "value" in env
            ):
                found[str(env["name"])] = str(env["value"])
    return found


def grafana_database(configmap: Obj | None, workload: Obj | None, cm_name: str) -> GrafanaDatabase:
    """The database Grafana will use: GF_DATABASE_* env over grafana.ini's [database], else sqlite3."""
    env = _env(workload)
    ini = _ini_database(str(((configmap or {}).get("data") or {}).get(GRAFANA_INI, "")))
    if "GF_DATABASE_URL" in env:
        url = urlsplit(env["GF_DATABASE_URL"])
        return GrafanaDatabase(url.scheme or "sqlite3", url.hostname or "", "env GF_DATABASE_URL")
    if "GF_DATABASE_TYPE" in env:
        return GrafanaDatabase(
            env["GF_DATABASE_TYPE"], env.get("GF_DATABASE_HOST", ""), "env GF_DATABASE_TYPE"
        )
    if ini.get("url"):
        url = urlsplit(ini["url"])
        return GrafanaDatabase(
            url.scheme, url.hostname or "", f"ConfigMap {cm_name} {GRAFANA_INI} [database] url"
        )
    where = f"ConfigMap {cm_name} {GRAFANA_INI} [database]"
    return GrafanaDatabase(ini.get("type") or "sqlite3", ini.get("host", ""), where)


def dashboards_not_in_mysql(
    db: GrafanaDatabase, services: set[str], ns: str, grafana: str, expected_host: str
) -> list[Finding]:
    """MT002 static: Grafana must store its dashboards in MySQL (`host = grafanadb-mysql:3306`)."""
    fix = [
        f"kubectl get configmap -n {ns} {grafana} -o jsonpath='{{.data.grafana\\.ini}}'",
        f"kubectl rollout restart deployment/{grafana} -n {ns}",
    ]
    if db.type != "mysql":
        return [
            finding(
                "MT002",
                f"Grafana stores its dashboards in {db.type}, inside its own pod: they are lost on the next upgrade",
                [
                    f"{db.source}: type {'is empty (Grafana default sqlite3)' if db.type == 'sqlite3' else db.type}",
                    f"expected: type = mysql, host = {expected_host}",
                ],
                fix,
            )
        ]
    host = db.host.rsplit(":", 1)[0] if db.host else ""
    service = host.split(".")[0]
    in_cluster = host.count(".") == 0 or host.endswith((f".{ns}", f".{ns}.svc", ".svc.cluster.local", ".svc"))
    if not host or (in_cluster and service not in services):
        return [
            finding(
                "MT002",
                f"Grafana's MySQL host {db.host or '(empty: 127.0.0.1:3306 inside the Grafana pod)'} names no Service in {ns}",
                [
                    f"{db.source}: host {db.host or '(empty)'}",
                    f"Services in {ns}: {', '.join(sorted(services)) or 'none'}",
                ],
                fix,
            )
        ]
    return []


def volumes_in_different_zones(
    ctx: StorageContext, grafana: str, grafanadb: str
) -> tuple[list[Finding], list[str]]:
    """MT009: grafana and its database run on one node, so their volumes must share a zone."""
    zones = {w: ctx.zones_of(w) for w in (grafana, grafanadb)}
    facts = [
        f"{w}: volume zone(s) {', '.join(z) or 'unknown (not zonal, or no volume)'}" for w, z in zones.items()
    ]
    if not zones[grafana] or not zones[grafanadb] or set(zones[grafana]) & set(zones[grafanadb]):
        return [], facts
    return [
        finding(
            "MT009",
            f"{grafana} and {grafanadb} have volumes in different zones: the two pods must share a node, so one of them cannot be scheduled",
            facts,
            [f"kubectl get pvc -n {ctx.namespace} -o wide", "kubectl get pv -L topology.kubernetes.io/zone"],
        )
    ], facts
