"""The InfluxDB probe and MT003/MT008 against a real InfluxDB 1.x on loopback, auth on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
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
    assert "401" in result.error
    assert "authorization failed" in result.error
    assert "Wrong-canary-pw" not in result.error


def test_a_closed_port_is_refused() -> None:
    with __import__("socket").socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = probe(Login("127.0.0.1", port, "admin", "x"), SERIES, 10, 2, "test")
    assert (result.error_class, result.failed_at) == ("refused", "tcp"), result.error


# -- MT003/MT008 through the whole suite: the baseline's influxdb-auth Secret, --endpoint influxdb=... ---
def _run(pytester: pytest.Pytester, influx: InfluxServer, sc: Scenario | None = None, *args: str) -> SuiteRun:
    endpoint = f"--endpoint=influxdb={influx.host}:{influx.port}"
    return run_live(pytester, sc or baseline(), "-k", "metrics", endpoint, *args, live=True)


def _outcomes(run: SuiteRun) -> dict[str, str]:
    return {check_id: outcome for (check_id, _), outcome in run.outcomes().items() if check_id in LIVE}


def test_fresh_metrics_pass(pytester: pytest.Pytester, influx: InfluxServer) -> None:
    run = _run(pytester, influx)
    assert _outcomes(run) == {"MT003": "passed", "MT008": "passed"}, run.output()
    assert f"read {influx.host}:{influx.port} from explicit --endpoint: resolve → tcp → auth → query" in (
        run.message("MT003", "shared")
    )
    assert f"influxdb {influx.host}:{influx.port} from explicit --endpoint: reached resolve" in run.output()


def test_a_missing_measurement_is_never_written(pytester: pytest.Pytester, influx: InfluxServer) -> None:
    client = influx.admin("kubernetes")
    client.query(f'DROP MEASUREMENT "{CONTAINERS}"')
    client.close()
    run = _run(pytester, influx)
    assert _outcomes(run) == {"MT003": "failed", "MT008": "passed"}, run.output()
    message = run.message("MT003", "shared")
    assert f"measurement {CONTAINERS} does not exist in database kubernetes" in message
    assert "daemonset/telegraf-ds has never written it" in message
    assert "containerd on aks-nodepool1-0, aks-nodepool1-1, aks-nodepool1-2" in message
    assert "kubectl logs -n shared daemonset/telegraf-ds --tail=200" in message


def test_stale_points_are_told_apart_from_a_missing_measurement(
    pytester: pytest.Pytester, influx: InfluxServer
) -> None:
    client = influx.admin("kubernetes")
    client.query(f'DROP MEASUREMENT "{NGINX}"')
    client.close()
    influx.write("kubernetes", NGINX, 90, ingress="vantiq")
    run = _run(pytester, influx)
    assert _outcomes(run) == {"MT003": "failed", "MT008": "passed"}, run.output()
    message = run.message("MT003", "shared")
    assert f"{NGINX} in database kubernetes has no point in the last 10 min (last point: 20" in message
    assert "deployment/telegraf-prom stopped writing it" in message
    assert "does not exist" not in message


def test_the_window_is_configurable(pytester: pytest.Pytester, influx: InfluxServer) -> None:
    client = influx.admin("kubernetes")
    client.query(f'DROP MEASUREMENT "{NGINX}"')
    client.close()
    influx.write("kubernetes", NGINX, 90, ingress="vantiq")
    config = pytester.path / "vantiq-health.toml"
    config.write_text("[thresholds]\ninfluxdb_window_minutes = 120\n")
    run = _run(pytester, influx, None, f"--config={config}")
    assert _outcomes(run) == {"MT003": "passed", "MT008": "passed"}, run.output()


def test_docker_nodes_want_the_docker_measurements(pytester: pytest.Pytester, influx: InfluxServer) -> None:
    sc = baseline()
    for obj in sc.objects:
        if obj["kind"] == "Node":
            obj["status"]["nodeInfo"]["containerRuntimeVersion"] = "docker://20.10.7"
    run = _run(pytester, influx, sc)
    assert _outcomes(run)["MT003"] == "failed", run.output()
    assert "measurement docker_container_* does not exist in database kubernetes" in run.message(
        "MT003", "shared"
    )
    influx.write("kubernetes", "docker_container_cpu", 1, container_name="vantiq")
    assert _outcomes(_run(pytester, influx, sc))["MT003"] == "passed"


def test_missing_collaborationtypes_warns_to_restart_metrics_collector(
    pytester: pytest.Pytester, influx: InfluxServer
) -> None:
    client = influx.admin("system")
    client.query(f'DELETE FROM "{ORG.measurement}" WHERE "resource" = \'collaborationtypes\'')
    client.close()
    run = _run(pytester, influx)
    assert _outcomes(run) == {"MT003": "passed", "MT008": "warning"}, run.output()
    message = run.message("MT008", "shared")
    assert "no organization metrics in the last 10 min" in message
    assert "last point with resource = 'collaborationtypes': never" in message
    assert "kubectl rollout restart deployment/metrics-collector -n prod" in message


def test_a_wrong_password_names_the_secret_and_never_shows(
    pytester: pytest.Pytester, influx: InfluxServer
) -> None:
    sc = baseline()
    sc.find("Secret", "shared", "influxdb-auth")["data"]["influxdb-password"] = b64("Wr0ng-influx-canary")
    run = _run(pytester, influx, sc, "-rA", "--junitxml=junit.xml", "--save-snapshot=saved")
    assert _outcomes(run) == {"MT003": "failed", "MT008": "skipped"}, run.output()
    message = run.message("MT003", "shared")
    assert "InfluxDB refuses the login of user admin from Secret influxdb-auth" in message
    assert '401: {"error":"authorization failed"}' in message
    assert "see MT003" in run.message("MT008", "shared")
    for path in [p for p in pytester.path.rglob("*") if p.is_file()]:
        assert b"Wr0ng-influx-canary" not in path.read_bytes(), path
    assert "Wr0ng-influx-canary" not in run.output()


def test_a_saved_snapshot_gives_the_live_verdict_offline(
    pytester: pytest.Pytester, influx: InfluxServer
) -> None:
    client = influx.admin("kubernetes")
    client.query(f'DROP MEASUREMENT "{CONTAINERS}"')
    client.close()
    live = _run(pytester, influx, None, f"--save-snapshot={pytester.path / 'saved'}")
    offline = run_snapshot(pytester, pytester.path / "saved", "-k", "metrics")
    assert _outcomes(offline) == _outcomes(live) == {"MT003": "failed", "MT008": "passed"}, offline.output()
    assert f"measurement {CONTAINERS} does not exist" in offline.message("MT003", "shared")
    assert ADMIN_PASSWORD not in (pytester.path / "saved" / "vantiq-health-records.json").read_text()
