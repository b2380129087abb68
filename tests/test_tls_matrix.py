"""VQ001's whole certificate matrix: real certificates made here, each condition with its exact severity and diagnosis.

The certificates go through the same path as a cluster's: base64 in a Secret,
the redaction record (`sanitize_secret`), then the analysis. The served-certificate
comparison is judged here from probe records; tests/test_probes_tls.py makes them
with a real TLS server.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.scenarios.certs import Issued, issue
from tests.scenarios.objects import b64
from vantiq_health.analysis.tls import FAKE_CN, certificate_findings, secret_leaf, served_findings
from vantiq_health.probes.result import ProbeResult
from vantiq_health.redact import sanitize_secret

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
HOST = "vantiq.example.com"
SEC = "Secret vantiq-ssl-cert"


def _days(n: float) -> datetime:
    return NOW + timedelta(days=n)


ROOT = issue("Matrix Root CA", ca=True, not_before=_days(-100), not_after=_days(3000))
INTER = issue("Matrix Issuing CA", ca=True, issuer=ROOT, not_before=_days(-100), not_after=_days(1500))


def leaf(*sans: str, start: float = -30, end: float = 200, issuer: Issued | None = INTER) -> Issued:
    return issue(
        sans[0] if sans else HOST,
        sans=sans or (HOST,),
        issuer=issuer,
        not_before=_days(start),
        not_after=_days(end),
        key_label=f"leaf {sans} {start} {end} {issuer is None}",
    )


def secret(crt: bytes, key: bytes) -> dict:
    raw = {
        "metadata": {"name": "vantiq-ssl-cert", "namespace": "prod"},
        "type": "kubernetes.io/tls",
        "data": {"tls.crt": b64(crt), "tls.key": b64(key)},
    }
    return sanitize_secret(raw)[0]


def ingress(*hosts: str) -> dict:
    return {"spec": {"tls": [{"hosts": list(hosts), "secretName": "vantiq-ssl-cert"}]}}


def judge(crt: bytes, key: bytes, hosts: tuple[str, ...] = (HOST,), self_signed_ok: bool = False) -> list:
    found, _ = certificate_findings(
        secret(crt, key), [ingress(*hosts)], NOW, self_signed_ok=self_signed_ok, expiry_days=30
    )
    return [(f.severity, f.diagnosis) for f in found]


def chain(cert: Issued) -> tuple[bytes, bytes]:
    return cert.cert_pem + INTER.cert_pem, cert.key_pem


def test_valid() -> None:
    assert judge(*chain(leaf())) == []


def test_expired() -> None:
    assert judge(*chain(leaf(end=-3))) == [("critical", f"{SEC}: the certificate expired on 2026-11-26")]


def test_not_yet_valid() -> None:
    assert judge(*chain(leaf(start=2))) == [
        ("critical", f"{SEC}: the certificate is not valid before 2026-12-01T09:00:00+00:00")
    ]


def test_ten_days_left() -> None:
    assert judge(*chain(leaf(end=10.5))) == [
        ("warning", f"{SEC}: the certificate expires in 10 day(s), on 2026-12-09")
    ]


def test_thirty_one_days_left_is_fine() -> None:
    assert judge(*chain(leaf(end=31))) == []


def test_wrong_san() -> None:
    assert judge(*chain(leaf("vantiq-staging.example.com"))) == [
        (
            "critical",
            f"{SEC}: the certificate does not cover 1 Ingress host(s): browsers and clients refuse it",
        )
    ]


@pytest.mark.parametrize(
    ("host", "covered"),
    [
        ("vantiq.example.com", True),  # one label
        ("example.com", False),  # the apex is not covered by *.example.com
        ("a.vantiq.example.com", False),  # two labels are not
        ("vantiq.example.org", False),
    ],
)
def test_wildcard_san(host: str, covered: bool) -> None:
    found = judge(*chain(leaf("*.example.com")), hosts=(host,))
    expected = (
        []
        if covered
        else [
            (
                "critical",
                f"{SEC}: the certificate does not cover 1 Ingress host(s): browsers and clients refuse it",
            )
        ]
    )
    assert found == expected


def test_key_mismatch() -> None:
    other = leaf("another.example.com")
    assert judge(chain(leaf())[0], other.key_pem) == [
        ("critical", f"{SEC}: the private key does not belong to the certificate")
    ]


def test_self_signed() -> None:
    alone = leaf(issuer=None)
    assert judge(alone.cert_pem, alone.key_pem) == [
        ("error", f"{SEC}: the certificate is self-signed and the installation does not declare it")
    ]
    assert judge(alone.cert_pem, alone.key_pem, self_signed_ok=True) == []


def test_chain_out_of_order() -> None:
    cert = leaf()
    # the leaf placed after its issuer: one finding, not an expired or mismatched "leaf" that is the CA
    assert judge(INTER.cert_pem + cert.cert_pem, cert.key_pem) == [
        ("error", f"{SEC}: the certificate chain is out of order (leaf first, then each issuer)")
    ]
    assert judge(cert.cert_pem + ROOT.cert_pem + INTER.cert_pem, cert.key_pem) == [
        ("error", f"{SEC}: the certificate chain is out of order (leaf first, then each issuer)")
    ]


def test_chain_incomplete() -> None:
    cert = leaf()
    assert judge(cert.cert_pem, cert.key_pem) == [
        ("error", f"{SEC}: the certificate chain is incomplete: the issuing CA certificate is missing")
    ]
    assert (
        judge(cert.cert_pem + INTER.cert_pem + ROOT.cert_pem, cert.key_pem) == []
    )  # with its root: complete


def test_not_pem() -> None:
    assert judge(b"MIIB not a certificate", leaf().key_pem) == [
        ("critical", f"{SEC}: the certificate does not parse")
    ]


def test_several_conditions_each_say_theirs() -> None:
    cert = leaf("vantiq-staging.example.com", end=5)
    assert [s for s, _ in judge(cert.cert_pem, cert.key_pem)] == ["warning", "critical", "error"]


# -- the served certificate (live) against the Secret's ------------------------------------------
def _served(**data: object) -> ProbeResult:
    return ProbeResult(
        "ingress", "10.0.0.9:443", "explicit --endpoint", ["resolve", "tcp", "tls"], data=dict(data)
    )


def test_the_same_certificate_is_a_fact() -> None:
    sec = secret(*chain(leaf()))
    fp = (secret_leaf(sec) or {})["fingerprint"]
    assert served_findings(sec, HOST, _served(fingerprint=fp)) == (
        [],
        [f"{HOST}: the ingress at 10.0.0.9:443 (explicit --endpoint) serves the Secret's certificate"],
    )


def test_a_different_certificate_is_an_error() -> None:
    sec = secret(*chain(leaf()))
    found, _ = served_findings(sec, HOST, _served(fingerprint="AA:BB", subject="CN=old"))
    assert [(f.severity, f.diagnosis) for f in found] == [
        (
            "error",
            f"the ingress serves a different certificate for host {HOST} than Secret vantiq-ssl-cert holds: "
            "the controller did not pick up a renewal",
        )
    ]


def test_the_fake_certificate_is_named() -> None:
    sec = secret(*chain(leaf()))
    found, _ = served_findings(sec, HOST, _served(fingerprint="AA:BB", subject=f"O=Acme Co,CN={FAKE_CN}"))
    assert found[0].severity == "error"
    assert found[0].diagnosis.startswith(f"the ingress serves its default certificate for host {HOST}")


def test_a_failed_handshake_is_an_error_a_network_failure_a_fact() -> None:
    sec = secret(*chain(leaf()))
    tls = ProbeResult("ingress", "10.0.0.9:443", "x", ["resolve", "tcp"], "tls-failed", "handshake failed")
    found, _ = served_findings(sec, HOST, tls)
    assert [(f.severity, f.diagnosis) for f in found] == [
        ("error", f"the ingress at 10.0.0.9:443 does not complete a TLS handshake for host {HOST}")
    ]
    refused = ProbeResult("ingress", "10.0.0.9:443", "x", ["resolve"], "refused", "connection refused")
    assert served_findings(sec, HOST, refused) == (
        [],
        [f"{HOST}: served certificate not compared: connection refused (reachability is VQ003's)"],
    )
