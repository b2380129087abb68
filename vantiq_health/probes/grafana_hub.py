"""The session's Grafana and Grafana-MySQL probes: where to connect and with which login.

Grafana: the admin login from the Grafana Secret (config `grafana_secret`,
`grafana_user_key`, `grafana_password_key`; the user defaults to Grafana's `admin`),
at `--endpoint grafana=URL`, in-cluster at the Service, or through a port-forward.
MySQL: the host, user and schema Grafana is configured with (grafana.ini `[database]`,
`GF_DATABASE_*`; config `grafanadb_user`, `grafanadb_database` otherwise) and the
password from the MySQL Secret (`grafanadb_secret`, `grafanadb_password_key`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vantiq_health.analysis.grafana_live import mysql_settings
from vantiq_health.analysis.metrics import grafana_database
from vantiq_health.i18n import msg
from vantiq_health.probes import endpoints as ep
from vantiq_health.probes.credentials import secret_text
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

if TYPE_CHECKING:
    from vantiq_health.probes.hub import Probes

GRAFANA_PORT, MYSQL_PORT = 3000, 3306


@dataclass(frozen=True)
class GrafanaDbProbe:
    """MT002: the login Grafana's MySQL was tried with (names only) and what the probe found."""

    user: str
    database: str
    password_from: str  # "Secret grafanadb-mysql key mysql-password"
    result: ProbeResult


def _secret(hub: Probes, namespace: str, secret_role: str, key_role: str, default: str | None) -> str:
    config = hub.run.config
    secret, key = config.name(namespace, secret_role), config.name(namespace, key_role)
    text = secret_text(hub.run.view.secret_bytes(namespace, secret, key))
    if text is None and default is None:
        raise Unavailable(msg("MT001.secret_unreadable", secret=secret, key=key, namespace=namespace))
    return text if text is not None else str(default)


def _grafana_url(hub: Probes, namespace: str) -> tuple[str, str]:
    explicit = hub.endpoints.find("grafana", namespace)
    if explicit is not None and explicit.url:
        return explicit.url, ep.EXPLICIT
    name = hub.run.config.name(namespace, "grafana")
    service = hub.run.view.get("services", namespace, name) or {}
    ports = (service.get("spec") or {}).get("ports") or [{"port": GRAFANA_PORT}]
    port = int(ports[0].get("port", GRAFANA_PORT))
    where = hub.reach("grafana", namespace, f"{name}.{namespace}.svc", port)
    return f"http://{where.host}:{where.port}", where.vantage


def grafana(hub: Probes, namespace: str) -> ProbeResult:
    """Run the Grafana probe (the hub records it for --save-snapshot and replays it offline)."""
    from vantiq_health.probes import grafana as driver

    user = _secret(hub, namespace, "grafana_secret", "grafana_user_key", "admin")
    password = _secret(hub, namespace, "grafana_secret", "grafana_password_key", None)
    url, vantage = _grafana_url(hub, namespace)
    verify = not hub.run.config.expect.get("self_signed", False)
    return driver.grafana(url, user, password, hub.timeout, vantage, verify=verify)


def grafanadb(hub: Probes, namespace: str) -> GrafanaDbProbe:
    """Grafana's MySQL login (names from the config and grafana.ini, the password read only to probe)."""
    from vantiq_health.probes import mysql

    hub._require_live()
    view, config = hub.run.view, hub.run.config
    grafana_name = config.name(namespace, "grafana")
    configmap = view.get("configmaps", namespace, grafana_name)
    workload = view.get("deployments", namespace, grafana_name)
    db = grafana_database(configmap, workload, grafana_name)
    if db.type != "mysql":
        raise Unavailable(msg("MT002.not_mysql", namespace=namespace, source=db.source, type=db.type))
    user, database = mysql_settings(
        configmap,
        workload,
        config.name(namespace, "grafanadb_user"),
        config.name(namespace, "grafanadb_database"),
    )
    secret, key = config.name(namespace, "grafanadb_secret"), config.name(namespace, "grafanadb_password_key")

    def probe() -> ProbeResult:
        password = _secret(hub, namespace, "grafanadb_secret", "grafanadb_password_key", None)
        host, _, port = (db.host or config.name(namespace, "grafanadb")).partition(":")
        if "." not in host:
            host = f"{host}.{namespace}.svc"
        where = hub.reach("grafanadb", namespace, host, int(port) if port.isdigit() else MYSQL_PORT)
        login = mysql.Login(where.host, where.port, database, user, password)
        return mysql.probe(login, hub.timeout, where.vantage)

    found = hub._recorded(f"grafanadb/{namespace}", probe)
    return GrafanaDbProbe(
        user, database, msg("MT002.password_from", secret=secret, key=key), hub._judged(found)
    )
