"""Helm 3 release storage decoding and the secret-free summary."""

from __future__ import annotations

import base64
import gzip
import json
from typing import Any

import pytest

from vantiq_health.helm import (
    HelmDecodeError,
    ManifestObject,
    ReleaseRecord,
    decode_release_payload,
    encode_release,
    latest,
    record_from_configmap,
    record_from_secret,
    release_configmap,
    release_secret,
    summarize,
)

CANARY_SECRET = "canary-rendered-secret-3f9a"
CANARY_VALUES = "canary-user-value-7c21"

MANIFEST = f"""---
# Source: vantiq/templates/secret.yaml
apiVersion: v1
kind: Secret
metadata:
  name: vantiq-credentials
  namespace: prod
type: Opaque
stringData:
  password: {CANARY_SECRET}
data:
  token: {base64.b64encode(CANARY_SECRET.encode()).decode()}
---
# Source: vantiq/templates/empty.yaml
---
# Source: vantiq/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: vantiq
  labels:
    note: {CANARY_SECRET}-label
spec:
  replicas: 3
---
# Source: vantiq/templates/list.yaml
apiVersion: v1
kind: List
items:
  - apiVersion: policy/v1beta1
    kind: PodDisruptionBudget
    metadata:
      name: vantiq-pdb
  - apiVersion: batch/v1beta1
    kind: CronJob
    metadata:
      name: vantiq-backup
      namespace: ops
  - just a string
---
# Source: vantiq/templates/scalar.yaml
just some text
---
# Source: vantiq/templates/ingress.yaml
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: vantiq
"""


def make_release(
    revision: int = 1,
    *,
    status: str = "deployed",
    name: str = "vantiq",
    namespace: str = "prod",
    manifest: str = MANIFEST,
) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "version": revision,
        "info": {
            "status": status,
            "first_deployed": "2024-01-01T00:00:00Z",
            "last_deployed": f"2024-01-0{revision}T00:00:00Z",
            "description": "Install complete" if revision == 1 else "Upgrade complete",
            "notes": f"password is {CANARY_SECRET}",
        },
        "chart": {
            "metadata": {"name": "vantiq", "version": "4.2.1", "appVersion": "1.39.5"},
            "values": {"default": CANARY_VALUES},
        },
        "config": {"keycloak": {"adminPassword": CANARY_VALUES}},
        "manifest": manifest,
        "hooks": [],
    }


EXPECTED_OBJECTS = (
    ManifestObject("v1", "Secret", "vantiq-credentials", "prod", "vantiq/templates/secret.yaml"),
    ManifestObject("apps/v1", "Deployment", "vantiq", None, "vantiq/templates/deployment.yaml"),
    ManifestObject("policy/v1beta1", "PodDisruptionBudget", "vantiq-pdb", None, "vantiq/templates/list.yaml"),
    ManifestObject("batch/v1beta1", "CronJob", "vantiq-backup", "ops", "vantiq/templates/list.yaml"),
    ManifestObject("networking.k8s.io/v1", "Ingress", "vantiq", None, "vantiq/templates/ingress.yaml"),
)


def test_secret_round_trip() -> None:
    secret = release_secret(make_release(3, status="superseded"))
    assert secret["metadata"]["name"] == "sh.helm.release.v1.vantiq.v3"
    assert secret["type"] == "helm.sh/release.v1"
    # Two base64 layers: the Kubernetes one around Helm's own.
    helm_text = base64.b64decode(secret["data"]["release"])
    assert gzip.decompress(base64.b64decode(helm_text))[:1] == b"{"

    record = record_from_secret(secret)

    assert record is not None
    assert (record.name, record.namespace, record.revision) == ("vantiq", "prod", 3)
    assert record.status == "superseded"
    assert record.chart == "vantiq-4.2.1"
    assert record.app_version == "1.39.5"
    assert record.last_deployed == "2024-01-03T00:00:00Z"
    assert record.description == "Upgrade complete"
    assert record.objects == EXPECTED_OBJECTS
    assert (record.storage, record.storage_object) == ("secret", "sh.helm.release.v1.vantiq.v3")


def test_configmap_round_trip() -> None:
    configmap = release_configmap(make_release(2))
    assert "type" not in configmap

    record = record_from_configmap(configmap)

    assert record is not None
    assert (record.storage, record.storage_object) == ("configmap", "sh.helm.release.v1.vantiq.v2")
    assert record.revision == 2
    assert record.objects == EXPECTED_OBJECTS


def test_decode_matches_encode_with_and_without_gzip() -> None:
    release = make_release()
    plain = encode_release(release, gzip_it=False)
    assert base64.b64decode(plain)[:1] == b"{"
    assert decode_release_payload(plain.encode()) == release
    assert decode_release_payload(encode_release(release)) == release


def test_non_gzipped_secret_and_configmap() -> None:
    release = make_release()
    from_secret = record_from_secret(release_secret(release, gzip_it=False))
    from_configmap = record_from_configmap(release_configmap(release, gzip_it=False))
    assert from_secret is not None
    assert from_configmap is not None
    assert from_secret.objects == from_configmap.objects == EXPECTED_OBJECTS


def test_payload_with_line_breaks_is_accepted() -> None:
    text = encode_release(make_release())
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    assert decode_release_payload(wrapped.encode())["name"] == "vantiq"


def test_release_namespace_falls_back_to_the_storage_object() -> None:
    release = make_release()
    del release["namespace"]
    secret = release_secret(release)
    secret["metadata"]["namespace"] = "tenant-a"
    record = record_from_secret(secret)
    assert record is not None
    assert record.namespace == "tenant-a"


def test_manifest_edge_cases() -> None:
    manifest = "\n---\n---\n# Source: c/templates/a.yaml\n# only a comment\n---\n- 1\n- 2\n"
    assert summarize(make_release(manifest=manifest), storage="secret", storage_object="x").objects == ()
    assert summarize(make_release(manifest=""), storage="secret", storage_object="x").objects == ()
    release = make_release()
    del release["manifest"]
    assert summarize(release, storage="configmap", storage_object="x").objects == ()


def test_manifest_crlf_and_odd_fields() -> None:
    manifest = (
        "---\r\n# Source: c/templates/a.yaml\r\napiVersion: v1\r\nkind: ConfigMap\r\n"
        "metadata:\r\n  name: a\r\n"
        "--- # second\r\n# Source: c/templates/b.yaml\r\napiVersion: v1\r\nkind: Secret\r\n"
        f"metadata:\r\n  name: {{leak: {CANARY_SECRET}}}\r\n  namespace: [{CANARY_SECRET}]\r\n"
        "---\r\nkind: NoApiVersion\r\n"
        "---\r\napiVersion: v1\r\nkind: {nested: 1}\r\n"
    )
    record = summarize(make_release(manifest=manifest), storage="secret", storage_object="x")
    assert record.objects == (
        ManifestObject("v1", "ConfigMap", "a", None, "c/templates/a.yaml"),
        ManifestObject("v1", "Secret", "", None, "c/templates/b.yaml"),
    )
    assert CANARY_SECRET not in json.dumps(record.to_dict())


def test_invalid_manifest_yaml_raises() -> None:
    manifest = "---\n# Source: c/templates/bad.yaml\napiVersion: v1\nkind: [unclosed\n"
    with pytest.raises(HelmDecodeError, match=r"c/templates/bad\.yaml"):
        summarize(make_release(manifest=manifest), storage="secret", storage_object="x")


def test_latest_picks_the_highest_revision_per_release() -> None:
    records = [
        record_from_secret(release_secret(make_release(rev, status=status)))
        for rev, status in [(1, "superseded"), (3, "failed"), (2, "deployed")]
    ]
    other = record_from_secret(release_secret(make_release(1, name="keycloak")))
    elsewhere = record_from_secret(release_secret(make_release(5, namespace="staging")))
    assert None not in records
    assert other is not None
    assert elsewhere is not None

    newest = latest([*(r for r in records if r), other, elsewhere])

    assert set(newest) == {("prod", "vantiq"), ("prod", "keycloak"), ("staging", "vantiq")}
    assert newest[("prod", "vantiq")].revision == 3
    assert newest[("prod", "vantiq")].status == "failed"
    assert newest[("staging", "vantiq")].revision == 5
    assert latest([]) == {}


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not base64 at all!", "base64"),
        (base64.b64encode(b"\x1f\x8b\x08garbage"), "gzip"),
        (base64.b64encode(gzip.compress(b"{not json", mtime=0)), "JSON"),
        (base64.b64encode(b"\xff\xfe"), "JSON"),
        (base64.b64encode(b"[1, 2]"), "not an object"),
        (b"", "JSON"),
    ],
)
def test_malformed_payload_raises(payload: bytes, message: str) -> None:
    with pytest.raises(HelmDecodeError, match=message):
        decode_release_payload(payload)


def test_malformed_storage_objects_raise() -> None:
    secret = release_secret(make_release())
    secret["data"]["release"] = "%%%"
    with pytest.raises(HelmDecodeError, match=r"sh\.helm\.release\.v1\.vantiq\.v1"):
        record_from_secret(secret)

    configmap = release_configmap(make_release())
    configmap["data"] = {}
    with pytest.raises(HelmDecodeError, match=r"without data\.release"):
        record_from_configmap(configmap)

    nameless = make_release()
    nameless["name"] = ""
    with pytest.raises(HelmDecodeError, match="no name"):
        record_from_configmap(release_configmap(nameless))


def test_non_helm_objects_are_none() -> None:
    plain_secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": "db", "labels": {"owner": "someone"}},
        "data": {"release": "eA=="},
    }
    assert record_from_secret(plain_secret) is None
    assert record_from_configmap({"metadata": {"name": "settings"}, "data": {"a": "b"}}) is None
    # Helm 2 (Tiller) stored releases differently and is out of scope.
    tiller = {"metadata": {"name": "vantiq.v1", "labels": {"OWNER": "TILLER"}}, "data": {}}
    assert record_from_configmap(tiller) is None


def test_secret_recognised_by_labels_without_type() -> None:
    secret = release_secret(make_release())
    del secret["type"]
    record = record_from_secret(secret)
    assert record is not None
    assert record.name == "vantiq"


def test_summary_keeps_no_secret_values() -> None:
    record = record_from_secret(release_secret(make_release()))
    assert record is not None
    dumped = json.dumps(record.to_dict())
    assert CANARY_SECRET not in dumped
    assert base64.b64encode(CANARY_SECRET.encode()).decode() not in dumped
    assert CANARY_VALUES not in dumped
    assert "config" not in record.to_dict()
    assert "manifest" not in record.to_dict()


def test_record_dict_round_trip() -> None:
    record = record_from_configmap(release_configmap(make_release(4)))
    assert record is not None
    data = json.loads(json.dumps(record.to_dict()))
    assert ReleaseRecord.from_dict(data) == record


def test_record_from_dict_rejects_unknown_storage() -> None:
    record = record_from_configmap(release_configmap(make_release()))
    assert record is not None
    with pytest.raises(ValueError, match="storage"):
        ReleaseRecord.from_dict(record.to_dict() | {"storage": "sql"})
