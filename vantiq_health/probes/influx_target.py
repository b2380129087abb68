"""MT003/MT008: which InfluxDB to probe, with which login, and the series the checks judge.

The login comes from the InfluxDB Secret (`influxdb-auth`: `influxdb-user`,
`influxdb-password` in the reference installation; config keys `influxdb_secret`,
`influxdb_user_key`, `influxdb_password_key`). One probe reads every series both
checks need, so InfluxDB is logged into once per session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from vantiq_health.i18n import msg
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
        return msg(
            "MT003.login_source", secret=self.secret, user_key=self.user_key, password_key=self.password_key
        )


def _login(probes: Probes, namespace: str, secret: str, user_key: str, password_key: str) -> tuple[str, str]:
    view = probes.run.view
    if view.get("secrets", namespace, secret) is None:
        raise Unavailable(msg("MT003.no_secret", secret=secret, namespace=namespace))
    user = secret_text(view.secret_bytes(namespace, secret, user_key))
    password = secret_text(view.secret_bytes(namespace, secret, password_key))
    for key, value in ((user_key, user), (password_key, password)):
        if value is None:
            raise Unavailable(msg("MT003.no_key", secret=secret, namespace=namespace, key=key))
    return user or "", password or ""


def probe(probes: Probes, namespace: str) -> InfluxProbe:
    """Log in to the system namespace's InfluxDB and read the series of MT003 and MT008.

    Offline the record a live run saved (--save-snapshot) stands in, so the verdict is the live one.
    """
    config = probes.run.config
    secret = config.name(namespace, "influxdb_secret")
    user_key = config.name(namespace, "influxdb_user_key")
    password_key = config.name(namespace, "influxdb_password_key")

    def run() -> ProbeResult:
        from vantiq_health.probes import influxdb

        user, password = _login(probes, namespace, secret, user_key, password_key)
        service = config.name(namespace, "influxdb")
        where = probes.reach("influxdb", namespace, f"{service}.{namespace}.svc", PORT)
        window = int(config.threshold("influxdb_window_minutes"))
        login = influxdb.Login(where.host, where.port, user, password)
        result = influxdb.probe(login, SERIES, window, probes.timeout, where.vantage)
        result.data["user"] = user  # a login name, as KC002 names DB_USER; never the password
        return result

    result = probes._judged(probes._recorded(f"influxdb/{namespace}", run))
    return InfluxProbe(secret, user_key, password_key, str(result.data.get("user", "")), result)
