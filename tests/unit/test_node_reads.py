"""Kubelet documents through the nodes proxy, and remembered answers: live, saved, read back offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_get_output
from vantiq_health.view import Unavailable
from vantiq_health.view.live import LiveView, load_api_client
from vantiq_health.view.save import save_snapshot
from vantiq_health.view.snapshot import SnapshotView

SUMMARY = {
    "node": {"nodeName": "node-1", "fs": {"capacityBytes": 100, "availableBytes": 40}},
    "pods": [
        {
            "podRef": {"name": "influxdb-0", "namespace": "shared"},
            "volume": [
                {
                    "name": "data",
                    "capacityBytes": 100,
                    "availableBytes": 3,
                    "pvcRef": {"name": "x", "namespace": "shared"},
                }
            ],
        }
    ],
}
CONFIGZ = {"kubeletconfig": {"clusterDomain": "cluster.local", "clusterDNS": ["10.0.0.10"]}}


def _view(fake: FakeCluster, tmp_path: Path) -> LiveView:
    api, context, _ = load_api_client(str(fake.write_kubeconfig(tmp_path / "kc")), None)
    view = LiveView(api, context=context, read_timeout=2)
    view.connect()
    return view


def test_live_reads_each_document_once_through_the_nodes_proxy(tmp_path: Path) -> None:
    docs = {("node-1", "stats/summary"): SUMMARY, ("node-1", "configz"): CONFIGZ}
    with FakeCluster(baseline().objects, node_docs=docs) as fake:
        view = _view(fake, tmp_path)
        assert view.node_proxy("node-1", "stats/summary") == SUMMARY
        assert view.node_proxy("node-1", "stats/summary") == SUMMARY
        assert view.node_proxy("node-1", "configz") == CONFIGZ
        with pytest.raises(Unavailable, match="configz of node node-2"):
            view.node_proxy("node-2", "configz")
        proxied = [p for _, p in fake.requests if "/proxy/" in p]
    assert proxied == [
        "/api/v1/nodes/node-1/proxy/stats/summary",
        "/api/v1/nodes/node-1/proxy/configz",
        "/api/v1/nodes/node-2/proxy/configz",
    ]


def test_without_get_nodes_proxy_the_reason_names_the_permission(tmp_path: Path) -> None:
    docs = {("node-1", "configz"): CONFIGZ}
    with FakeCluster(baseline().objects, node_docs=docs, forbidden=[("get", "nodes/proxy", "*")]) as fake:
        view = _view(fake, tmp_path)
        with pytest.raises(Unavailable, match="needs: get nodes/proxy") as caught:
            view.node_proxy("node-1", "configz")
    assert caught.value.cause == "forbidden"


def test_only_the_documents_the_suite_reads_can_be_asked_for(tmp_path: Path) -> None:
    view = SnapshotView(write_get_output(baseline(), tmp_path / "snap"))
    with pytest.raises(ValueError, match="not a kubelet document"):
        view.node_proxy("node-1", "../../../api/v1/secrets")


def test_kubectl_raw_captures_are_recognized_by_their_shape(tmp_path: Path) -> None:
    root = write_get_output(baseline(), tmp_path / "snap")
    (root / "stats.json").write_text(json.dumps(SUMMARY))  # the summary names its node
    (root / "configz-node-1.json").write_text(json.dumps(CONFIGZ))
    view = SnapshotView(root)
    assert view.node_proxy("node-1", "stats/summary") == SUMMARY
    assert view.node_proxy("node-1", "configz") == CONFIGZ
    with pytest.raises(Unavailable, match=r"kubectl get --raw /api/v1/nodes/node-2/proxy/stats/summary"):
        view.node_proxy("node-2", "stats/summary")
    assert not view.ignored


def test_a_configz_whose_node_is_not_named_serves_every_node(tmp_path: Path) -> None:
    root = write_get_output(baseline(), tmp_path / "snap")
    (root / "configz.json").write_text(json.dumps(CONFIGZ))
    assert SnapshotView(root).node_proxy("node-3", "configz") == CONFIGZ


def test_save_snapshot_keeps_what_was_read_and_remembered(tmp_path: Path) -> None:
    docs = {("node-1", "stats/summary"): SUMMARY}
    with FakeCluster(baseline().objects, node_docs=docs) as fake:
        view = _view(fake, tmp_path)
        view.objects("pods", "prod")
        view.node_proxy("node-1", "stats/summary")
        answer: dict[str, Any] = {"service": "influxdb", "error_class": "", "data": {"points": 3}}
        view.remember("probe/influxdb/prod", answer)
        save_snapshot(view, tmp_path / "out", ["prod"], "shared")
    offline = SnapshotView(tmp_path / "out")
    assert offline.node_proxy("node-1", "stats/summary") == SUMMARY
    assert offline.recall("probe/influxdb/prod") == answer
    assert offline.recall("probe/influxdb/other") is None


def test_hostile_records_are_not_taken_as_answers(tmp_path: Path) -> None:
    root = write_get_output(baseline(), tmp_path / "snap")
    doc = {"kind": "VantiqHealthRecords", "records": {"a": "text", "b": [1], "c": {"ok": True}}}
    (root / "records.json").write_text(json.dumps(doc))
    view = SnapshotView(root)
    assert view.recall("a") is None
    assert view.recall("b") is None
    assert view.recall("c") == {"ok": True}
