"""VQ001 over real certificates made in the test, seen through the redaction record as checks see them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.scenarios.certs import issue, server_chain
from tests.scenarios.objects import b64
from vantiq_health.analysis.tls import certificate_findings, hostname_matches, ingress_hosts
from vantiq_health.redact import sanitize_secret

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
HOST = "vantiq.example.com"


def tls_secret(crt: bytes, key: bytes) -> dict:
    raw = {
        "metadata": {"name": "vantiq-ssl-cert", "namespace": "prod"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": b64(crt), "tls.key": b64(key)},
    }
    return sanitize_secret(raw)[0]


def ingress(*hosts: str) -> dict:
    return {
        "metadata": {"name": "vantiq", "namespace": "prod"},
        "spec": {
            "tls": [{"hosts": list(hosts), "secretName": "vantiq-ssl-cert"}],
            "rules": [{"host": h} for h in hosts],
        },
    }


def judge(crt: bytes, key: bytes, *hosts: str, self_signed_ok: bool = False) -> list:
    found, _ = certificate_findings(
        tls_secret(crt, key),
        [ingress(*(hosts or (HOST,)))],
        NOW,
        self_signed_ok=self_signed_ok,
        expiry_days=30,
    )
    return found


def one(found: list) -> tuple[str, str]:
    assert len(found) == 1, [f.diagnosis for f in found]
    return found[0].severity, found[0].diagnosis


@pytest.mark.parametrize(
    ("host", "pattern", "match"),
    [
        ("vantiq.example.com", "vantiq.example.com", True),
        ("vantiq.example.com", "*.example.com", True),
        ("a.b.example.com", "*.example.com", False),  # one label only, as browsers match
        ("example.com", "*.example.com", False),
        ("VANTIQ.example.com.", "vantiq.example.com", True),
    ],
)
def test_hostname_matching(host: str, pattern: str, match: bool) -> None:
    assert hostname_matches(host, pattern) is match


def test_valid_chain_passes_and_reports_its_dates() -> None:
    found, facts = certificate_findings(
        tls_secret(*server_chain(HOST, NOW)), [ingress(HOST)], NOW, self_signed_ok=False, expiry_days=30
    )
    assert found == []
    assert "issuer CN=Scenario Issuing CA" in facts[0]


def test_expired() -> None:
    assert one(judge(*server_chain(HOST, NOW, days_left=-1), HOST)) == (
        "critical",
        "Secret vantiq-ssl-cert: the certificate expired on 2026-11-28",
    )


def test_not_yet_valid() -> None:
    leaf = issue(HOST, sans=(HOST,), not_before=NOW + timedelta(days=1), not_after=NOW + timedelta(days=90))
    severity, diagnosis = one(judge(leaf.cert_pem, leaf.key_pem, self_signed_ok=True))
    assert severity == "critical"
    assert "not valid before" in diagnosis


def test_ten_days_left_is_a_warning() -> None:
    severity, diagnosis = one(judge(*server_chain(HOST, NOW, days_left=10.5)))
    assert severity == "warning"
    assert "expires in 10 day(s)" in diagnosis


def test_host_outside_the_sans() -> None:
    found = judge(*server_chain("other.example.com", NOW), HOST)
    assert one(found)[0] == "critical"
    assert f"host {HOST} not in the SANs" in found[0].evidence


def test_wildcard_san_covers_the_host() -> None:
    assert judge(*server_chain("*.example.com", NOW), HOST) == []


def test_key_of_another_certificate() -> None:
    crt, _ = server_chain(HOST, NOW)
    other = issue("x", not_before=NOW, not_after=NOW + timedelta(days=9), key_label="another key")
    severity, diagnosis = one(judge(crt, other.key_pem))
    assert severity == "critical"
    assert "does not belong to the certificate" in diagnosis


def test_self_signed_is_an_error_unless_declared() -> None:
    leaf = issue(HOST, sans=(HOST,), not_before=NOW - timedelta(days=1), not_after=NOW + timedelta(days=90))
    assert one(judge(leaf.cert_pem, leaf.key_pem))[0] == "error"
    assert judge(leaf.cert_pem, leaf.key_pem, self_signed_ok=True) == []


def test_chain_out_of_order() -> None:
    root = issue("Root", ca=True, not_before=NOW - timedelta(days=9), not_after=NOW + timedelta(days=900))
    inter = issue(
        "Inter", ca=True, issuer=root, not_before=NOW - timedelta(days=9), not_after=NOW + timedelta(days=900)
    )
    leaf = issue(
        HOST,
        sans=(HOST,),
        issuer=inter,
        not_before=NOW - timedelta(days=9),
        not_after=NOW + timedelta(days=90),
    )
    severity, diagnosis = one(judge(leaf.cert_pem + root.cert_pem + inter.cert_pem, leaf.key_pem))
    assert severity == "error"
    assert "out of order" in diagnosis


def test_garbage_does_not_parse() -> None:
    severity, diagnosis = one(judge(b"-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n", b"x"))
    assert severity == "critical"
    assert "does not parse" in diagnosis


def test_ingress_hosts_named_by_the_secret_first() -> None:
    other = {"spec": {"rules": [{"host": "grafana.example.com"}]}}
    assert ingress_hosts([ingress(HOST), other], "vantiq-ssl-cert") == [HOST]
    assert ingress_hosts([other], "vantiq-ssl-cert") == ["grafana.example.com"]
