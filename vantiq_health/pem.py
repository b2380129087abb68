"""Metadata of PEM certificates and keys: what a report may say about them.

Whatever `cryptography` makes of a block (a key it cannot load, a deprecated
algorithm, a panic in its Rust core), nothing raises out of here: a traceback
through these frames would print the key's bytes.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

from vantiq_health.sensitive import Sensitive

_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def _public_fingerprint(public_key: Any) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def _name(name: x509.Name) -> str:
    return name.rfc4514_string()


def _certificate(block: bytes) -> dict[str, Any]:
    cert = x509.load_pem_x509_certificate(block)
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    try:
        ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        ca = False
    return {
        "type": "certificate",
        "subject": _name(cert.subject),
        "common_name": str(cn[0].value) if cn else None,
        "issuer": _name(cert.issuer),
        "sans": sans,
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "self_signed": cert.issuer == cert.subject,
        "public_key": _public_fingerprint(cert.public_key()),
        "ca": ca,
        "fingerprint": fingerprint(cert),
    }


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 of the certificate's DER, as `openssl x509 -fingerprint -sha256` prints it."""
    return cert.fingerprint(hashes.SHA256()).hex(":").upper()


def _private_key(block: bytes) -> dict[str, Any]:
    key = serialization.load_pem_private_key(block, password=None)
    return {
        "type": "private-key",
        "algorithm": type(key).__name__.lstrip("_"),
        "public_key": _public_fingerprint(key.public_key()),
    }


def describe(value: Sensitive) -> list[dict[str, Any]]:
    """One entry per PEM block, in order; unparsable blocks say why (by exception type only)."""
    blocks = []
    for match in _BLOCK.finditer(value.reveal()):
        label = match.group(1).decode()
        blocks.append(_describe_block(label, Sensitive(match.group(0), register=False)))
    return blocks


def _describe_block(label: str, block: Sensitive) -> dict[str, Any]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if label == "CERTIFICATE":
                return _certificate(block.reveal())
            if label.endswith("PRIVATE KEY") and "ENCRYPTED" not in label:
                return _private_key(block.reveal())
            return {"type": label.lower()}
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
            raise
        # the message is not quoted: it is cryptography's, but the value is not ours to risk
        return {"type": label.lower(), "error": f"does not parse ({type(exc).__name__})"}
