"""Secret values in, redaction records out.

The cluster view turns every Secret into a sanitized copy as soon as it is
read: each value becomes a record of its byte length, its copy-paste defects,
a sha256 prefix and, for certificates and keys, the parsed metadata. Checks
and reports only ever see these records; the raw bytes stay in the view for
the live probes that must log in with them.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from typing import Any, Literal

from vantiq_health import pem

REDACTED_MARK = "vantiq-health/redacted"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"

DEFECTS: dict[str, str] = {
    "empty": "is empty",
    "not-base64": "is not valid base64 in the Secret's data",
    "trailing-newline": "ends with a newline (LF), the classic `echo value | base64`",
    "trailing-cr": "ends with a carriage return (CR), a value pasted from a Windows file",
    "leading-whitespace": "starts with white space",
    "trailing-whitespace": "ends with white space",
    "quoted": "is wrapped in quotes, which become part of the value",
    "placeholder": "is still a template placeholder",
}

_PLACEHOLDER = re.compile(
    r"^<[^<>\n]*>$|<[^<>\n]*\s[^<>\n]*>|^changeme$|^change[-_ ]?me$|X{4,}|\$\{[^}]*\}|\{\{[^}]*\}\}|^TODO$|^your[-_ ]",
    re.IGNORECASE,
)
_PLACEHOLDER_CASED = re.compile(r"X{4,}")


def value_defects(raw: bytes) -> list[str]:
    """Copy-paste defects of a value meant to be used as one single value."""
    if not raw:
        return ["empty"]
    found = []
    if raw.endswith(b"\n"):
        found.append("trailing-newline")
    elif raw.endswith(b"\r"):
        found.append("trailing-cr")
    elif raw[-1:].isspace():
        found.append("trailing-whitespace")
    if raw[:1].isspace():
        found.append("leading-whitespace")
    text = raw.decode("utf-8", "replace").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        found.append("quoted")
    if _is_placeholder(text):
        found.append("placeholder")
    return found


def _is_placeholder(text: str) -> bool:
    # X{4,} is matched case-sensitively: "xxxx" inside a random key is no placeholder sign.
    for match in _PLACEHOLDER.finditer(text):
        if match.group(0).upper().startswith("XXXX") and not _PLACEHOLDER_CASED.fullmatch(match.group(0)):
            continue
        return True
    return False


def value_shape(raw: bytes) -> str:
    """pem, file (several lines), binary, or single (a value used as it is)."""
    if b"-----BEGIN " in raw:
        return "pem"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    lines = [line for line in text.splitlines() if line.strip()]
    return "file" if len(lines) >= 2 else "single"


def record_for(raw: bytes | None) -> dict[str, Any]:
    """The redaction record of one value; raw None means the data was not base64."""
    if raw is None:
        return {"length": 0, "defects": ["not-base64"], "sha256": "", "shape": "single"}
    rec: dict[str, Any] = {
        "length": len(raw),
        "defects": value_defects(raw),
        "sha256": hashlib.sha256(raw).hexdigest()[:8],
        "shape": value_shape(raw),
    }
    if rec["shape"] == "pem":
        rec["pem"] = pem.describe(raw)
    return rec


def decode_b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_record(value: Any) -> bool:
    return isinstance(value, dict) and "length" in value and "sha256" in value


def sanitize_secret(secret: dict[str, Any]) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A copy of the Secret holding redaction records only, and its raw values."""
    clean = copy.deepcopy(secret)
    meta = clean.setdefault("metadata", {})
    annotations = meta.get("annotations") or {}
    # `kubectl apply` keeps the whole Secret, values included, in this annotation.
    if LAST_APPLIED in annotations:
        annotations[LAST_APPLIED] = "(removed by vantiq-health: it holds the Secret's values)"
    raw_values: dict[str, bytes] = {}
    data = clean.get("data") or {}
    for key, value in list(data.items()):
        if is_record(value):
            continue
        raw = decode_b64(value) if isinstance(value, str) else None
        if raw is not None:
            raw_values[key] = raw
        data[key] = record_for(raw)
    for key, value in (clean.pop("stringData", None) or {}).items():
        raw_values[key] = str(value).encode()
        data[key] = record_for(raw_values[key])
    clean["data"] = data
    if clean.get("type") == "helm.sh/release.v1" and "release" in raw_values:
        clean["helmRelease"] = _helm_summary(clean, raw_values["release"], "secret")
    annotations[REDACTED_MARK] = "true"
    meta["annotations"] = annotations
    return clean, raw_values


def sanitize_configmap(cm: dict[str, Any]) -> dict[str, Any]:
    """ConfigMaps are kept as they are, except Helm releases (they embed rendered Secrets)."""
    labels = (cm.get("metadata") or {}).get("labels") or {}
    data = cm.get("data") or {}
    if labels.get("owner") != "helm" or not isinstance(data.get("release"), str):
        return cm
    clean = copy.deepcopy(cm)
    payload = data["release"].encode()
    clean["helmRelease"] = _helm_summary(clean, payload, "configmap")
    clean["data"]["release"] = record_for(payload)
    return clean


def _helm_summary(
    obj: dict[str, Any], payload: bytes, storage: Literal["secret", "configmap"]
) -> dict[str, Any] | None:
    from vantiq_health import helm

    name = obj["metadata"].get("name", "")
    try:
        release = helm.decode_release_payload(payload)
        record = helm.summarize(release, storage=storage, storage_object=name)
    except helm.HelmDecodeError as exc:
        return {"error": str(exc), "storage_object": name}
    return record.to_dict()
