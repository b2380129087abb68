"""The live halves of MT001, MT002 and MT007: what Grafana's API and its MySQL answered.

Data sources and dashboards read through the API become the same `DataSource` and
`Dashboard` records the provisioning ConfigMaps give, so one defect reads the same
whichever way it was found.
"""

from __future__ import annotations

from typing import Any

from vantiq_health.analysis.k8s import Obj
from vantiq_health.analysis.metrics import GRAFANA_INI, Dashboard, DataSource, _env, _ini_database
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes import result as r
from vantiq_health.probes.result import ProbeResult

API = "Grafana API"
# Tables every Grafana schema has once Grafana has started on it (migration_log: its schema migrations).
GRAFANA_TABLES = ("dashboard", "data_source", "migration_log")


def mysql_settings(
    configmap: Obj | None, workload: Obj | None, default_user: str, default_db: str
) -> tuple[str, str]:
    """The user and schema Grafana logs in to MySQL with: GF_DATABASE_* env, grafana.ini, the config."""
    env = _env(workload)
    ini = _ini_database(str(((configmap or {}).get("data") or {}).get(GRAFANA_INI, "")))
    user = env.get("GF_DATABASE_USER") or ini.get("user") or default_user
    database = env.get("GF_DATABASE_NAME") or ini.get("name") or default_db
    return user, database


def api_datasources(result: ProbeResult) -> list[DataSource]:
    """The InfluxDB data sources `GET /api/datasources` answered."""
    return [
        DataSource(
            str(ds.get("name", "")),
            str(ds.get("url", "")),
            bool(ds.get("has_user")),
            bool(ds.get("has_password")),
            f"{API} /api/datasources",
        )
        for ds in result.data.get("datasources") or []
        if str(ds.get("type", "")).lower() == "influxdb"
    ]


def api_dashboards(result: ProbeResult) -> tuple[list[Dashboard], list[str]]:
    """The dashboards `/api/dashboards/uid/UID` answered, and what could not be read."""
    found, unread = [], []
    for dash in result.data.get("dashboards") or []:
        uid = str(dash.get("uid", ""))
        if isinstance(dash.get("model"), dict):
            found.append(
                Dashboard(str(dash.get("title") or uid), f"{API} dashboard uid {uid}", dash["model"])
            )
        else:
            error = dash.get("error") or msg("MT007.not_read_plain")
            unread.append(
                msg("MT007.dashboard_not_read", title=repr(dash.get("title")), uid=uid, error=error)
            )
    total = int(result.data.get("dashboards_total") or 0)
    if total > len(result.data.get("dashboards") or []):
        unread.append(msg("MT007.more_not_read", n=total - len(result.data.get("dashboards") or [])))
    return found, unread


def api_facts(result: ProbeResult) -> list[str]:
    return [result.describe()]


def _login_diagnosis(probe: Any, res: ProbeResult) -> str:
    table = {
        r.AUTH_FAILED: msg("MT002.auth_failed", user=probe.user, source=probe.password_from),
        r.NO_DATABASE: msg("MT002.no_database", database=probe.database, target=res.target),
        r.NOT_AUTHORIZED: msg(
            "MT002.not_authorized", user=probe.user, database=probe.database, target=res.target
        ),
        r.REFUSED: msg("MT002.refused", target=res.target),
        r.TIMEOUT: msg("MT002.timeout", target=res.target),
        r.DNS: msg("MT002.dns", host=res.target.rpartition(":")[0]),
    }
    return table.get(res.error_class, msg("MT002.failed_at", step=res.failed_at, error_class=res.error_class))


def schema_findings(probe: Any, ns: str, grafana: str, grafanadb: str) -> list[Finding]:
    """MT002 live: Grafana's login works and its schema holds Grafana's tables."""
    res: ProbeResult = probe.result
    if not res.ok:
        secret = probe.password_from.split()[1] if probe.password_from.startswith("Secret ") else ""
        return [
            finding(
                "MT002",
                msg("MT002.cannot_read", diagnosis=_login_diagnosis(probe, res)),
                [
                    res.describe(),
                    msg("MT002.server_said", error=res.error),
                    msg("MT002.login", user=probe.user, database=probe.database),
                ],
                [
                    f"kubectl get secret -n {ns} {secret} -o jsonpath='{{.data}}' | wc -c   # the keys are there; compare values privately",
                    f"kubectl logs -n {ns} deploy/{grafana} | grep -i database",
                    f"kubectl get pods -n {ns} | grep {grafanadb}",
                ],
            )
        ]
    tables = list(res.data.get("tables") or [])
    missing = [t for t in GRAFANA_TABLES if t not in tables]
    if not missing:
        return []
    return [
        finding(
            "MT002",
            msg("MT002.no_tables", database=probe.database, missing=missing),
            [
                res.describe(),
                msg(
                    "MT002.tables_in", database=probe.database, tables=tables[:20] or msg("MT002.tables_none")
                ),
                msg("MT002.expected_tables", tables=GRAFANA_TABLES),
            ],
            [
                f"kubectl get configmap -n {ns} {grafana} -o jsonpath='{{.data.grafana\\.ini}}'   # [database] type = mysql, host = {grafanadb}:3306",
                f"kubectl rollout restart deployment/{grafana} -n {ns}   # Grafana creates its tables in MySQL on start",
                f"kubectl cp -n {ns} <grafana pod>:/var/lib/grafana/grafana.db ./grafana.db   # then migrate the sqlite3 INSERTs (notes: リカバリー)",
            ],
        )
    ]


def review_denials(
    ask: Any, accounts: list[Any], needed: tuple[tuple[str, str], ...]
) -> dict[Any, list[tuple[str, str]]]:
    """MT005 live: the (verb, resource) pairs the API server denies each ServiceAccount (Unavailable passes up)."""
    return {
        sa: [(verb, res) for verb, res in needed if not ask(sa.user, sa.groups, verb, res)] for sa in accounts
    }
