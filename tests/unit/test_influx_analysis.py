"""MT004/MT006 analysis over recorded shapes: the kubelet stats summary and the notes' telegraf lines."""

from __future__ import annotations

from tests.scenarios.broken_influx import DISK_FULL, SLOW, _timeout
from tests.scenarios.installation import stats_summary
from vantiq_health.analysis import influx, telegraf
from vantiq_health.analysis.telegraf import TelegrafLog

GIB = 1 << 30
CLAIM = "influxdb-data-influxdb-0"
CLAIMS = {CLAIM: influx.Claim(CLAIM, "pvc-1234", "50Gi")}


def _pod(name: str, ns: str, ip: str, **labels: str) -> dict[str, object]:
    return {"metadata": {"name": name, "namespace": ns, "labels": labels}, "status": {"podIP": ip}}


def _usage(free_gib: float) -> list[influx.VolumeUsage]:
    summary = stats_summary("node-0", [("shared", "influxdb-0", CLAIM, 50 * GIB, int(free_gib * GIB))])
    return influx.volume_usage(summary, "shared", {CLAIM})


def _space(free_gib: float, lines: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    found = influx.space_findings(_usage(free_gib), list(lines), CLAIMS, "shared", 10, 5)
    return [(f.severity, f.diagnosis) for f in found]


def test_volume_usage_reads_only_the_influxdb_claims_of_the_namespace() -> None:
    summary = stats_summary(
        "node-0",
        [
            ("shared", "influxdb-0", CLAIM, 50 * GIB, 30 * GIB),
            ("prod", "mongodb-0", "datadir-mongodb-0", 20 * GIB, 1 * GIB),
            ("other", "influxdb-0", CLAIM, 50 * GIB, 1 * GIB),
        ],
    )
    (usage,) = influx.volume_usage(summary, "shared", {CLAIM})
    assert (usage.node, usage.pod, usage.claim, usage.free_percent) == ("node-0", "influxdb-0", CLAIM, 60.0)


def test_free_space_thresholds() -> None:
    assert _space(30) == []
    assert _space(5.0) == []  # exactly 10%: not below
    (low,) = _space(4.0)
    assert low[0] == "warning"
    assert "is nearly full: 8.0% free (below 10%)" in low[1]
    (full,) = _space(2.0)
    assert full[0] == "critical"
    assert "is full: 4.0% free (below 5%)" in full[1]
    assert "volume pvc-1234" in full[1]


def test_disk_full_lines_make_a_low_volume_critical_and_a_clean_one_a_log_finding() -> None:
    lines = telegraf.disk_full_lines([TelegrafLog("telegraf-ds-a", "node-0", tuple(DISK_FULL.splitlines()))])
    assert len(lines) == 1  # the WAL line; "could not write any address" alone says nothing of the disk
    assert lines[0].startswith("telegraf-ds-a: 2023-03-06T01:29:53Z E! [outputs.influxdb]")
    (low,) = _space(4.0, tuple(lines))
    assert low[0] == "critical"
    (only_logs,) = influx.space_findings([], lines, CLAIMS, "shared", 10, 5)
    assert only_logs.severity == "critical"
    assert "its volume is full (no space left on device)" in only_logs.diagnosis
    assert "kubectl patch pvc influxdb-data-influxdb-0 -n shared -p" in only_logs.fix[1]
    assert '"storage":"100Gi"' in only_logs.fix[1]


def test_each_unreachable_target_is_named() -> None:
    pods = [
        _pod("mongodb-1", "prod", "10.244.2.31"),
        _pod("ingress-nginx-controller-7f-abc", "shared", "10.244.1.60"),
    ]
    logs = [
        TelegrafLog("telegraf-ds-b", "node-1", (SLOW.strip(), "2022-07-13T02:34:00Z I! Starting Telegraf")),
        TelegrafLog(
            "telegraf-prom-x",
            "node-1",
            (
                _timeout("10.244.2.31:9216").strip(),
                _timeout("10.244.1.60:10254").strip(),
                _timeout("10.9.9.9:80").strip(),
            ),
        ),
    ]
    found = telegraf.unreachable(logs, pods, {"node-1": "10.240.0.5"}, ("mongodb",))
    labels = {t.label: t.address for t in found}
    assert labels == {
        "the kubelet of node node-1": "10.240.0.5:10250",
        "MongoDB pod prod/mongodb-1": "10.244.2.31:9216",
        "ingress-nginx controller pod shared/ingress-nginx-controller-7f-abc (its metrics port)": "10.244.1.60:10254",
        "10.9.9.9:80 (no pod of the checked namespaces has this address)": "10.9.9.9:80",
    }
    findings = telegraf.collection_findings(found, "shared")
    assert [f.check_id for f in findings] == ["MT006"] * 4
    objects = {f.object.to_dict()["name"] if f.object else None for f in findings}
    assert objects == {"node-1", "mongodb-1", "ingress-nginx-controller-7f-abc", None}


def test_pods_sharing_an_address_name_the_scraped_one() -> None:
    """Host-network pods share their node's address: MongoDB and the ingress controller go first."""
    pods = [
        _pod("node-exporter-1", "prod", "10.240.0.5"),
        _pod("mongodb-0", "prod", "10.240.0.5"),
    ]
    target = telegraf.pod_target("10.240.0.5", 9216, pods, ("mongodb",))
    assert target.label == "MongoDB pod prod/mongodb-0"


def test_the_notes_placeholder_line_does_not_break_the_parser() -> None:
    """The notes print `http://xx.xx.xx.xx:xxxx/metrics`: no address to name, and no crash."""
    line = _timeout("xx.xx.xx.xx:xxxx").strip()
    found = telegraf.unreachable([TelegrafLog("telegraf-prom-x", "", (line,))], [], {}, ("mongodb",))
    assert found == {}  # nothing that can be named: no port to dial


def test_lines_without_a_timeout_are_not_findings() -> None:
    lines = ("2022-07-13T05:38:03Z E! [inputs.prometheus] Error in plugin: 404 Not Found",)
    assert telegraf.unreachable([TelegrafLog("telegraf-prom-x", "", lines)], [], {}, ()) == {}
