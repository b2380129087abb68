"""Secret material cannot be printed; fingerprints are keyed; credentials are found where names miss them."""

from __future__ import annotations

import base64
import copy
import json
import logging
import pickle
import warnings
from typing import Any

import pytest

from vantiq_health import pem, redact, sensitive
from vantiq_health.config import ConfigError, load_config
from vantiq_health.sensitive import Sensitive, scrub
from vantiq_health.view.save import redacted_copy


def test_a_sensitive_value_prints_as_its_record_only() -> None:
    value = Sensitive("hunter2-hunter2")
    for text in (repr(value), str(value), f"{value}", f"{value!r:>40}", f"{value}", repr([value])):
        assert "hunter2" not in text
        assert text.endswith(f"<redacted 15 bytes hmac {value.fingerprint}>") or "<redacted 15" in text
    assert value.reveal() == b"hunter2-hunter2"
    assert len(value) == 15


def test_a_sensitive_value_refuses_to_leave_the_process() -> None:
    value = Sensitive(b"hunter2-hunter2")
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(value)
    with pytest.raises(TypeError):
        json.dumps({"pw": value})
    with pytest.raises(AttributeError):
        value._raw = b"x"  # type: ignore[misc]
    assert copy.deepcopy({"v": value})["v"] is value


def test_fingerprints_are_keyed_equal_within_a_run_and_no_plain_hash() -> None:
    import hashlib

    a, b = Sensitive(b"Kc-pr0d-s3cret"), Sensitive(b"Kc-pr0d-s3cret")
    assert a == b
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != hashlib.sha256(b"Kc-pr0d-s3cret").hexdigest()[:8]
    old = sensitive.run_key()
    try:
        sensitive.use_key(b"installation-key-0123456789")
        fixed = Sensitive(b"Kc-pr0d-s3cret").fingerprint
        sensitive.use_key(b"another-installation-key-0123")
        assert Sensitive(b"Kc-pr0d-s3cret").fingerprint != fixed
        sensitive.use_key(b"installation-key-0123456789")
        assert Sensitive(b"Kc-pr0d-s3cret").fingerprint == fixed
    finally:
        sensitive.use_key(old)


def test_the_fingerprint_key_comes_from_the_config(tmp_path: Any) -> None:
    path = tmp_path / "vantiq-health.toml"
    path.write_text('[redaction]\nfingerprint_key = "0123456789abcdef-site"\n')
    assert load_config(path).fingerprint_key == b"0123456789abcdef-site"
    assert load_config(None).fingerprint_key is None
    path.write_text('[redaction]\nfingerprint_key = "short"\n')
    with pytest.raises(ConfigError, match="at least 16"):
        load_config(path)


def test_scrub_removes_registered_values_raw_base64_and_url_encoded() -> None:
    sensitive.register("S3cr3t/with+chars")
    text = "raw S3cr3t/with+chars b64 {} url {} plus {}".format(
        base64.b64encode(b"S3cr3t/with+chars").decode(), "S3cr3t%2Fwith%2Bchars", "S3cr3t%2Fwith%2Bchars"
    )
    out = scrub(text)
    assert "S3cr3t" not in out
    assert base64.b64encode(b"S3cr3t/with+chars").decode() not in out
    assert out.count("<redacted ") == 4
    sensitive.register("abc")  # too short to scrub from every text
    assert scrub("abc") == "abc"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("jdbc:postgresql://db:5432/keycloak?user=kc&password=Pg-s3cret-x&ssl=true", "Pg-s3cret-x"),
        ("jdbc:sqlserver://db;user=sa;password=Sql-s3cret;", "Sql-s3cret"),
        ("mongodb://vantiq:M0ngo-pr0d@mongodb-0.mongodb:27017/ars02?authSource=admin", "M0ngo-pr0d"),
        ("postgres://keycloak:Pg%40pass@db/keycloak", "Pg%40pass"),
        ('{"user": "admin", "password": "J50n pass"}', "J50n pass"),
        ("[database]\npassword = hunter2-ini\n", "hunter2-ini"),
        ("spring.datasource.password=Pr0ps-pass\n", "Pr0ps-pass"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", "eyJhbGciOiJIUzI1NiJ9.e30.abc"),
        ("Readiness probe failed: Get http://admin:Pr0be-pw@10.0.0.1:8080/health", "Pr0be-pw"),
    ],
)
def test_credential_shaped_spans_are_redacted(text: str, secret: str) -> None:
    out = redact.redact_spans(text)
    assert secret not in out
    assert "<redacted " in out


@pytest.mark.parametrize(
    "text",
    [
        "kubectl get secret keycloak -n prod -o jsonpath='{.data.password}' | base64 -d",
        "Secret prod/keycloak key 'password' ends with a newline",
        "kubectl patch secret k -p '{\"data\":{\"password\":\"'\"$(printf '%s' 'NEW-VALUE' | base64)\"'\"}}'",
        "env KEYCLOAK_PASSWORD from Secret keycloak",
        "password: ${DB_PASSWORD}",
    ],
)
def test_report_texts_without_credentials_stay_as_they_are(text: str) -> None:
    assert redact.redact_spans(text) == text


def test_secret_values_become_sensitive_and_records() -> None:
    secret = {
        "kind": "Secret",
        "metadata": {"name": "db", "namespace": "prod"},
        "data": {"password": base64.b64encode(b"Sec-val-123\n").decode(), "username": "dmFudGlx"},
    }
    clean, values = redact.sanitize_secret(secret)
    assert isinstance(values["password"], Sensitive)
    assert clean["data"]["password"]["defects"] == ["trailing-newline"]
    assert clean["data"]["password"]["hmac"] == values["password"].fingerprint
    assert "Sec-val" not in json.dumps(clean)
    assert "Sec-val" not in repr(values)
    assert "Sec-val" not in scrub("logged Sec-val-123 here")
    assert scrub("pod prod/vantiq-0") == "pod prod/vantiq-0"  # a user name is no secret to blank out


def test_a_tls_key_cryptography_cannot_load_never_raises_with_its_bytes() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import dh

    with warnings.catch_warnings():  # FFDH is deprecated: one more way for a key not to load
        warnings.simplefilter("ignore")
        params = dh.generate_parameters(2, 512)
    der = params.generate_private_key().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    garbage = b"-----BEGIN PRIVATE KEY-----\nCANARYkeybytes\n-----END PRIVATE KEY-----\n"
    for raw in (der, garbage, b"-----BEGIN CERTIFICATE-----\nQ0FOQVJZ\n-----END CERTIFICATE-----\n"):
        [block] = pem.describe(Sensitive(raw))
        assert "CANARY" not in repr(block)
        assert set(block) <= {"type", "error", "algorithm", "public_key"}


def test_saved_objects_keep_no_credential_the_name_rules_miss() -> None:
    pod: dict[str, Any] = {
        "kind": "Pod",
        "metadata": {
            "name": "vantiq-0",
            "namespace": "prod",
            "annotations": {
                "vault.example.com/db-password": "Ann0t-pw",
                "note": "uri postgres://u:Ann0t-uri@db/x",
            },
        },
        "spec": {
            "containers": [
                {
                    "name": "vantiq",
                    "env": [
                        {"name": "DB_URL", "value": "mongodb://vantiq:Env-uri-pw@mongodb:27017/x"},
                        {"name": "ADMIN_PASSWORD", "value": "Env-named-pw"},
                    ],
                    "args": ["--db-password", "Arg-sep-pw", "--token=Arg-eq-tok", "--port", "8080"],
                }
            ],
            "initContainers": [{"name": "init", "command": ["sh", "-c", "login --password=Init-cmd-pw"]}],
            "ephemeralContainers": [{"name": "debug", "env": [{"name": "API_KEY", "value": "Eph-api-key"}]}],
        },
    }
    saved = json.dumps(redacted_copy(redact.sanitize_object(copy.deepcopy(pod))))
    for secret in ("Ann0t-pw", "Ann0t-uri", "Env-uri-pw", "Env-named-pw", "Arg-sep-pw", "Arg-eq-tok"):
        assert secret not in saved, secret
    assert "Init-cmd-pw" not in saved
    assert "Eph-api-key" not in saved
    assert '"8080"' in saved
    assert "mongodb:27017" in saved


def test_configmap_connection_strings_are_redacted_and_scrubbed_run_wide() -> None:
    cm = {
        "kind": "ConfigMap",
        "metadata": {"name": "app", "namespace": "prod"},
        "data": {
            "app.json": '{"db": {"password": "Cm-json-pw"}}',
            "jdbc": "jdbc:postgresql://db/x?password=Cm-jdbc-pw",
        },
    }
    clean = json.dumps(redact.sanitize_configmap(cm))
    assert "Cm-json-pw" not in clean
    assert "Cm-jdbc-pw" not in clean
    assert "Cm-jdbc-pw" not in scrub("the same value logged alone: Cm-jdbc-pw")


def test_log_records_are_scrubbed_by_the_filter() -> None:
    from vantiq_health.plugin.scrub import ScrubFilter

    sensitive.register("L0gged-s3cret")
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "value %s in %r", ("L0gged-s3cret", "ctx"), None
    )
    ScrubFilter().filter(record)
    assert "L0gged" not in record.getMessage()
