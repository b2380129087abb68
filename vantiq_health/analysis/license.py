"""VQ002: the Vantiq license Secret exists, is mounted where Vantiq reads it, and is current.

The license's format is Vantiq's own; the operations notes only say where to see
its expiry (System Admin >> About). `read_license` looks for an expiry it can
trust in the forms a license file takes — a JWT's `exp` claim, a JSON document's
expiry field, an `expires: DATE` line, each possibly inside a PEM-style armour —
and otherwise says it cannot tell. It runs at redaction time on the value (see
`redact.sanitize_secret`) and hands on the expiry date only: never the license's
content, customer or limits.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime
from typing import Any

from vantiq_health.analysis.k8s import Obj, last_write, name, parse_time
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg

LICENSE_KEY = re.compile(r"licen[cs]e", re.IGNORECASE)  # Secret keys that hold a license file
_ARMOUR = re.compile(rb"-----BEGIN [A-Z0-9 ]+-----(?P<body>.*?)-----END [A-Z0-9 ]+-----", re.DOTALL)
_JWT = re.compile(r"[A-Za-z0-9_-]+\.(?P<payload>[A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*")
_EXPIRY_FIELDS = ("exp", "expires", "expiration", "expirationdate", "expiresat", "expirydate", "validuntil")
_EXPIRY_LINE = re.compile(
    r"^\s*[\"']?(?:expir\w*|valid[_-]?until|not[_-]?after)[\"']?\s*[:=]\s*[\"']?(?P<v>[0-9][0-9T:.+Z -]*[0-9Z])",
    re.IGNORECASE | re.MULTILINE,
)


# -- reading the file (at redaction time) --------------------------------------------------------
def read_license(raw: bytes) -> dict[str, Any]:
    """{"format": ..., "expires": ISO time or None}: what a report may say of a license file."""
    try:
        return _read(raw, depth=0)
    except BaseException as exc:  # nothing raises out of here: a traceback would show the license's bytes
        if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit | MemoryError):
            raise
        return {"format": "unknown", "expires": None}


def _read(raw: bytes, depth: int) -> dict[str, Any]:
    armour = _ARMOUR.search(raw)
    if armour and depth == 0:
        try:
            inner = base64.b64decode(b"".join(armour.group("body").split()), validate=True)
        except (binascii.Error, ValueError):
            return {"format": "armoured", "expires": None}
        found = _read(inner, depth + 1)
        return {**found, "format": f"armoured {found['format']}"}
    text = raw.decode("utf-8").strip()
    jwt = _JWT.fullmatch(text)
    if jwt:
        payload = jwt.group("payload")
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return {"format": "jwt", "expires": _when(claims.get("exp")) if isinstance(claims, dict) else None}
    if text.startswith("{"):
        doc = json.loads(text)
        fields = {str(k).lower().replace("_", ""): v for k, v in doc.items()} if isinstance(doc, dict) else {}
        value = next((fields[k] for k in _EXPIRY_FIELDS if k in fields), None)
        return {"format": "json", "expires": _when(value)}
    line = _EXPIRY_LINE.search(text)
    return {"format": "text" if line else "unknown", "expires": _when(line.group("v")) if line else None}


def _when(value: Any) -> str | None:
    """An expiry as ISO text: epoch seconds (or milliseconds), an ISO time, or a date."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    parsed = parse_time(str(value).strip().replace(" ", "T", 1))
    if parsed is not None and parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a date or time without a zone: read as UTC
    return parsed.isoformat() if parsed else None


# -- judging (the check) --------------------------------------------------------------------------
def _mounted_secret(pod: Obj, container: str, path: str) -> str | None:
    """The Secret mounted at `path` in the container ("" when something else is, None when nothing)."""
    spec = pod.get("spec") or {}
    containers = [c for c in spec.get("containers") or [] if c.get("name") == container]
    mounts = [m for c in containers[:1] for m in c.get("volumeMounts") or [] if m.get("mountPath") == path]
    if not mounts:
        return None
    volume: Obj = next((v for v in spec.get("volumes") or [] if v.get("name") == mounts[0].get("name")), {})
    if "secret" in volume:
        return str((volume.get("secret") or {}).get("secretName", ""))
    sources = (volume.get("projected") or {}).get("sources") or []
    named = [str((s.get("secret") or {}).get("name", "")) for s in sources if "secret" in s]
    return named[0] if named else ""


def mount_findings(
    pods: list[Obj], container: str, secret_name: str, path: str, namespace: str
) -> tuple[list[Finding], list[str]]:
    """Each vantiq pod mounts the license Secret at the path Vantiq reads it from."""
    wrong = []
    for pod in pods:
        got = _mounted_secret(pod, container, path)
        if got != secret_name:
            key = (
                "VQ002.mount_nothing"
                if got is None
                else ("VQ002.mount_other" if got else "VQ002.mount_no_secret")
            )
            wrong.append(msg(key, pod=name(pod), container=container, secret=got, path=path))
    if not wrong:
        return [], [msg("VQ002.mounted", secret=secret_name, path=path, n=len(pods))]
    return [
        finding(
            "VQ002",
            msg("VQ002.not_mounted", secret=secret_name, path=path, n=len(wrong)),
            wrong,
            [f"kubectl describe pod -n {namespace} {name(pods[0])} | grep -A1 -i license"],
            "warning",
            advice=[msg("VQ002.remount_advice")],
        )
    ], []


def license_expiries(secret: Obj) -> tuple[list[tuple[str, datetime]], list[str]]:
    """(key, expiry) of each license file whose expiry was read, and the formats of the others."""
    dated, formats = [], []
    for key, record in (secret.get("data") or {}).items():
        read = record.get("license") if isinstance(record, dict) else None
        if not isinstance(read, dict):
            continue
        expires = parse_time(read.get("expires"))
        if expires is None:
            formats.append(str(read.get("format")))
        else:
            dated.append((str(key), expires))
    return dated, formats


def _expiry(
    sec: str, key: str, expires: datetime, now: datetime, days_left: float, whose: str
) -> Finding | str:
    days, date = int((expires - now).total_seconds() // 86400), str(expires.date())
    if expires > now and days >= days_left:
        return msg("VQ002.expires_on", date=date, days=days, key=key, whose=whose)
    said = "VQ002.license_expired" if expires <= now else "VQ002.license_expires"
    return finding(
        "VQ002",
        msg(said, secret=sec, date=date, days=days, whose=whose),
        [msg("VQ002.expiry_read", at=expires.isoformat(), key=key)],
        [],
        "warning",
        advice=[msg("VQ002.renew_advice")],
    )


def expiry_findings(
    secret: Obj, now: datetime, expiry_days: float, pods_started: datetime | None
) -> tuple[list[Finding], list[str]]:
    """The expiry read from the license file, and whether the pods run with this license at all."""
    sec = name(secret)
    written = last_write(secret)
    stale = written if written and pods_started and written > pods_started else None
    whose = msg("VQ002.whose_stale") if stale else ""
    dated, formats = license_expiries(secret)
    judged = [_expiry(sec, key, expires, now, expiry_days, whose) for key, expires in dated]
    found = [j for j in judged if isinstance(j, Finding)]
    facts = [j for j in judged if isinstance(j, str)]
    if not dated:
        kinds = ", ".join(sorted(set(formats))) or msg("VQ002.no_license_key")
        facts.append(msg("VQ002.expiry_unreadable", kinds=kinds))
    if stale and pods_started:
        found.append(
            finding(
                "VQ002",
                msg(
                    "VQ002.not_in_effect",
                    secret=sec,
                    written=stale.isoformat(),
                    started=pods_started.isoformat(),
                ),
                [msg("VQ002.last_written", secret=sec, at=stale.isoformat()), *facts],
                [],
                "info",
            )
        )
    return found, facts


def started(pods: list[Obj], container: str) -> datetime | None:
    """When the earliest running vantiq container started."""
    times = [
        parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
        for p in pods
        for cs in (p.get("status") or {}).get("containerStatuses") or []
        if cs.get("name") == container
    ]
    known = [t for t in times if t is not None]
    return min(known) if known else None


def license_findings(
    secret: Obj | None,
    pods: list[Obj],
    *,
    secret_name: str,
    container: str,
    path: str,
    namespace: str,
    now: datetime,
    expiry_days: float,
) -> tuple[list[Finding], list[str]]:
    """VQ002: the Secret, its mount in every vantiq pod, its expiry, and whether the pods run with it."""
    if secret is None:
        return [
            finding(
                "VQ002",
                msg("VQ002.no_secret", secret=f"{namespace}/{secret_name}"),
                [msg("VQ002.no_secret_in", secret=secret_name, namespace=namespace)],
                [f"kubectl get secret -n {namespace} {secret_name}"],
                "warning",
                advice=[msg("VQ002.deploy_advice")],
            )
        ], []
    found, facts = mount_findings(pods, container, secret_name, path, namespace) if pods else ([], [])
    if not pods:
        facts.append(msg("VQ002.no_pod", container=container, namespace=namespace, path=path))
    more, said = expiry_findings(secret, now, expiry_days, started(pods, container))
    return found + more, facts + said
