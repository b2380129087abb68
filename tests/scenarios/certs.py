"""Real TLS material for the scenarios, made with `cryptography`: a CA, an intermediate and a leaf.

Ed25519 keys derived from a label and its deterministic signatures make the
same inputs give the same bytes, so the committed demo snapshot stays in step.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.x509.oid import NameOID

Key = ed25519.Ed25519PrivateKey


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: Key

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _key(label: str) -> Key:
    return ed25519.Ed25519PrivateKey.from_private_bytes(hashlib.sha256(label.encode()).digest())


def issue(
    cn: str,
    *,
    sans: tuple[str, ...] = (),
    issuer: Issued | None = None,
    not_before: datetime,
    not_after: datetime,
    ca: bool = False,
    key_label: str | None = None,
) -> Issued:
    key = _key(key_label or cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key())
        .serial_number(int.from_bytes(hashlib.sha256(f"{cn}/{not_after}".encode()).digest()[:16]) >> 1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False
        )
    return Issued(builder.sign(issuer.key if issuer else key, None), key)


def server_chain(
    host: str, now: datetime, *, days_left: float = 300, sans: tuple[str, ...] = ()
) -> tuple[bytes, bytes]:
    """tls.crt (leaf, then intermediate) and tls.key of a healthy installation."""
    start = now - timedelta(days=60)
    root = issue("Scenario Root CA", ca=True, not_before=start, not_after=now + timedelta(days=3650))
    inter = issue(
        "Scenario Issuing CA", ca=True, issuer=root, not_before=start, not_after=now + timedelta(days=1800)
    )
    leaf = issue(
        host, sans=sans or (host,), issuer=inter, not_before=start, not_after=now + timedelta(days=days_left)
    )
    return leaf.cert_pem + inter.cert_pem, leaf.key_pem
