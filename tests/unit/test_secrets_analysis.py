"""Tier 1: references, credential defects and stale values, judged on redaction records."""

from __future__ import annotations

import base64

import pytest

from vantiq_health.analysis.k8s import PodSpecSource, pod_spec_sources
from vantiq_health.analysis.secrets import credential_defects, missing_references, references, stale_values
from vantiq_health.redact import record_for, sanitize_secret, value_defects, value_shape
from vantiq_health.sensitive import Sensitive


def _secret(name: str, data: dict[str, bytes], written: str = "2026-11-01T00:00:00Z") -> dict:
    raw = {
        "kind": "Secret",
        "type": "Opaque",
        "metadata": {"name": name, "namespace": "prod", "managedFields": [{"time": written}]},
        "data": {k: base64.b64encode(v).decode() for k, v in data.items()},
    }
    return sanitize_secret(raw)[0]


def _pod(
    containers: list[dict], volumes: list[dict] | None = None, started: str = "2026-11-10T00:00:00Z"
) -> dict:
    return {
        "kind": "Pod",
        "metadata": {
            "name": "vantiq-0",
            "namespace": "prod",
            "ownerReferences": [{"kind": "StatefulSet", "name": "vantiq", "controller": True}],
        },
        "spec": {"containers": containers, "volumes": volumes or []},
        "status": {
            "containerStatuses": [
                {"name": c["name"], "state": {"running": {"startedAt": started}}} for c in containers
            ]
        },
    }


KEYCLOAK_INIT = {
    "name": "keycloak-init",
    "env": [
        {"name": "KEYCLOAK_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "keycloak", "key": "password"}}}
    ],
}


@pytest.mark.parametrize(
    ("raw", "defects"),
    [
        (b"s3cret", []),
        (b"s3cret\n", ["trailing-newline"]),
        (b"s3cret\r", ["trailing-cr"]),
        (b" s3cret", ["leading-whitespace"]),
        (b'"s3cret"', ["quoted"]),
        (b"<enter password to use for the Keycloak admin user>", ["placeholder"]),
        (b"<must match grafanadb.mysqlPassword>", ["placeholder"]),
        (b"changeme", ["placeholder"]),
        (b"XXXXXXX7CGqYriw9X3jwojPiHlc", ["placeholder"]),
        (b"", ["empty"]),
    ],
)
def test_value_defects(raw: bytes, defects: list[str]) -> None:
    assert value_defects(raw) == defects


def test_shapes_and_records_hold_no_value() -> None:
    assert value_shape(b"-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----\n") == "pem"
    assert value_shape(b"export A=1\nexport B=2\n") == "file"
    assert value_shape(b"pw\n") == "single"
    record = record_for(Sensitive(b"hunter2\n"))
    assert record == {"length": 8, "defects": ["trailing-newline"], "hmac": record["hmac"], "shape": "single"}
    assert "hunter2" not in repr(record)


def test_invalid_base64_in_a_snapshot_is_a_defect() -> None:
    clean, raw = sanitize_secret(
        {"kind": "Secret", "metadata": {"name": "s"}, "data": {"password": "not base64!!"}}
    )
    assert clean["data"]["password"]["defects"] == ["not-base64"]
    assert raw == {}


def test_missing_secret_and_missing_key_name_their_consumers() -> None:
    pod = _pod(
        [
            KEYCLOAK_INIT,
            {"name": "vantiq", "volumeMounts": [{"name": "lic", "mountPath": "/opt/vantiq/config/license"}]},
        ],
        [
            {"name": "lic", "secret": {"secretName": "vantiq-license"}},
            {"name": "opt", "secret": {"secretName": "extra", "optional": True}},
        ],
    )
    found = missing_references(
        pod_spec_sources([pod], []), [_secret("keycloak", {"user": b"admin"})], [], "prod"
    )
    assert [f.diagnosis for f in found] == [
        "Secret prod/keycloak has no key 'password'",
        "Secret prod/vantiq-license does not exist",
    ]
    assert found[0].evidence == (
        "referenced by pod vantiq-0, container keycloak-init, env KEYCLOAK_PASSWORD",
        "keys it has: user",
    )
    assert found[1].evidence == (
        "referenced by pod vantiq-0, volume lic (vantiq:/opt/vantiq/config/license)",
    )


def test_projected_and_envfrom_references() -> None:
    spec = {
        "containers": [{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}]}],
        "volumes": [
            {
                "name": "p",
                "projected": {"sources": [{"secret": {"name": "s", "items": [{"key": "k", "path": "k"}]}}]},
            }
        ],
    }
    refs = references(PodSpecSource(spec, "pod x", None))
    assert {(r.kind, r.name, r.key, r.how) for r in refs} == {
        ("ConfigMap", "cfg", None, "envFrom"),
        ("Secret", "s", None, "volume"),
        ("Secret", "s", "k", "volume"),
    }


def test_password_with_newline_used_as_env_is_reported_without_its_value() -> None:
    secret = _secret("keycloak", {"password": b"Kc-pr0d-s3cret\n", "smtp.password": b""})
    [item] = credential_defects([secret], pod_spec_sources([_pod([KEYCLOAK_INIT])], []), "prod")
    assert (
        item.diagnosis
        == "Secret prod/keycloak key 'password' ends with a newline (LF), the classic `echo value | base64`"
    )
    assert item.evidence[0].startswith("value: 15 bytes, fingerprint ")
    assert item.evidence[1] == "used by pod vantiq-0, container keycloak-init, env KEYCLOAK_PASSWORD"
    assert "Kc-pr0d" not in repr(item)


def test_file_shaped_values_and_unused_empty_ones_are_not_judged() -> None:
    secret = _secret(
        "dbbackup-creds",
        {
            "credentials": b"export AZURE_STORAGE_ACCOUNT=a\nexport AZURE_STORAGE_KEY=b\n",
            "smtp.password": b"",
            "tls.key": b"-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n",
        },
    )
    assert credential_defects([secret], [], "prod") == []


def test_env_consumed_secret_changed_after_start_is_stale() -> None:
    pod = _pod([KEYCLOAK_INIT], started="2026-11-10T00:00:00Z")
    fresh = _secret("keycloak", {"password": b"x"}, written="2026-11-20T00:00:00Z")
    [item] = stale_values(pod_spec_sources([pod], []), [fresh], [], set(), "prod")
    assert (
        item.diagnosis
        == "pod vantiq-0 runs with old values of Secret prod/keycloak, changed 2026-11-20T00:00:00+00:00 after its containers started"
    )
    assert item.fix == ("kubectl rollout restart sts/vantiq -n prod",)
    old = _secret("keycloak", {"password": b"x"}, written="2026-11-01T00:00:00Z")
    assert stale_values(pod_spec_sources([pod], []), [old], [], set(), "prod") == []


def test_mounted_secret_is_stale_only_when_read_at_start() -> None:
    pod = _pod(
        [{"name": "vantiq", "volumeMounts": [{"name": "lic", "mountPath": "/opt/vantiq/config/license"}]}],
        [{"name": "lic", "secret": {"secretName": "vantiq-license"}}],
    )
    lic = _secret("vantiq-license", {"license.key": b"x"}, written="2026-11-20T00:00:00Z")
    sources = pod_spec_sources([pod], [])
    assert stale_values(sources, [lic], [], set(), "prod") == []
    [item] = stale_values(sources, [lic], [], {"vantiq-license"}, "prod")
    assert "container vantiq started 2026-11-10T00:00:00+00:00" in item.evidence


def test_a_label_added_later_is_not_a_new_value() -> None:
    pod = _pod([KEYCLOAK_INIT], started="2026-11-10T00:00:00Z")
    secret = _secret("keycloak", {"password": b"x"}, written="2026-11-01T00:00:00Z")
    secret["metadata"]["managedFields"] = [
        {"manager": "kubectl-client-side-apply", "time": "2026-11-01T00:00:00Z", "fieldsV1": {"f:data": {}}},
        {
            "manager": "kubectl-label",
            "time": "2026-11-20T00:00:00Z",
            "fieldsV1": {"f:metadata": {"f:labels": {}}},
        },
    ]
    assert stale_values(pod_spec_sources([pod], []), [secret], [], set(), "prod") == []


def test_without_configmaps_only_secret_references_are_judged() -> None:
    pod = _pod(
        [{"name": "c", "envFrom": [{"configMapRef": {"name": "cfg"}}, {"secretRef": {"name": "gone"}}]}]
    )
    found = missing_references(pod_spec_sources([pod], []), [], None, "prod")
    assert [f.diagnosis for f in found] == ["Secret prod/gone does not exist"]


def test_angle_brackets_inside_a_real_password_are_no_placeholder() -> None:
    assert value_defects(b"a<b>c9!Zq") == []
    assert value_defects(b"<changeme>") == ["placeholder"]


def test_the_injected_service_account_volumes_are_not_judged() -> None:
    access = {
        "name": "kube-api-access-x7k2p",
        "projected": {
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
            ]
        },
    }
    legacy = {"name": "default-token-abcde", "secret": {"secretName": "default-token-abcde"}}
    mount = {"name": "default-token-abcde", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"}
    pod = _pod([{"name": "c", "volumeMounts": [mount]}], [access, legacy])
    assert missing_references(pod_spec_sources([pod], []), [], [], "prod") == []
