"""MT001 and MT007 live, through the whole suite against a stand-in of Grafana 8's HTTP API (pytest-httpserver).

Real paths and payload shapes, with basic auth as the admin of the `grafana` Secret:
`GET /api/datasources` (the list, without `secureJsonFields`), `GET /api/datasources/uid/UID`,
`GET /api/search?type=dash-db` and `GET /api/dashboards/uid/UID` (`{"dashboard": ..., "meta": ...}`).
The baseline's ConfigMaps stay healthy: a failure can only come from what the API answered.
"""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios import broken_environment
from tests.scenarios.installation import VANTIQ_RESOURCES, Scenario, baseline
from tests.scenarios.objects import b64
from tests.scenarios.variants import build

ADMIN = ("admin", "Gr4fana-adm1n")  # the baseline's shared/grafana admin-user, admin-password
UID = "vantiq-res"


def _source(url: str) -> dict[str, Any]:
    """A data source as `GET /api/datasources` lists it (Grafana 8.1)."""
    return {
        "id": 1,
        "uid": "P951FEA4DE68E13C5",
        "orgId": 1,
        "name": "InfluxDB",
        "type": "influxdb",
        "typeName": "InfluxDB",
        "typeLogoUrl": "public/app/plugins/datasource/influxdb/img/influxdb_logo.svg",
        "access": "proxy",
        "url": url,
        "password": "",
        "user": "admin",
        "database": "kubernetes",
        "basicAuth": False,
        "isDefault": True,
        "jsonData": {"httpMode": "GET"},
        "readOnly": False,
    }


def _grafana(server: HTTPServer, url: str = "http://influxdb:8086", dashboard: Any = None) -> None:
    model = {"id": 3, "uid": UID, "version": 4, "schemaVersion": 30, **(dashboard or VANTIQ_RESOURCES)}
    listed = _source(url)
    detail = {
        **listed,
        "basicAuthUser": "",
        "basicAuthPassword": "",
        "withCredentials": False,
        "secureJsonFields": {"password": True},
        "version": 2,
    }
    hit = {
        "id": 3,
        "uid": UID,
        "title": model["title"],
        "uri": "db/vantiq-resources",
        "url": f"/d/{UID}/vantiq-resources",
        "slug": "",
        "type": "dash-db",
        "tags": [],
        "isStarred": False,
        "sortMeta": 0,
    }
    meta = {"type": "db", "canSave": True, "slug": "vantiq-resources", "url": f"/d/{UID}/vantiq-resources"}
    for path, payload, query in (
        ("/api/datasources", [listed], None),
        (f"/api/datasources/uid/{listed['uid']}", detail, None),
        ("/api/search", [hit], {"type": "dash-db"}),
        (f"/api/dashboards/uid/{UID}", {"dashboard": model, "meta": meta}, None),
    ):
        server.expect_request(path, method="GET", query_string=query).respond_with_handler(
            _authorized(payload)
        )


def _authorized(payload: Any) -> Any:
    expected = "Basic " + base64.b64encode(":".join(ADMIN).encode()).decode()

    def handler(request: Request) -> Response:
        if request.headers.get("Authorization") != expected:
            return Response(
                '{"message":"invalid username or password"}', 401, content_type="application/json"
            )
        return Response(json.dumps(payload), 200, content_type="application/json")

    return handler


def _run(pytester: pytest.Pytester, server: HTTPServer, sc: Scenario | None = None) -> SuiteRun:
    return run_live(
        pytester,
        sc or baseline(),
        "--check",
        "MT001,MT007",
        f"--endpoint=grafana=http://127.0.0.1:{server.port}",
        namespaces=("prod", "shared"),
        live=True,
    )


def test_a_healthy_grafana_passes_from_its_api(pytester: pytest.Pytester, httpserver: HTTPServer) -> None:
    _grafana(httpserver)
    run = _run(pytester, httpserver)
    assert run.outcomes() == {("MT001", "shared"): "passed", ("MT007", "shared"): "passed"}, run.output()
    assert "Grafana API /api/datasources: InfluxDB -> http://influxdb:8086" in run.message("MT001", "shared")
    assert f"Grafana API dashboard uid {UID}: Vantiq Resources" in run.message("MT007", "shared")
    assert "from explicit --endpoint: reached resolve → tcp → auth → query" in run.message("MT001", "shared")


def _headline(message: str) -> str:
    return message.splitlines()[0]


def test_a_wrong_data_source_url_fails_mt001_as_the_configmap_would(
    pytester: pytest.Pytester, httpserver: HTTPServer
) -> None:
    _grafana(httpserver, url="http://influxdb-influxdb:8086")
    run = _run(pytester, httpserver)
    assert run.outcomes() == {("MT001", "shared"): "failed", ("MT007", "shared"): "passed"}, run.output()
    message = run.message("MT001", "shared")
    assert "Grafana data source 'InfluxDB' points at http://influxdb-influxdb:8086" in message
    assert "names no Service in shared" in message
    assert "Grafana API /api/datasources: url http://influxdb-influxdb:8086" in message
    static = next(v for v in broken_environment.VARIANTS if v.name == "mt001-wrong-url")
    offline = run_live(pytester, build(static), "--check", "MT001", namespaces=("prod", "shared"))
    assert _headline(offline.message("MT001", "shared")) == _headline(message)


def test_a_docker_era_dashboard_on_containerd_fails_mt007(
    pytester: pytest.Pytester, httpserver: HTTPServer
) -> None:
    """The dashboard was saved in Grafana (its database), not provisioned: only the API shows it."""
    docker = copy.deepcopy(VANTIQ_RESOURCES)
    target = docker["panels"][0]["targets"][0]
    target["query"] = target["query"].replace('"kubernetes_pod_container"', '"docker_container_cpu"')
    _grafana(httpserver, dashboard=docker)
    run = _run(pytester, httpserver)
    assert run.outcomes() == {("MT001", "shared"): "passed", ("MT007", "shared"): "failed"}, run.output()
    message = run.message("MT007", "shared")
    assert (
        "Dashboard 'Vantiq Resources' queries docker-era measurements, but the nodes run containerd"
        in message
    )
    assert f"Grafana API dashboard uid {UID}, panel/variable 'CPU utilization'" in message
    assert "docker_container_cpu" in message
    assert 'FROM "kubernetes_pod_container"' in message
    assert "Dashboard settings → JSON Model" in message


def test_a_refused_admin_login_falls_back_to_the_configmaps_saying_so(
    pytester: pytest.Pytester, httpserver: HTTPServer
) -> None:
    _grafana(httpserver, url="http://influxdb-influxdb:8086")  # never read: the login is refused
    sc = baseline()
    sc.find("Secret", "shared", "grafana")["data"]["admin-password"] = b64("Wr0ng-canary-pw")
    run = _run(pytester, httpserver, sc)
    assert run.outcomes() == {("MT001", "shared"): "passed", ("MT007", "shared"): "passed"}, run.output()
    message = run.message("MT001", "shared")
    assert "Grafana API not read: grafana 127.0.0.1" in message
    assert "auth-failed" in message
    assert "ConfigMap grafana datasources.yaml: InfluxDB -> http://influxdb:8086" in message
    assert "Wr0ng-canary-pw" not in run.output()
    assert base64.b64encode(b"admin:Wr0ng-canary-pw").decode() not in run.output()


def test_a_saved_snapshot_replays_grafanas_answers(pytester: pytest.Pytester, httpserver: HTTPServer) -> None:
    """The docker-era dashboard lives only in Grafana: offline, only the saved answers can show it."""
    docker = copy.deepcopy(VANTIQ_RESOURCES)
    target = docker["panels"][0]["targets"][0]
    target["query"] = target["query"].replace('"kubernetes_pod_container"', '"docker_container_cpu"')
    _grafana(httpserver, dashboard=docker)
    live = run_live(
        pytester,
        baseline(),
        "--check",
        "MT001,MT007",
        f"--endpoint=grafana=http://127.0.0.1:{httpserver.port}",
        "--save-snapshot=saved",
        namespaces=("prod", "shared"),
        live=True,
    )
    assert live.outcomes()[("MT007", "shared")] == "failed", live.output()
    saved = (pytester.path / "saved" / "vantiq-health-records.json").read_text()
    assert '"probe/grafana/shared"' in saved
    assert ADMIN[1] not in saved
    offline = run_snapshot(
        pytester, pytester.path / "saved", "--check", "MT001,MT007", namespaces=("prod", "shared")
    )
    assert offline.outcomes() == live.outcomes(), offline.output()
    message = offline.message("MT007", "shared")
    assert _headline(message) == _headline(live.message("MT007", "shared"))
    assert f"Grafana API dashboard uid {UID}, panel/variable 'CPU utilization'" in message
    assert f"grafana 127.0.0.1:{httpserver.port} from explicit --endpoint" in message
    assert "Grafana API /api/datasources: InfluxDB -> http://influxdb:8086" in offline.message(
        "MT001", "shared"
    )
