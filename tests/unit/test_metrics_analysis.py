"""MT002's reading of grafana.ini and GF_DATABASE_* env, MT009's zones: exact diagnoses."""

from __future__ import annotations

import json

import pytest

from vantiq_health.analysis.metrics import (
    dashboards_in,
    dashboards_not_in_mysql,
    datasource_findings,
    docker_era_dashboards,
    grafana_database,
    influx_wants_auth,
    provisioned_datasources,
    runtimes,
)

SERVICES = {"grafana", "grafanadb-mysql", "influxdb"}


def cm(ini: str) -> dict:
    return {"metadata": {"name": "grafana"}, "data": {"grafana.ini": ini}}


def deploy(**env: str) -> dict:
    container = {"name": "grafana", "env": [{"name": k, "value": v} for k, v in env.items()]}
    return {"spec": {"template": {"spec": {"containers": [container]}}}}


def judge(configmap: dict | None, workload: dict | None = None) -> list:
    db = grafana_database(configmap, workload, "grafana")
    return dashboards_not_in_mysql(db, SERVICES, "shared", "grafana", "grafanadb-mysql:3306")


def test_mysql_on_the_grafanadb_service_passes() -> None:
    assert judge(cm("[database]\ntype = mysql\nhost = grafanadb-mysql:3306\nuser = grafana\n")) == []


def test_the_notes_blank_database_section_is_sqlite3() -> None:
    # exactly as the notes show it: a comment after the section header, nothing under it
    [f] = judge(
        cm("[auth.basic]\nenabled = false\n[database] # not set\n[grafana_net]\nurl = https://grafana.net\n")
    )
    assert f.diagnosis.startswith("Grafana stores its dashboards in sqlite3")
    assert "ConfigMap grafana grafana.ini [database]: type is empty (Grafana default sqlite3)" in f.evidence


def test_no_configmap_at_all_is_sqlite3() -> None:
    [f] = judge(None)
    assert "sqlite3" in f.diagnosis


def test_env_overrides_the_ini() -> None:
    ini = cm("[database]\ntype = sqlite3\n")
    assert judge(ini, deploy(GF_DATABASE_TYPE="mysql", GF_DATABASE_HOST="grafanadb-mysql:3306")) == []
    assert judge(ini, deploy(GF_DATABASE_URL="mysql://grafana:x@grafanadb-mysql:3306/grafana")) == []


@pytest.mark.parametrize(
    ("host", "ok"),
    [
        ("grafanadb-mysql:3306", True),
        ("grafanadb-mysql.shared.svc.cluster.local:3306", True),
        ("grafana-mysql:3306", False),  # a Service that does not exist
        ("", False),  # Grafana's default 127.0.0.1:3306, inside the Grafana pod
        ("mysql.example.net:3306", True),  # a database outside the cluster: not judged here
    ],
)
def test_mysql_host_must_name_a_service(host: str, ok: bool) -> None:
    found = judge(cm(f"[database]\ntype = mysql\nhost = {host}\n"))
    assert (found == []) is ok


def provisioning(url: str, *, user: str | None = "admin", password: bool = True) -> dict:
    lines = ["apiVersion: 1", "datasources:", "- name: InfluxDB", "  type: influxdb", f"  url: {url}"]
    if user:
        lines.append(f"  user: {user}")
    if password:
        lines += ["  secureJsonData:", "    password: pw"]
    return {"metadata": {"name": "grafana"}, "data": {"datasources.yaml": "\n".join(lines) + "\n"}}


def mt001(cm: dict, *, auth: bool = True) -> list:
    return datasource_findings(provisioned_datasources([cm]), SERVICES, "shared", auth, "grafana")


def test_datasource_on_the_influxdb_service_passes() -> None:
    assert mt001(provisioning("http://influxdb:8086")) == []
    assert mt001(provisioning("http://influxdb.shared.svc.cluster.local:8086")) == []


def test_datasource_with_the_release_prefixed_name_fails() -> None:
    [f] = mt001(provisioning("http://influxdb-influxdb:8086"))
    assert "points at http://influxdb-influxdb:8086, which names no Service in shared" in f.diagnosis


def test_datasource_without_credentials_when_influxdb_wants_them() -> None:
    [f] = mt001(provisioning("http://influxdb:8086", user=None, password=False))
    assert "has no user and password" in f.diagnosis
    assert mt001(provisioning("http://influxdb:8086", user=None, password=False), auth=False) == []


def test_influx_auth_from_its_env() -> None:
    sts = {
        "metadata": {"name": "influxdb"},
        "spec": {
            "template": {
                "spec": {"containers": [{"env": [{"name": "INFLUXDB_HTTP_AUTH_ENABLED", "value": "true"}]}]}
            }
        },
    }
    assert influx_wants_auth([sts], "influxdb") is True
    assert influx_wants_auth([sts], "other") is False


def dash_cm(query: str) -> dict:
    doc = {
        "title": "MongoDB Monitoring Dashboard",
        "panels": [{"title": "CPU", "targets": [{"query": query}]}],
    }
    return {"metadata": {"name": "dash"}, "data": {"mongo.json": json.dumps(doc)}}


def node_rt(runtime: str) -> dict:
    return {"metadata": {"name": "n1"}, "status": {"nodeInfo": {"containerRuntimeVersion": runtime}}}


def mt007(query: str, runtime: str = "containerd://1.7.15") -> list:
    return docker_era_dashboards(dashboards_in([dash_cm(query)]), runtimes([node_rt(runtime)]), "shared")


def test_docker_era_query_on_containerd_is_found_with_its_replacement() -> None:
    [f] = mt007(
        'SELECT mean("usage_percent") FROM "docker_container_cpu" WHERE "io.kubernetes.pod.name" =~ /^$pod$/'
    )
    assert "MongoDB Monitoring Dashboard" in f.diagnosis
    assert any("kubernetes_pod_container" in e for e in f.evidence)
    assert any("panel/variable 'CPU'" in e for e in f.evidence)


def test_docker_era_query_on_docker_nodes_is_fine() -> None:
    assert mt007('SELECT * FROM "docker_container_cpu"', runtime="docker://20.10.7") == []


def test_hostile_dashboards_do_not_break_the_reader() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    cm = {
        "metadata": {"name": "x"},
        "data": {"a.json": '{"panels": ' + deep + "}", "b.json": '{"panels": [}'},
    }
    assert dashboards_in([cm]) == []
