"""The InfluxDB probe and MT003/MT008 against a real InfluxDB 1.x on loopback, auth on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import SuiteRun, run_live
from tests.probes.influxdb import ADMIN_PASSWORD, ADMIN_USER, InfluxServer, influx_server
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.objects import b64
from vantiq_health.probes.influxdb import Login, Series, probe

__all__ = ["influx_server"]  # fixture
NGINX, CONTAINERS = "nginx_ingress_controller_requests", "kubernetes_pod_container"
ORG = Series("system", "resources_requests_percentile", (("resource", "collaborationtypes"),))
SERIES = [Series("kubernetes", NGINX), Series("kubernetes", CONTAINERS), ORG]
LIVE = ("MT003", "MT008")


@pytest.fixture
def influx(influx_server: InfluxServer) -> Iterator[InfluxServer]:
    """The healthy metrics: every series has points written a minute ago."""
    influx_server.reset()
    influx_server.write("kubernetes", NGINX, 1, ingress="vantiq")
    influx_server.write("kubernetes", CONTAINERS, 1, container_name="vantiq", pod_name="vantiq-0")
    influx_server.write("system", ORG.measurement, 1, resource="collaborationtypes")
    influx_server.write("system", ORG.measurement, 1, resource="types")
    yield influx_server
    influx_server.reset()


def _login(server: InfluxServer, password: str = ADMIN_PASSWORD) -> Login:
    return Login(server.host, server.port, ADMIN_USER, password)


# -- the driver ------------------------------------------------------------------------------------
def test_fresh_series_are_read_with_their_window_counts(influx: InfluxServer) -> None:
    result = probe(_login(influx), SERIES, 10, 5, "test")
    assert result.ok, result.error
    assert result.reached == ["resolve", "tcp", "auth", "query"]
    assert result.data["databases"] == ["kubernetes", "system"]
    assert NGINX in result.data["measurements"]["kubernetes"]
    assert result.data["series"]["kubernetes/" + NGINX]["count"] == 3
    assert result.data["series"][ORG.key]["count"] == 3  # the other resource's points are not counted
    assert result.data["series"][ORG.key]["last"].startswith("20")
    assert ADMIN_PASSWORD not in str(result.to_dict())


def test_points_outside_the_window_are_not_counted(influx: InfluxServer) -> None:
    influx.reset()
    influx.write("kubernetes", NGINX, 90)
    result = probe(_login(influx), SERIES, 10, 5, "test")
    assert result.data["series"]["kubernetes/" + NGINX]["count"] == 0
    assert result.data["series"]["kubernetes/" + NGINX]["last"] is not None
    assert "kubernetes/" + CONTAINERS not in result.data["series"]  # measurement missing: not read
    assert "system" not in result.data["measurements"]  # database missing


def test_a_wrong_password_is_an_auth_failure(influx: InfluxServer) -> None:
    result = probe(_login(influx, "Wrong-canary-pw"), SERIES, 10, 5, "test")
    assert (result.error_class, result.failed_at) == ("auth-failed", "auth"), result.error
    assert "401" in result.error and "authorization failed" in result.error
    assert "Wrong-canary-pw" not in result.error


def test_a_closed_port_is_refused() -> None:
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe(Login("127.0.0.1", port, "admin", "x"), SERIES, 10, 2, "test")
    assert (result.error_class, result.failed_at) == ("refused", "tcp"), result.error
