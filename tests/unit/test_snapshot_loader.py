"""The snapshot loader on the many shapes real captures take."""

from __future__ import annotations

import base64
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from vantiq_health.view import SetupError, Unavailable, shape, snapshot_files
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
        "[database]\ntype = mysql\nhost = grafanadb-mysql:3306\npassword = <redacted 7 bytes hmac "
    )
    assert "hunter2" not in ini


# -- captures as they come from real clusters ---------------------------------------
def test_unquoted_timestamps_of_older_kubectl_stay_rfc3339_strings(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: a, namespace: prod, creationTimestamp: 2018-03-01T09:00:00Z}\n"
        "  status:\n    containerStatuses:\n    - name: c\n      restartCount: 7\n"
        "      state: {running: {startedAt: 2018-03-01T10:00:00Z}}\n"
        "      lastState: {terminated: {finishedAt: !!timestamp 2018-03-01T09:59:00Z}}\n"
    )
    view = SnapshotView(tmp_path)
    [status] = view.objects("pods", "prod")[0]["status"]["containerStatuses"]
    assert status["state"]["running"]["startedAt"] == "2018-03-01T10:00:00Z"
    assert status["lastState"]["terminated"]["finishedAt"] == "2018-03-01T09:59:00Z"
    assert view.now() == datetime(2018, 3, 1, 10, 0, tzinfo=UTC)  # not the file's date


def test_yaml_keys_are_strings_as_the_api_server_makes_them(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: prod, labels: {1: one, ~: x, true: t}}\n"
    )
    [pod] = SnapshotView(tmp_path).objects("pods", "prod")
    assert pod["metadata"]["labels"] == {"1": "one", "~": "x", "true": "t"}


def test_malformed_objects_are_dropped_with_a_note_and_the_rest_is_read(tmp_path: Path) -> None:
    bad_status = {"containerStatuses": [{"name": "c", "restartCount": "three", "ready": True}]}
    items = [
        {**_pod("good", "prod"), "status": bad_status},
        {"apiVersion": "v1", "kind": "Pod", "spec": {}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": {"a": 1}, "namespace": "prod"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "b", "namespace": ["prod"]}},
        {**_pod("c", "prod"), "spec": {"containers": "vantiq"}},
    ]
    (tmp_path / "pods.json").write_text(_list(*items))
    view = SnapshotView(tmp_path)
    pods = {p["metadata"]["name"]: p for p in view.objects("pods", "prod")}
    assert sorted(pods) == ["c", "good"]
    assert pods["good"]["status"]["containerStatuses"] == [{"name": "c", "ready": True}]
    assert "containers" not in pods["c"]["spec"]
    assert view.notes == [
        "Pod prod/good in pods.json: status.containerStatuses[0].restartCount is a string, "
        "not a number from 0 to 2147483648: field ignored",
        "Pod in pods.json has no metadata: ignored",
        "Pod in pods.json: metadata.name is an object, not a string: ignored",
        "Pod b in pods.json: metadata.namespace is a list, not a string: ignored",
        "Pod prod/c in pods.json: spec.containers is a string, not a list: field ignored",
    ]


def test_files_the_loader_does_not_understand_are_named_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "old.yaml").write_text("Kind: Pod\nObjectMeta:\n  Name: a\n  Namespace: prod\n")
    (tmp_path / "random.json").write_text('{"hello": "world"}')
    (tmp_path / "limitranges.json").write_text(_list({"kind": "LimitRange", "metadata": {"name": "x"}}))
    (tmp_path / "numbers.json").write_text("[1, 2, 3]")
    notes = SnapshotView(tmp_path).notes
    assert notes == [
        "ignored limitranges.json: 1 item(s) of a list: kinds not read by the checks: LimitRange",
        "ignored numbers.json: a document that is a list, not a Kubernetes object",
        "ignored old.yaml: capitalised keys (Kind, ObjectMeta): the Go-struct output of a very old kubectl, "
        "not the API's JSON (capture with kubectl get -o json)",
        "ignored random.json: an object without kind/apiVersion: not a Kubernetes object",
    ]


def test_a_snapshot_of_only_files_not_understood_says_why_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "old.yaml").write_text("Kind: Pod\nObjectMeta:\n  Name: a\n")
    with pytest.raises(SetupError, match=r"holds no Kubernetes objects \(ignored old.yaml: capitalised keys"):
        SnapshotView(tmp_path)


def test_notes_are_capped_for_the_header(tmp_path: Path) -> None:
    pods = [{**_pod(f"p{i}", "prod"), "spec": {"nodeName": i}} for i in range(50)]
    (tmp_path / "pods.json").write_text(_list(*pods))
    notes = SnapshotView(tmp_path).notes
    assert len(notes) == 21
    assert notes[-1] == "... and 30 more notes on the snapshot's files"


def test_a_capture_of_cluster_scoped_objects_only_cannot_tell_namespaces(tmp_path: Path) -> None:
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": "pv-1"},
        "status": {"phase": "Released"},
    }
    (tmp_path / "pv.json").write_text(_list(pv))
    view = SnapshotView(tmp_path)
    assert view.namespace_exists("default") is None
    assert view.namespaces_present() == []
    assert [p["metadata"]["name"] for p in view.objects("persistentvolumes")] == ["pv-1"]


def test_namespace_exists_when_the_snapshot_can_tell(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod"), _pod("b", "shared")))
    view = SnapshotView(tmp_path)
    assert (view.namespace_exists("prod"), view.namespace_exists("typo")) == (True, False)
    assert view.namespaces_present() == ["prod", "shared"]


def test_a_meta_file_of_the_wrong_shape_is_noted_not_trusted(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "vantiq-health-snapshot.json").write_text(
        json.dumps({"listed": "pods", "captured_at": "yesterday", "namespaces": ["prod"]})
    )
    view = SnapshotView(tmp_path)
    assert view.notes == ["ignored vantiq-health-snapshot.json: not understood: listed, captured_at"]
    assert view.meta["namespaces"] == ["prod"]
    assert view.now().year > 2000


def test_a_server_version_that_says_nothing_is_noted(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "version.json").write_text(json.dumps({"serverVersion": {"major": [], "gitVersion": 5}}))
    view = SnapshotView(tmp_path)
    with pytest.raises(Unavailable, match="no server version"):
        view.version()
    assert view.notes == [
        "ignored version.json: a server version that does not say which (major, minor, gitVersion)"
    ]


def test_shape_fit_serves_the_live_view_too() -> None:
    pod = {"metadata": {"name": "a", "namespace": "prod"}, "status": {"phase": ["Running"]}}
    fitted, notes = shape.fit(pod, "/api/v1/namespaces/prod/pods", kind="Pod")
    assert fitted == {"metadata": {"name": "a", "namespace": "prod"}, "status": {}}
    assert notes == [
        "Pod prod/a in /api/v1/namespaces/prod/pods: status.phase is a list, not a string: field ignored"
    ]


@pytest.mark.parametrize("base", [yaml.SafeLoader, getattr(yaml, "CSafeLoader", yaml.SafeLoader)])
def test_both_yaml_loaders_keep_timestamps_and_refuse_bombs_and_depth(base: type) -> None:
    loader, rel = snapshot_files.loader_on(base), Path("x.yaml")
    [doc] = snapshot_files.parse_yaml("t: 2018-03-01T10:00:00Z\nd: 2018-03-01\n1: one\n", rel, loader)
    assert doc == {"t": "2018-03-01T10:00:00Z", "d": "2018-03-01", "1": "one"}
    bomb = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
    )
    with pytest.raises(SetupError, match=r"^snapshot file x.yaml, line 1: refused: its aliases expand"):
        snapshot_files.parse_yaml(bomb, rel, loader)
    with pytest.raises(SetupError, match=r"^snapshot file x.yaml.*(nest|nesting)"):
        snapshot_files.parse_yaml("[" * 200_000 + "]" * 200_000, rel, loader)


def test_an_unreadable_file_is_unreadable_not_empty(tmp_path: Path) -> None:
    (tmp_path / "pods.json").write_text(_list(_pod("a", "prod")))
    (tmp_path / "secrets.json").write_text(_list())
    (tmp_path / "secrets.json").chmod(0)
    if os.access(tmp_path / "secrets.json", os.R_OK):
        pytest.skip("running as root: every file is readable")
    with pytest.raises(SetupError, match=r"^snapshot file secrets.json: cannot read it: Permission denied$"):
        SnapshotView(tmp_path)


def test_a_snapshot_saved_by_the_suite_reads_without_notes(tmp_path: Path) -> None:
    from vantiq_health.view.save import save_snapshot

    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "pods.json").write_text(_list(_pod("a", "prod")))
    view = SnapshotView(tmp_path / "in")
    view.objects("pods", "prod")
    save_snapshot(view, tmp_path / "out", ["prod"], "shared")
    saved = SnapshotView(tmp_path / "out")
    assert saved.notes == []
    assert saved.meta["namespaces"] == ["prod"]
