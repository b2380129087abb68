"""Secret material as a type that cannot be printed, and the scrubber of report texts.

A `Sensitive` holds one credential value (a Secret's bytes, a literal password
in an env var, the password of a connection string). Its repr, str and format
are a redaction record (length and keyed fingerprint), it refuses pickling, and
`.reveal()` is the one explicit way to the bytes, for the few places that must
log in with them. pytest's `-l` and long tracebacks therefore print records.

Every value wrapped here (≥ 4 bytes, not a trivial word) is also registered:
`scrub(text)` replaces every registered value in a text — raw, base64 or
URL-encoded — and every credential-shaped span (see `redact.credential_spans`)
by its record. The plugin runs every report text through it before any
reporter sees it; --save-snapshot runs every free text through it.

Fingerprints are HMAC-SHA256 under a key that never appears in a report: a
random key per run, or the installation's `fingerprint_key` from the config
when reports must be compared across runs. Plain hashes would let anyone
holding a report confirm a guessed password offline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
from typing import Any, NoReturn
from urllib.parse import quote, quote_plus

MIN_REGISTERED = 4
# Values too common to scrub from every text; they still print as records where held as Sensitive.
_TRIVIAL = {b"true", b"false", b"null", b"none", b"yes", b"no", b"secret", b"password", b"token"}

_lock = threading.Lock()
_key: bytes = secrets.token_bytes(32)
_registered: set[bytes] = set()
_pattern: re.Pattern[str] | None = None


def use_key(key: bytes) -> None:
    """Fingerprint with this key from now on (the run's shared key, or the installation's)."""
    global _key
    if not key:
        raise ValueError("an empty fingerprint key")
    _key = bytes(key)


def run_key() -> bytes:
    """The key, to hand to xdist workers of the same run (never written to a report)."""
    return _key


def fingerprint(raw: bytes) -> str:
    """8 hex digits of HMAC-SHA256(key, value): equal values look equal, guesses cannot be confirmed."""
    return hmac.new(_key, raw, hashlib.sha256).hexdigest()[:8]


class Sensitive:
    """One secret value. Prints as a record; `.reveal()` is the only way to its bytes."""

    __slots__ = ("_raw",)

    def __init__(self, value: bytes | str, *, register: bool = True) -> None:
        raw = value.encode() if isinstance(value, str) else bytes(value)
        object.__setattr__(self, "_raw", raw)
        if register:
            register_value(raw)

    def reveal(self) -> bytes:
        """The value itself, for a login. Never print, log or store what this returns."""
        raw: bytes = object.__getattribute__(self, "_raw")
        return raw

    def reveal_text(self) -> str:
        return self.reveal().decode("utf-8", "replace")

    @property
    def length(self) -> int:
        return len(self.reveal())

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.reveal())

    def record_text(self) -> str:
        # no ": " or ",": the text stays one plain scalar when it replaces a value in YAML or JSON-ish files
        return f"<redacted {self.length} bytes hmac {self.fingerprint}>"

    def __repr__(self) -> str:
        return self.record_text()

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return self.record_text()

    def __len__(self) -> int:
        return self.length

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sensitive):
            return NotImplemented
        return hmac.compare_digest(self.reveal(), other.reveal())

    def __hash__(self) -> int:
        return hash(self.fingerprint)

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError("a Sensitive value is immutable")

    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise TypeError("a Sensitive value cannot be pickled: it would leave the process")

    def __getstate__(self) -> NoReturn:
        raise TypeError("a Sensitive value cannot be pickled: it would leave the process")

    def __copy__(self) -> Sensitive:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Sensitive:
        return self


def register_value(value: bytes | str | Sensitive) -> None:
    """Scrub this value from every report text of the run (ignored when short or trivial)."""
    raw = value.reveal() if isinstance(value, Sensitive) else value
    raw = raw.encode() if isinstance(raw, str) else raw
    global _pattern
    stripped = raw.strip()
    if len(stripped) < MIN_REGISTERED or stripped.lower() in _TRIVIAL:
        return
    with _lock:
        if stripped in _registered and raw in _registered:
            return
        _registered.update({stripped, raw})  # Secrets hold values with stray newlines (SEC002)
        _pattern = None


register = register_value


def _forms(raw: bytes) -> set[str]:
    """The texts a value takes in reports: itself, base64 (any padding), URL-encoded."""
    forms = {base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    forms |= {f.rstrip("=") for f in forms}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    forms |= {text, quote(text, safe=""), quote_plus(text, safe="")}
    return {f for f in forms if len(f) >= MIN_REGISTERED}


def _compiled() -> re.Pattern[str] | None:
    global _pattern
    with _lock:
        if _pattern is None and _registered:
            forms = set().union(*(_forms(raw) for raw in _registered))
            ordered = sorted(forms, key=len, reverse=True)
            _pattern = re.compile("|".join(re.escape(f) for f in ordered))
        return _pattern


def _record_of(match: re.Match[str]) -> str:
    return f"<redacted {len(match.group(0).encode())} bytes>"


def scrub(text: str) -> str:
    """The text with every registered value and every credential-shaped span replaced by a record."""
    if not text:
        return text
    from vantiq_health.redact import redact_spans

    text = redact_spans(text)
    pattern = _compiled()
    return pattern.sub(_record_of, text) if pattern else text


def scrub_any(value: Any) -> Any:
    """scrub() through str, lists, tuples and dicts (values only); other types as they are."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list | tuple):
        return type(value)(scrub_any(v) for v in value)
    if isinstance(value, dict):
        return {k: scrub_any(v) for k, v in value.items()}
    return value


def registered_count() -> int:
    with _lock:
        return len(_registered)


def forget_all() -> None:
    """For the project's own tests: an empty registry."""
    global _pattern
    with _lock:
        _registered.clear()
        _pattern = None
