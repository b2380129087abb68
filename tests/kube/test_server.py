"""The fake API server, driven by the unpatched official client over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException

from .server import FakeCluster

MANAGED = [{"manager": "helm", "operation": "Update", "apiVersion": "v1", "time": "2024-01-01T00:00:00Z"}]


def _meta(name: str, namespace: str | None = None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels, "resourceVersion": "7", "managedFields": MANAGED}
    return meta | ({"namespace": namespace} if namespace else {})


OBJECTS: list[dict[str, Any]] = [
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta("web-0", "prod", app="web", tier="front"),
        "spec": {"containers": [{"name": "web", "image": "nginx"}, {"name": "proxy", "image": "envoy"}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta("db-0", "prod", app="db"),
        "spec": {"containers": [{"name": "db", "image": "postgres"}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": _meta("web-0", "staging", app="web"),
        "spec": {"containers": [{"name": "web", "image": "nginx"}]},
    },
    {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta("creds", "prod"),
        "type": "Opaque",
        "data": {"password": "c2VjcmV0"},
    },
    {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": _meta("pv-1"),
        "spec": {"capacity": {"storage": "1Gi"}},
    },
    {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": _meta("standard"),
        "provisioner": "kubernetes.io/no-provisioner",
    },
    {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": _meta("db", "prod", app="db"),
        "spec": {"replicas": 1, "serviceName": "db"},
    },
    {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": _meta("backup", "prod"),
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}},
        },
    },
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": _meta("web-0.1", "prod"),
        "reason": "BackOff",
        "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "prod"},
    },
    {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": _meta("db-0.1", "prod"),
        "reason": "Pulled",
        "involvedObject": {"kind": "Pod", "name": "db-0", "namespace": "prod"},
    },
]
LOGS = {
    ("prod", "web-0", "web"): "one\ntwo\nthree\n",
    ("prod", "web-0", "web:previous"): "crashed\n",
    ("prod", "db-0", "db"): "ready\n",
}


def _api(cluster: FakeCluster, tmp: Path) -> client.ApiClient:
    return config.new_client_from_config(config_file=str(cluster.write_kubeconfig(tmp / "kubeconfig")))


@pytest.fixture(scope="module")
def cluster() -> Iterator[FakeCluster]:
    with FakeCluster(OBJECTS, logs=LOGS) as running:
        yield running


@pytest.fixture(scope="module")
def api(cluster: FakeCluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[client.ApiClient]:
    with _api(cluster, tmp_path_factory.mktemp("kube")) as api_client:
        yield api_client


def _raw(response: Any) -> dict[str, Any]:
    return json.loads(response.data)


def _names(listing: dict[str, Any]) -> list[str]:
    return [item["metadata"]["name"] for item in listing["items"]]


def test_namespaced_pods_as_raw_json(api: client.ApiClient) -> None:
    listing = _raw(client.CoreV1Api(api).list_namespaced_pod("prod", _preload_content=False))
    assert (listing["kind"], listing["apiVersion"]) == ("PodList", "v1")
    assert listing["metadata"]["resourceVersion"] == "7"
    assert _names(listing) == ["db-0", "web-0"]
    assert listing["items"][1]["metadata"]["managedFields"] == MANAGED


def test_all_namespaces_and_typed_read(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    everywhere = _raw(core.list_pod_for_all_namespaces(limit=500, _preload_content=False))
    assert [(i["metadata"]["namespace"], i["metadata"]["name"]) for i in everywhere["items"]] == [
        ("prod", "db-0"),
        ("prod", "web-0"),
        ("staging", "web-0"),
    ]
    assert not everywhere["metadata"].get("continue")
    pod = core.read_namespaced_pod("web-0", "prod")
    assert pod.metadata.labels == {"app": "web", "tier": "front"}
    assert [c.name for c in pod.spec.containers] == ["web", "proxy"]


@pytest.mark.parametrize(
    ("selector", "expected"),
    [
        ("app=web", ["web-0", "web-0"]),
        ("app!=web", ["db-0"]),
        ("app in (db, cache)", ["db-0"]),
        ("tier", ["web-0"]),
        ("!tier,app notin (db)", ["web-0"]),
        ("app==web,tier=front", ["web-0"]),
    ],
)
def test_label_selectors(api: client.ApiClient, selector: str, expected: list[str]) -> None:
    listing = client.CoreV1Api(api).list_pod_for_all_namespaces(
        label_selector=selector, _preload_content=False
    )
    assert _names(_raw(listing)) == expected


def test_field_selectors_on_events_and_names(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    events = core.list_namespaced_event("prod", field_selector="involvedObject.name=web-0")
    assert [e.reason for e in events.items] == ["BackOff"]
    pods = core.list_pod_for_all_namespaces(field_selector="metadata.name=db-0", _preload_content=False)
    assert _names(_raw(pods)) == ["db-0"]


def test_secret_and_other_resources(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    assert core.read_namespaced_secret("creds", "prod").data == {"password": "c2VjcmV0"}
    assert [pv.metadata.name for pv in core.list_persistent_volume().items] == ["pv-1"]
    classes = _raw(client.StorageV1Api(api).list_storage_class(_preload_content=False))
    assert (classes["kind"], _names(classes)) == ("StorageClassList", ["standard"])
    sets = _raw(client.AppsV1Api(api).list_namespaced_stateful_set("prod", _preload_content=False))
    assert (sets["kind"], sets["apiVersion"], _names(sets)) == ("StatefulSetList", "apps/v1", ["db"])
    jobs = client.BatchV1Api(api).list_cron_job_for_all_namespaces()
    assert [j.spec.schedule for j in jobs.items] == ["0 * * * *"]
    assert client.NetworkingV1Api(api).list_namespaced_ingress("prod").items == []


def test_pod_logs(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    assert core.read_namespaced_pod_log("web-0", "prod", container="web", tail_lines=2) == "two\nthree\n"
    assert core.read_namespaced_pod_log("web-0", "prod", container="web", previous=True) == "crashed\n"
    assert core.read_namespaced_pod_log("db-0", "prod") == "ready\n"  # the only container
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod_log("web-0", "prod", container="proxy")
    assert missing.value.status == 404
    with pytest.raises(ApiException) as no_previous:
        core.read_namespaced_pod_log("db-0", "prod", container="db", previous=True)
    assert no_previous.value.status == 400


def test_missing_object_is_a_404_status(api: client.ApiClient) -> None:
    with pytest.raises(ApiException) as error:
        client.CoreV1Api(api).read_namespaced_pod("nope", "prod")
    assert error.value.status == 404
    assert json.loads(error.value.body) | {"details": None} == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'pods "nope" not found',
        "reason": "NotFound",
        "details": None,
        "code": 404,
    }


def test_namespaces(api: client.ApiClient) -> None:
    core = client.CoreV1Api(api)
    assert core.read_namespace("prod").status.phase == "Active"
    assert core.read_namespace_status("staging").metadata.name == "staging"
    assert [ns.metadata.name for ns in core.list_namespace().items] == ["prod", "staging"]
    with pytest.raises(ApiException) as error:
        core.read_namespace("absent")
    assert (error.value.status, json.loads(error.value.body)["reason"]) == (404, "NotFound")


def test_version_and_discovery(api: client.ApiClient) -> None:
    version = client.VersionApi(api).get_code()
    assert (version.major, version.minor, version.git_version) == ("1", "29", "v1.29.0")
    assert client.CoreApi(api).get_api_versions().versions == ["v1"]
    groups = {g.name: [v.version for v in g.versions] for g in client.ApisApi(api).get_api_versions().groups}
    assert groups["batch"] == ["v1"]
    assert groups["policy"] == ["v1"]
    assert "apps" in groups
    core = client.CoreV1Api(api).get_api_resources()
    pods = next(r for r in core.resources if r.name == "pods")
    assert (core.group_version, pods.kind, pods.namespaced, "list" in pods.verbs) == ("v1", "Pod", True, True)
    apps = client.AppsV1Api(api).get_api_resources()
    assert "statefulsets" in {r.name for r in apps.resources}


def test_legacy_groups_on_old_releases(tmp_path: Path) -> None:
    legacy = {
        "apiVersion": "batch/v1beta1",
        "kind": "CronJob",
        "metadata": {"name": "old", "namespace": "ops"},
    }
    with FakeCluster([legacy], version="1.24") as old, _api(old, tmp_path) as api:
        groups = {
            g.name: [v.version for v in g.versions] for g in client.ApisApi(api).get_api_versions().groups
        }
        assert groups["batch"] == ["v1", "v1beta1"]
        assert "v1beta1" in groups["policy"]
        listing = client.CustomObjectsApi(api).list_cluster_custom_object("batch", "v1beta1", "cronjobs")
        assert (listing["kind"], listing["apiVersion"], _names(listing)) == (
            "CronJobList",
            "batch/v1beta1",
            ["old"],
        )


def test_forbidden_is_a_403_status(tmp_path: Path) -> None:
    with (
        FakeCluster(OBJECTS, forbidden=[("list", "secrets", "prod")]) as denied,
        _api(denied, tmp_path) as api,
    ):
        core = client.CoreV1Api(api)
        with pytest.raises(ApiException) as error:
            core.list_namespaced_secret("prod")
        assert core.read_namespaced_secret("creds", "prod").metadata.name == "creds"
        assert core.list_namespaced_secret("staging").items == []
    assert error.value.status == 403
    assert json.loads(error.value.body) == {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": 'secrets is forbidden: User "system:serviceaccount:x:y" cannot list resource "secrets"'
        ' in API group "" in the namespace "prod"',
        "reason": "Forbidden",
        "details": {"kind": "secrets"},
        "code": 403,
    }


def test_subject_access_review_twice(tmp_path: Path) -> None:
    def sar(review: dict[str, Any]) -> bool:
        return review["spec"]["resourceAttributes"]["resource"] != "secrets"

    def review(resource: str) -> client.V1SubjectAccessReview:
        attributes = client.V1ResourceAttributes(verb="list", resource=resource, namespace="prod")
        spec = client.V1SubjectAccessReviewSpec(user="u", resource_attributes=attributes)
        return client.V1SubjectAccessReview(spec=spec)

    with FakeCluster(OBJECTS, sar=sar) as running, _api(running, tmp_path) as api:
        authz = client.AuthorizationV1Api(api)
        for _ in range(2):  # kmock alone would store the nameless review and answer 409 the second time
            assert authz.create_subject_access_review(review("pods")).status.allowed is True
        assert authz.create_subject_access_review(review("secrets")).status.allowed is False


def test_request_log_records_writes(tmp_path: Path) -> None:
    with FakeCluster(OBJECTS) as running, _api(running, tmp_path) as api:
        client.CoreV1Api(api).patch_namespaced_pod("db-0", "prod", {"metadata": {"labels": {"x": "y"}}})
        client.CoreV1Api(api).list_namespaced_pod("prod", label_selector="app=db")
    assert running.requests == [
        ("PATCH", "/api/v1/namespaces/prod/pods/db-0"),
        ("GET", "/api/v1/namespaces/prod/pods?labelSelector=app=db"),
    ]


def test_date_header_and_parallel_clusters() -> None:
    with FakeCluster([]) as first, FakeCluster([], version="1.31") as second:
        assert first.url != second.url
        with urllib.request.urlopen(f"{second.url}/version") as response:
            assert response.headers["Date"]
            assert json.load(response)["minor"] == "31"
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{first.url}/api/v1/namespaces/default")
        error.value.close()
        assert error.value.code == 404
