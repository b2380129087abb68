"""MT003/MT008: which InfluxDB to probe, with which login, and the series the checks judge.

The login comes from the InfluxDB Secret (`influxdb-auth`: `influxdb-user`,
`influxdb-password` in the reference installation; config keys `influxdb_secret`,
`influxdb_user_key`, `influxdb_password_key`). One probe reads every series both
checks need, so InfluxDB is logged into once per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vantiq_health.probes.credentials import secret_text
from vantiq_health.probes.influxdb import Series
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

if TYPE_CHECKING:
    from vantiq_health.probes.hub import Probes

PORT = 8086
NGINX = Series("kubernetes", "nginx_ingress_controller_requests")
CONTAINERD = Series("kubernetes", "kubernetes_pod_container")  # telegraf's inputs.kubernetes
DOCKER = Series("kubernetes", "docker_container_cpu")  # telegraf's inputs.docker (docker_container_*)
ORG_METRICS = Series("system", "resources_requests_percentile", (("resource", "collaborationtypes"),))
SERIES = [NGINX, CONTAINERD, DOCKER, ORG_METRICS]


@dataclass(frozen=True)
class InfluxProbe:
    """Where the login came from (names only) and what InfluxDB answered with it."""

    secret: str
    user_key: str
    password_key: str
    user: str
    result: ProbeResult

    @property
    def source(self) -> str:
        return f"Secret {self.secret} (keys {self.user_key}, {self.password_key})"


def _login(probes: Probes, namespace: str) -> tuple[str, str, str, str, str]:
    config, view = probes.run.config, probes.run.view
    secret = config.name(namespace, "influxdb_secret")
    user_key = config.name(namespace, "influxdb_user_key")
    password_key = config.name(namespace, "influxdb_password_key")
    if view.get("secrets", namespace, secret) is None:
        raise Unavailable(f"no Secret {secret} in {namespace} to take the InfluxDB login from")
    user = secret_text(view.secret_bytes(namespace, secret, user_key))
    password = secret_text(view.secret_bytes(namespace, secret, password_key))
    for key, value in ((user_key, user), (password_key, password)):
        if value is None:
            raise Unavailable(f"Secret {secret} in {namespace} has no readable key {key}")
    return secret, user_key, password_key, user or "", password or ""


def record_key(namespace: str) -> str:
    return f"probe/influxdb/{namespace}"


def _recalled(probes: Probes, namespace: str) -> InfluxProbe | None:
    """Offline: the record a live run saved (--save-snapshot), so the verdict is the live one."""
    if not probes.live or probes.run.view.mode != "snapshot":
        return None
    record = probes.run.view.recall(record_key(namespace))
    if not record or not isinstance(record.get("login"), dict):
        return None
    login = {k: str(v) for k, v in record["login"].items()}
    fields = {k: record[k] for k in ProbeResult.__dataclass_fields__ if k in record}
    result = ProbeResult(**fields)
    names = (login.get("secret", ""), login.get("user_key", ""), login.get("password_key", ""))
    return InfluxProbe(*names, login.get("user", ""), result)


def probe(probes: Probes, namespace: str) -> InfluxProbe:
    """Log in to the system namespace's InfluxDB and read the series of MT003 and MT008."""
    from vantiq_health.probes import influxdb

    recalled = _recalled(probes, namespace)
    if recalled is not None:
        return recalled
    probes._require_live()
    secret, user_key, password_key, user, password = _login(probes, namespace)
    service = probes.run.config.name(namespace, "influxdb")
    where = probes.reach("influxdb", namespace, f"{service}.{namespace}.svc", PORT)
    window = int(probes.run.config.threshold("influxdb_window_minutes"))
    login = influxdb.Login(where.host, where.port, user, password)
    result = probes._judged(influxdb.probe(login, SERIES, window, probes.timeout, where.vantage))
    names = {"secret": secret, "user_key": user_key, "password_key": password_key, "user": user}
    probes.run.view.remember(record_key(namespace), {**result.to_dict(), "login": names})
    return InfluxProbe(secret, user_key, password_key, user, result)
