"""The snapshot loader on the many shapes real captures take."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from vantiq_health.view import SetupError, Unavailable
from vantiq_health.view.snapshot import SnapshotView


def _pod(name: str, ns: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {},
        "status": {},
    }


def _list(*items: dict) -> str:
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": list(items)})


def _secret(name: str, ns: str, data: dict | None) -> dict:
    obj = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": ns},
    }
    if data is not None:
        obj["data"] = data
    return obj


def test_per_namespace_captures_cover_only_their_namespace(tmp_path: Path) -> None:
    (tmp_path / "pods-prod.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "cronjobs-prod.json").write_text(
        _list({"kind": "CronJob", "apiVersion": "batch/v1", "metadata": {"name": "b", "namespace": "prod"}})
    )
    view = SnapshotView(tmp_path)
    assert [p["metadata"]["name"] for p in view.objects("pods", "prod")] == ["a"]
    with pytest.raises(Unavailable, match="holds pods of prod but not of shared"):
        view.objects("pods", "shared")


def test_an_all_namespaces_capture_covers_kinds_found_in_one_namespace_only(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod"), _pod("b", "shared")))
    (tmp_path / "daemonsets.json").write_text(
        _list(
            {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": {"name": "t", "namespace": "shared"}}
        )
    )
    view = SnapshotView(tmp_path)
    assert view.objects("daemonsets", "prod") == []


def test_a_kind_not_captured_says_how_to_capture_it(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    with pytest.raises(Unavailable, match=r"holds no secrets \(capture: kubectl get secrets -n prod -o json"):
        SnapshotView(tmp_path).objects("secrets", "prod")


def test_cluster_info_dump_written_to_stdout_as_one_file(tmp_path: Path) -> None:
    pods = {
        "kind": "PodList",
        "apiVersion": "v1",
        "items": [{"metadata": {"name": "mongodb-2", "namespace": "prod"}, "spec": {}, "status": {}}],
    }
    nodes = {"kind": "NodeList", "apiVersion": "v1", "items": [{"metadata": {"name": "n1"}}]}
    text = (
        json.dumps(nodes, indent=4) + "\n" + json.dumps(pods, indent=4) + "\n"
        "==== START logs for container bootstrap of pod prod/mongodb-2 ====\n"
        "lookup mongodb: i/o timeout\n"
        "==== END logs for container bootstrap of pod prod/mongodb-2 ====\n"
    )
    (tmp_path / "cluster-dump.txt").write_text(text)
    view = SnapshotView(tmp_path)
    assert [p["metadata"]["name"] for p in view.objects("pods", "prod")] == ["mongodb-2"]
    assert view.logs("prod", "mongodb-2", "bootstrap") == ["lookup mongodb: i/o timeout"]
    assert len(view.objects("nodes")) == 1


def test_notes_next_to_the_capture_are_ignored(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "notes.txt").write_text("captured by ops on Friday\n")
    assert SnapshotView(tmp_path).objects("pods", "prod")


def test_multi_document_yaml_with_a_byte_order_mark(tmp_path: Path) -> None:
    (tmp_path / "objs.yaml").write_text(
        "\ufeffapiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: prod}\n---\n"
        "apiVersion: v1\nkind: Pod\nmetadata: {name: b, namespace: prod}\n---\n"
        "clientVersion: {major: '1', minor: '32'}\nserverVersion: {major: '1', minor: 29+, gitVersion: v1.29.4-eks-1}\n"
    )
    view = SnapshotView(tmp_path)
    assert sorted(p["metadata"]["name"] for p in view.objects("pods", "prod")) == ["a", "b"]
    assert view.version()["gitVersion"] == "v1.29.4-eks-1"


def test_events_k8s_io_events_read_like_core_events(tmp_path: Path) -> None:
    event = {
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "e", "namespace": "prod"},
        "regarding": {"kind": "Pod", "name": "vantiq-0", "fieldPath": "spec.containers{vantiq}"},
        "reason": "Unhealthy",
        "note": "Readiness probe failed: boom",
        "series": {"count": 4, "lastObservedTime": "2026-11-29T10:00:00.000000Z"},
    }
    (tmp_path / "events.json").write_text(_list(event))
    [read] = SnapshotView(tmp_path).objects("events", "prod")
    assert read["involvedObject"]["name"] == "vantiq-0"
    assert (read["message"], read["count"]) == ("Readiness probe failed: boom", 4)


def test_the_same_object_captured_twice_is_read_once(tmp_path: Path) -> None:
    (tmp_path / "all.json").write_text(_list(_pod("a", "prod"), _pod("b", "shared")))
    (tmp_path / "prod.json").write_text(_list(_pod("a", "prod")))
    assert len(SnapshotView(tmp_path).objects("pods", "prod")) == 1


def test_values_that_are_not_base64_anywhere_mean_a_redacted_capture(tmp_path: Path) -> None:
    secrets = [
        _secret("keycloak", "prod", {"password": "***"}),
        _secret("db", "prod", {"user": "<redacted>"}),
    ]
    (tmp_path / "secrets.json").write_text(_list(*secrets))
    view = SnapshotView(tmp_path)
    assert "redacted" in (view.secret_values_redacted() or "")
    assert view.secret_keys_known()


def test_one_bad_value_among_good_ones_is_a_defect_not_a_redaction(tmp_path: Path) -> None:
    good = base64.b64encode(b"s3cret").decode()
    secrets = [
        _secret("keycloak", "prod", {"password": "not base64!"}),
        _secret("db", "prod", {"user": good, "password": good + "x"}),
    ]
    (tmp_path / "secrets.json").write_text(_list(*secrets))
    view = SnapshotView(tmp_path)
    assert view.secret_values_redacted() is None
    [keycloak] = [s for s in view.objects("secrets", "prod") if s["metadata"]["name"] == "keycloak"]
    assert keycloak["data"]["password"]["defects"] == ["not-base64"]


def test_secrets_without_data_leave_their_keys_unknown(tmp_path: Path) -> None:
    (tmp_path / "secrets.json").write_text(_list(_secret("keycloak", "prod", None)))
    view = SnapshotView(tmp_path)
    assert not view.secret_keys_known()
    assert view.secret_values_redacted()


def test_an_object_with_a_broken_metadata_field_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod"), {"kind": "Pod", "metadata": "oops"}))
    assert len(SnapshotView(tmp_path).objects("pods", "prod")) == 1


def test_a_directory_without_objects_is_no_snapshot(tmp_path: Path) -> None:
    (tmp_path / "README").write_text("nothing here")
    with pytest.raises(SetupError, match="holds no Kubernetes objects"):
        SnapshotView(tmp_path)


def test_saved_configmaps_keep_their_shape_but_not_their_passwords() -> None:
    from vantiq_health.view.save import redacted_copy

    cm = {
        "kind": "ConfigMap",
        "metadata": {"name": "grafana"},
        "data": {
            "grafana.ini": "[database]\ntype = mysql\nhost = grafanadb-mysql:3306\npassword = hunter2\n"
        },
    }
    ini = redacted_copy(cm)["data"]["grafana.ini"]
    assert ini.startswith(
        "[database]\ntype = mysql\nhost = grafanadb-mysql:3306\npassword = <redacted: 7 bytes, hmac "
    )
    assert "hunter2" not in ini
