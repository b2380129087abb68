"""MT002 (static half) and MT009: where Grafana keeps its dashboards, and where its volumes live."""

from __future__ import annotations

import configparser
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import yaml

from vantiq_health.analysis.k8s import Obj, containers, name
from vantiq_health.analysis.storage import StorageContext
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg

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
                msg("MT002.in_pod", type=db.type),
                [
                    msg("MT002.type_empty", source=db.source)
                    if db.type == "sqlite3"
                    else msg("MT002.type_is", source=db.source, type=db.type),
                    msg("MT002.expected", host=expected_host),
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
                msg("MT002.no_service", host=db.host or msg("MT002.host_empty_pod"), namespace=ns),
                [
                    msg("MT002.host_is", source=db.source, host=db.host or msg("MT002.host_empty")),
                    msg("MT002.services_in", namespace=ns, services=sorted(services) or msg("MT002.none")),
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
        msg("MT009.zones", workload=w, zones=list(z) or msg("MT009.zones_unknown")) for w, z in zones.items()
    ]
    if not zones[grafana] or not zones[grafanadb] or set(zones[grafana]) & set(zones[grafanadb]):
        return [], facts
    return [
        finding(
            "MT009",
            msg("MT009.different_zones", grafana=grafana, grafanadb=grafanadb),
            facts,
            [f"kubectl get pvc -n {ctx.namespace} -o wide", "kubectl get pv -L topology.kubernetes.io/zone"],
        )
    ], facts


# -- MT001: the InfluxDB data source ------------------------------------------------------------
@dataclass(frozen=True)
class DataSource:
    name: str
    url: str
    has_user: bool
    has_password: bool
    source: str  # ConfigMap and key it was provisioned from


def provisioned_datasources(configmaps: list[Obj]) -> list[DataSource]:
    """InfluxDB data sources from provisioning files in ConfigMaps (the chart's datasources.yaml, sidecars)."""
    found = []
    for cm in configmaps:
        for key, text in (cm.get("data") or {}).items():
            if not (isinstance(text, str) and key.endswith((".yaml", ".yml")) and "datasources" in text):
                continue
            for ds in _yaml_list(text, "datasources"):
                if str(ds.get("type", "")).lower() != "influxdb":
                    continue
                raw_secure = ds.get("secureJsonData")
                secure: dict[str, Any] = raw_secure if isinstance(raw_secure, dict) else {}
                found.append(
                    DataSource(
                        str(ds.get("name", "")),
                        str(ds.get("url", "")),
                        bool(ds.get("user") or ds.get("basicAuthUser")),
                        bool(ds.get("password") or secure.get("password") or secure.get("basicAuthPassword")),
                        f"ConfigMap {name(cm)} {key}",
                    )
                )
    return found


def _yaml_list(text: str, key: str) -> list[dict[str, Any]]:
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    items = doc.get(key) if isinstance(doc, dict) else None
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def datasource_findings(
    sources: list[DataSource], services: set[str], ns: str, influx_auth: bool, grafana: str
) -> list[Finding]:
    """MT001: each InfluxDB data source names an existing Service and, when InfluxDB wants auth, has credentials."""
    found = []
    for ds in sources:
        host = urlsplit(ds.url).hostname or ""
        in_cluster = host.count(".") == 0 or ".svc" in host
        if not host or (in_cluster and host.split(".")[0] not in services):
            found.append(
                finding(
                    "MT001",
                    msg(
                        "MT001.no_service",
                        name=repr(ds.name),
                        url=ds.url or msg("MT001.no_url"),
                        namespace=ns,
                    ),
                    [
                        msg("MT001.url_evidence", source=ds.source, url=ds.url or msg("MT001.url_none")),
                        msg(
                            "MT001.services_in", namespace=ns, services=sorted(services) or msg("MT001.none")
                        ),
                    ],
                    [f"kubectl get svc -n {ns}", f"kubectl rollout restart deployment/{grafana} -n {ns}"],
                )
            )
        if influx_auth and not (ds.has_user and ds.has_password):
            missing = msg(
                "MT001.user_and_password"
                if not (ds.has_user or ds.has_password)
                else "MT001.user"
                if not ds.has_user
                else "MT001.password"
            )
            found.append(
                finding(
                    "MT001",
                    msg("MT001.no_credentials", name=repr(ds.name), missing=missing),
                    [msg("MT001.not_set", source=ds.source, missing=missing)],
                    [f"kubectl get secret -n {ns} -o name | grep -i influx"],
                )
            )
    return found


def influx_wants_auth(workloads: list[Obj], influxdb: str) -> bool:
    """InfluxDB's auth is on when its container sets INFLUXDB_HTTP_AUTH_ENABLED or gets an admin password."""
    for w in workloads:
        if name(w) != influxdb:
            continue
        spec = ((w.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in containers(spec):
            for env in c.get("env") or []:
                key = str((env or {}).get("name", ""))
                if key == "INFLUXDB_HTTP_AUTH_ENABLED" and str(env.get("value", "")).lower() == "true":
                    return True
                if key in ("INFLUXDB_ADMIN_PASSWORD", "INFLUXDB_ADMIN_USER") and (
                    "valueFrom" in env or env.get("value")
                ):
                    return True
    return False


# -- MT007: dashboards written for docker on a containerd cluster -------------------------------
DOCKER_ERA = (
    "docker_container_",
    "io.kubernetes.pod.name",
    "io.kubernetes.pod.namespace",
    "io.kubernetes.container.name",
)
REPLACEMENTS = {
    "cpu": 'SELECT mean("cpu_usage_nanocores") / 10000000 AS "cpu usage" FROM "kubernetes_pod_container" '
    "WHERE (pod_name =~ /^$pod$/ AND namespace =~ /^$installation$/) AND $timeFilter "
    "GROUP BY pod_name, time($__interval) fill(none)",
    "variable": 'show tag values from "kubernetes_pod_container" with key="pod_name" where pod_name =~ /vantiq-/',
}


@dataclass(frozen=True)
class Dashboard:
    title: str
    source: str
    doc: dict[str, Any]


def dashboards_in(configmaps: list[Obj]) -> list[Dashboard]:
    """Grafana dashboards provisioned from ConfigMaps (sidecar `grafana_dashboard` ConfigMaps, chart dashboards)."""
    found = []
    for cm in configmaps:
        for key, text in (cm.get("data") or {}).items():
            if not (isinstance(text, str) and key.endswith(".json") and '"panels"' in text):
                continue
            try:
                doc = json.loads(text)
            except (ValueError, RecursionError):
                continue
            if isinstance(doc, dict) and isinstance(doc.get("dashboard"), dict):
                doc = doc["dashboard"]
            if isinstance(doc, dict):
                found.append(Dashboard(str(doc.get("title") or key), f"ConfigMap {name(cm)} {key}", doc))
    return found


def _queries(node: Any, where: str = "") -> list[tuple[str, str]]:
    """(where, text) of every query-like string: raw queries, measurements, tag keys, variables."""
    out: list[tuple[str, str]] = []
    stack: list[tuple[Any, str]] = [(node, where)]
    while stack:  # iterative: a hostile dashboard cannot exhaust the recursion limit
        item, at = stack.pop()
        if isinstance(item, dict):
            title = item.get("title") or item.get("name")
            label = title if isinstance(title, str) else at
            for key, value in item.items():
                if isinstance(value, str) and key in (
                    "query",
                    "measurement",
                    "key",
                    "rawSql",
                    "expr",
                    "definition",
                ):
                    out.append((label, value))
                elif isinstance(value, dict | list):
                    stack.append((value, label))
        elif isinstance(item, list):
            stack.extend((v, at) for v in item)
    return out


def runtimes(nodes: list[Obj]) -> dict[str, list[str]]:
    """Container runtime (containerd, docker, cri-o) -> node names."""
    found: dict[str, list[str]] = {}
    for node in nodes:
        version = str(((node.get("status") or {}).get("nodeInfo") or {}).get("containerRuntimeVersion", ""))
        found.setdefault(version.split("://")[0] or "unknown", []).append(name(node))
    return found


def docker_era_dashboards(
    dashboards: list[Dashboard], by_runtime: dict[str, list[str]], ns: str
) -> list[Finding]:
    """MT007: queries on docker_container_* / io.kubernetes.* tags where nodes run containerd or CRI-O."""
    modern = sorted(n for rt, nodes in by_runtime.items() if rt in ("containerd", "cri-o") for n in nodes)
    if not modern:
        return []
    found = []
    for dash in dashboards:
        hits = [(where, q) for where, q in _queries(dash.doc) if any(term in q for term in DOCKER_ERA)]
        if not hits:
            continue
        evidence = [
            msg("MT007.query", source=dash.source, where=repr(where), query=q[:160]) for where, q in hits[:6]
        ]
        if len(hits) > 6:
            evidence.append(msg("MT007.more", n=len(hits) - 6))
        shown = ", ".join(modern[:5]) + (" ..." if len(modern) > 5 else "")
        evidence.append(msg("MT007.nodes_on", nodes=shown))
        evidence.append(msg("MT007.replace_cpu", query=REPLACEMENTS["cpu"]))
        evidence.append(msg("MT007.replace_variable", query=REPLACEMENTS["variable"]))
        found.append(
            finding(
                "MT007",
                msg("MT007.docker_era", title=repr(dash.title)),
                evidence,
                [_dashboard_fix(dash, ns)],
            )
        )
    return found


def _dashboard_fix(dash: Dashboard, ns: str) -> str:
    if dash.source.startswith("ConfigMap "):
        return f"kubectl edit configmap -n {ns} {dash.source.split()[1]}"
    return msg("MT007.in_grafana", title=dash.title, source=dash.source)
