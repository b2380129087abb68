"""Secret values in, redaction records out; the one place that says what looks like a credential.

The cluster view sanitizes every object as soon as it is read. Secret values
become `Sensitive` (kept by the view for the live probes that must log in) and,
in the object, a record of their byte length, copy-paste defects, keyed
fingerprint and, for certificates and keys, the parsed metadata. Beyond
Secrets: literal env values of credential-named variables, `--password=...`
arguments, credential annotations and the password part of connection strings
and `password = ...` lines (ConfigMaps, env, annotations, event messages) are
replaced by their record text. Every value found is registered with the
scrubber (`sensitive.scrub`), the last line before any report.
"""

from __future__ import annotations

import base64
import binascii
import copy
import re
from typing import Any, Literal

from vantiq_health import pem
from vantiq_health.sensitive import Sensitive, register_value

REDACTED_MARK = "vantiq-health/redacted"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
LAST_APPLIED_REMOVED = "(removed by vantiq-health: it repeats the object's values)"

# -- what looks like a credential ------------------------------------------------
_WORDS = (
    r"password|passwd|passphrase|secret|token|credentials?|api[-_]?key|access[-_]?key|"
    r"private[-_]?key|client[-_]?secret|(?:storage|account|master|signing|encryption|ssh|license)[-_.]?key|"
    r"(?<![a-z])(?:pass|pwd)(?![a-z])"
)
CREDENTIAL_NAME = re.compile(_WORDS, re.IGNORECASE)
# Names that point at a credential rather than hold one: SECRET_NAME, PASSWORD_FILE, TOKEN_TTL,
# existingSecret (a bare "key" is left out too: `key: app` in YAML would blank "app" everywhere).
_REFERENCE_NAME = re.compile(
    r"[._-]?(names?|files?|paths?|dir|refs?|mount|ttl|expiry|length|enabled|mode|type|url|endpoint|"
    r"header|field|source|policy|provider|realm)$|^existing",
    re.IGNORECASE,
)
# Secret keys that hold a single credential (SEC002 judges their defects even when unused).
CREDENTIAL_KEY = re.compile(
    r"(^|[._-])(password|passwd|pwd|pass|user|username|token|secret|key|apikey|api[-_]?key|"
    r"access[-_]?key|secret[-_]?key)$",
    re.IGNORECASE,
)
# Secret keys whose values are identities, not secrets: not scrubbed from every text of the run
# (a user "vantiq" would blank every pod name), though still held as Sensitive.
IDENTITY_KEY = re.compile(
    r"(^|[._-])(user|username|user[-_]?name|login|host|hostname|port|database|db|dbname|namespace|"
    r"ca\.crt|tls\.crt)$",
    re.IGNORECASE,
)

_URL_PASSWORD = re.compile(r"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@?#\"']*:(?P<v>[^\s@/?#\"']+)@")
_KEY_VALUE = re.compile(
    r"(?P<k>[\w.-]*(?:" + _WORDS + r")[\w.-]*)[\"']?[ \t]*[=:][ \t]*"
    r"(?:\"(?P<dq>[^\"\n]*)\"|'(?P<sq>[^'\n]*)'|(?P<bare>[^\s\"',;&<>(){}\[\]]+))",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?i)\bbearer\s+(?P<v>[A-Za-z0-9._~+/=-]{8,})")
_NOT_A_VALUE = re.compile(r"^(?:[$<{%*'\"]|\.\.\.)")
RECORD_TEXT = "<redacted "


def _wrapped(value: str) -> str:
    """The record text of a whole value that is a credential (a record text stays as it is)."""
    return value if value.startswith(RECORD_TEXT) else Sensitive(value).record_text()


def is_credential_name(name: str) -> bool:
    """An env var, annotation, flag or config key whose value is a credential (not a pointer to one)."""
    return bool(CREDENTIAL_NAME.search(name)) and not _REFERENCE_NAME.search(name)


def credential_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each credential in a text: URL passwords, `password=...`, `"token": "..."`."""
    spans = [m.span("v") for m in _URL_PASSWORD.finditer(text)]
    spans += [m.span("v") for m in _BEARER.finditer(text)]
    for match in _KEY_VALUE.finditer(text):
        group = next(g for g in ("dq", "sq", "bare") if match.group(g) is not None)
        if is_credential_name(match.group("k")):
            spans.append(match.span(group))
    return [(a, b) for a, b in spans if b - a >= 1 and not _NOT_A_VALUE.match(text[a:b])]


def redact_spans(text: str, *, register: bool = False) -> str:
    """The text with each credential span replaced by its record; register=True scrubs them run-wide."""
    spans = credential_spans(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], Sensitive(text[start:end], register=register).record_text()]
        last = end
    return "".join([*out, text[last:]])


# -- records ------------------------------------------------------------------------
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


def value_defects(value: Sensitive | bytes) -> list[str]:
    """Copy-paste defects of a value meant to be used as one single value."""
    raw = value.reveal() if isinstance(value, Sensitive) else value
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


def value_shape(value: Sensitive | bytes) -> str:
    """pem, file (several lines), binary, or single (a value used as it is)."""
    raw = value.reveal() if isinstance(value, Sensitive) else value
    if b"-----BEGIN " in raw:
        return "pem"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return "binary"
    lines = [line for line in text.splitlines() if line.strip()]
    return "file" if len(lines) >= 2 else "single"


def record_for(value: Sensitive | None) -> dict[str, Any]:
    """The redaction record of one value; None means the data was not base64."""
    if value is None:
        return {"length": 0, "defects": ["not-base64"], "hmac": "", "shape": "single"}
    rec: dict[str, Any] = {
        "length": value.length,
        "defects": value_defects(value),
        "hmac": value.fingerprint,
        "shape": value_shape(value),
    }
    if rec["shape"] == "pem":
        rec["pem"] = pem.describe(value)
    return rec


def decode_b64(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


def is_record(value: Any) -> bool:
    # "sha256": records saved by earlier versions (plain hashes; still valid for length and defects)
    return isinstance(value, dict) and "length" in value and ("hmac" in value or "sha256" in value)


def fingerprint_of(record: Any) -> str:
    if not isinstance(record, dict):
        return ""
    return str(record.get("hmac") or record.get("sha256") or "")


# -- objects ------------------------------------------------------------------------
def _wrap_values(secret: dict[str, Any]) -> dict[str, Sensitive | None]:
    """Every value of a Secret as Sensitive, first of all, before anything may raise."""
    values: dict[str, Sensitive | None] = {}
    for key, value in (secret.get("data") or {}).items():
        if is_record(value):
            continue
        raw = decode_b64(value) if isinstance(value, str) else None
        register = isinstance(key, str) and not IDENTITY_KEY.search(key)
        values[key] = Sensitive(raw, register=register) if raw is not None else None
        if raw is None and isinstance(value, str) and register:
            register_value(value)  # not base64: the text itself is the value
    for key, value in (secret.get("stringData") or {}).items():
        values[key] = Sensitive(str(value), register=not IDENTITY_KEY.search(str(key)))
    return values


def sanitize_secret(secret: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Sensitive]]:
    """A copy of the Secret holding redaction records only, and its values as Sensitive."""
    values = _wrap_values(secret)
    clean = {k: v for k, v in secret.items() if k not in ("data", "stringData")}
    clean = copy.deepcopy(clean)
    clean["data"] = {k: v for k, v in (secret.get("data") or {}).items() if is_record(v)}
    clean["data"].update({key: record_for(value) for key, value in values.items()})
    for key, value in values.items():
        if value is not None and _license_key(key):  # VQ002: the expiry date only, never the content
            clean["data"][key]["license"] = _read_license(value)
    sanitize_metadata(clean)
    release = values.get("release")
    if release is not None and _helm_storage(clean, is_secret=True):
        clean["helmRelease"] = _helm_summary(clean, release, "secret")
    meta = clean.setdefault("metadata", {})
    meta.setdefault("annotations", {})[REDACTED_MARK] = "true"
    return clean, {k: v for k, v in values.items() if v is not None}


def _license_key(key: object) -> bool:
    from vantiq_health.analysis.license import LICENSE_KEY

    return bool(LICENSE_KEY.search(str(key)))


def _read_license(value: Sensitive) -> dict[str, Any]:
    from vantiq_health.analysis.license import read_license

    return read_license(value.reveal())


def _helm_storage(obj: dict[str, Any], *, is_secret: bool) -> bool:
    from vantiq_health import helm  # helm decodes with redaction's help: imported when used

    return helm.is_storage_object(obj, is_secret=is_secret)


def sanitize_configmap(cm: dict[str, Any]) -> dict[str, Any]:
    """Credentials in a ConfigMap's files become records; Helm releases become their summaries."""
    clean = copy.deepcopy(cm)
    sanitize_metadata(clean)
    data: dict[str, Any] = clean["data"] if isinstance(clean.get("data"), dict) else {}
    if isinstance(data.get("release"), str) and _helm_storage(clean, is_secret=False):
        payload = Sensitive(data["release"])
        clean["helmRelease"] = _helm_summary(clean, payload, "configmap")
        data["release"] = record_for(payload)
    for key, value in data.items():
        if isinstance(value, str):
            data[key] = redact_spans(value, register=True)
    return clean


def sanitize_metadata(obj: dict[str, Any]) -> None:
    """In place: last-applied removed, credential annotations replaced by their records."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, dict) else None
    if not isinstance(annotations, dict):
        return
    for key, value in list(annotations.items()):
        if not isinstance(value, str) or key == REDACTED_MARK:
            continue
        if key == LAST_APPLIED:
            if value != LAST_APPLIED_REMOVED and "vantiq-health" not in value:
                annotations[key] = LAST_APPLIED_REMOVED
        elif is_credential_name(str(key)) and value:
            annotations[key] = _wrapped(value)
        else:
            annotations[key] = redact_spans(value, register=True)


def sanitize_object(obj: dict[str, Any]) -> dict[str, Any]:
    """In place (the view's freshly read objects): annotations, pod specs, event messages."""
    if not isinstance(obj, dict):
        return obj
    sanitize_metadata(obj)
    for spec in pod_specs(obj):
        for container in all_containers(spec):
            _sanitize_container(container)
    if isinstance(obj.get("message"), str):  # an event's free text: redacted here, not scrubbed run-wide
        obj["message"] = redact_spans(obj["message"])
    return obj


def pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The pod spec of a Pod, or of the template of a workload or CronJob."""
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        return []
    if obj.get("kind") == "Pod" or "containers" in spec:
        return [spec]
    job = spec.get("jobTemplate")
    outer: dict[str, Any] = (
        job["spec"] if isinstance(job, dict) and isinstance(job.get("spec"), dict) else spec
    )
    template = outer.get("template")
    inner = template.get("spec") if isinstance(template, dict) else None
    return [inner] if isinstance(inner, dict) else []


def all_containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for field in ("containers", "initContainers", "ephemeralContainers"):
        items = spec.get(field)
        found += [c for c in items if isinstance(c, dict)] if isinstance(items, list) else []
    return found


def _sanitize_container(container: dict[str, Any]) -> None:
    env = container.get("env")
    for var in env if isinstance(env, list) else []:
        if not isinstance(var, dict) or not isinstance(var.get("value"), str) or not var["value"]:
            continue
        if is_credential_name(str(var.get("name", ""))):
            var["value"] = _wrapped(var["value"])
        else:
            var["value"] = redact_spans(var["value"], register=True)
    for field in ("args", "command"):
        if isinstance(container.get(field), list):
            container[field] = sanitize_args(container[field])


def sanitize_args(args: list[Any]) -> list[Any]:
    """`--password=X`, `--password X`, `-p X`-style credentials and connection strings in an argv."""
    out: list[Any] = []
    for n, arg in enumerate(args):
        prev = args[n - 1] if n else None
        if not isinstance(arg, str):
            out.append(arg)
        elif isinstance(prev, str) and _flag_takes_credential(prev) and not arg.startswith("-"):
            out.append(_wrapped(arg))
        else:
            out.append(redact_spans(arg, register=True))
    return out


def _flag_takes_credential(flag: str) -> bool:
    if not flag.startswith("-") or "=" in flag:
        return False
    return is_credential_name(flag.lstrip("-"))


def _helm_summary(
    obj: dict[str, Any], payload: Sensitive, storage: Literal["secret", "configmap"]
) -> dict[str, Any] | None:
    from vantiq_health import helm

    meta = obj.get("metadata")
    name = meta.get("name", "") if isinstance(meta, dict) else ""
    try:
        release = helm.decode_release_payload(payload.reveal())
        record = helm.summarize(release, storage=storage, storage_object=name)
    except helm.HelmDecodeError as exc:
        # YAML errors quote the offending manifest line, which may be a rendered Secret's
        return {"error": redact_spans(str(exc)), "storage_object": name}
    return record.to_dict()
