"""The metrics analyses' texts (MT001-MT009) render in Japanese and stay English as strings."""

from __future__ import annotations

from vantiq_health.analysis.metrics import (
    DataSource,
    GrafanaDatabase,
    dashboards_not_in_mysql,
    datasource_findings,
)
from vantiq_health.analysis.rbac import Account, telegraf_rbac
from vantiq_health.analysis.telegraf import TelegrafLog, collection_findings, unreachable
from vantiq_health.i18n import render

SLOW = "2023-03-06T01:29:50Z W! [inputs.kubernetes] Collection took longer than expected; not complete after interval of 30s"


def test_a_data_source_without_credentials_reads_in_both_languages() -> None:
    ds = DataSource("InfluxDB", "http://influx:8086", False, True, "ConfigMap grafana datasources.yaml")
    found = datasource_findings([ds], {"influxdb"}, "shared", True, "grafana")
    assert [f.check_id for f in found] == ["MT001", "MT001"]
    assert "names no Service in shared" in found[0].diagnosis  # the English text, as before
    assert render(found[0].diagnosis, "ja") == (
        "Grafana のデータソース 'InfluxDB' は http://influx:8086 を指していますが、shared にその名前の Service がありません"
    )
    assert render(found[0].evidence[1], "ja") == "shared の Service: influxdb"
    assert (
        render(found[1].evidence[0], "ja")
        == "ConfigMap grafana datasources.yaml: ユーザーが設定されていません"
    )


def test_grafana_on_sqlite_reads_in_japanese() -> None:
    db = GrafanaDatabase("sqlite3", "", "ConfigMap grafana grafana.ini [database]")
    (found,) = dashboards_not_in_mysql(db, set(), "shared", "grafana", "grafanadb-mysql:3306")
    assert "they are lost on the next upgrade" in found.diagnosis
    assert render(found.diagnosis, "ja").endswith("次のバージョンアップで消えます")
    assert (
        render(found.evidence[0], "ja")
        == "ConfigMap grafana grafana.ini [database]: type が空です（Grafana の既定値 sqlite3）"
    )
    assert found.fix[0].startswith("kubectl get configmap -n shared grafana")  # commands stay as they are


def test_telegraf_rbac_and_targets_read_in_japanese() -> None:
    sa = Account("shared", "telegraf")
    (rbac,) = telegraf_rbac(
        "shared", [sa], None, {}, ["daemonset/telegraf-ds"], reviewed={sa: [("watch", "pods")]}
    )
    assert (
        render(rbac.evidence[0], "ja")
        == "ServiceAccount shared/telegraf にはクラスタースコープで watch pods の権限がありません"
    )
    targets = unreachable(
        [TelegrafLog("telegraf-ds-x", "node-1", (SLOW,))], [], {"node-1": "10.0.0.4"}, ("mongodb",)
    )
    (found,) = collection_findings(targets, "shared")
    assert "the kubelet of node node-1 at 10.0.0.4:10250" in found.diagnosis
    assert (
        render(found.diagnosis, "ja")
        == "telegraf が ノード node-1 の kubelet（10.0.0.4:10250）から収集できません: タイムアウトの行が 1 行あります"
    )
    assert found.object is not None
    assert found.object.name == "node-1"
    assert found.fix[0] == "kubectl get node node-1 -o wide"
