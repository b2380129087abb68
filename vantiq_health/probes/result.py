"""The record of one probe: how far it got, how long it took, what failed — never a credential."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vantiq_health.i18n import msg

STEPS = ("resolve", "tcp", "tls", "auth", "query")
# error classes, each with its own remediation in the checks
DNS, TIMEOUT, REFUSED, UNREACHABLE = "dns", "timeout", "refused", "unreachable"
TLS_REQUIRED, TLS_FAILED = "tls-required", "tls-failed"
AUTH_FAILED, NO_DATABASE, NOT_AUTHORIZED, ERROR = "auth-failed", "no-database", "not-authorized", "error"
NETWORK_CLASSES = {DNS, TIMEOUT, REFUSED, UNREACHABLE}
CLASS_STEP = {
    DNS: "resolve",
    TIMEOUT: "tcp",
    REFUSED: "tcp",
    UNREACHABLE: "tcp",
    TLS_REQUIRED: "tls",
    TLS_FAILED: "tls",
    AUTH_FAILED: "auth",
    NO_DATABASE: "auth",
    NOT_AUTHORIZED: "auth",
}


@dataclass
class ProbeResult:
    service: str  # postgres, mongodb, keycloak
    target: str  # host:port as connected (never a connection string with credentials)
    vantage: str
    reached: list[str] = field(default_factory=list)  # the steps passed, in order
    error_class: str = ""
    error: str = ""  # scrubbed of the credentials the probe used
    latency_ms: float = 0.0
    data: dict[str, Any] = field(default_factory=dict)  # what the read-only queries answered

    @property
    def ok(self) -> bool:
        return not self.error_class

    @property
    def failed_at(self) -> str | None:
        if self.ok:
            return None
        step = CLASS_STEP.get(self.error_class, "query")
        if step not in self.reached:
            return step
        done = [s for s in STEPS if s in self.reached]
        after = STEPS.index(done[-1]) + 1
        return STEPS[min(after, len(STEPS) - 1)]

    @property
    def network_failure(self) -> bool:
        return self.error_class in NETWORK_CLASSES

    def describe(self) -> str:
        steps = " → ".join(self.reached) or msg("common.probe_nothing")
        verdict = (
            msg("common.probe_ok")
            if self.ok
            else msg("common.probe_failed_at", step=self.failed_at, error_class=self.error_class)
        )
        return msg(
            "common.probe_describe",
            service=self.service,
            target=self.target,
            vantage=vantage_text(self.vantage),
            steps=steps,
            verdict=verdict,
            ms=f"{self.latency_ms:.0f}",
        )

    def to_dict(self) -> dict[str, Any]:
        """For --save-snapshot and results: the record as it is, it holds no credential."""
        return {
            "service": self.service,
            "target": self.target,
            "vantage": str(self.vantage),  # the English text of a Msg
            "reached": list(self.reached),
            "error_class": self.error_class,
            "error": str(self.error),  # the English text of a Msg
            "latency_ms": round(self.latency_ms, 1),
            "data": self.data,
        }


_VANTAGES = {
    "explicit --endpoint": "common.vantage_explicit",
    "pod network (in-cluster)": "common.vantage_pod_network",
    "port-forward to the service's pod": "common.vantage_port_forward",
    "this workstation": "common.vantage_workstation",
}


def vantage_text(vantage: str) -> str:
    """A vantage (a machine value, `endpoints.*`) as the run's language says it."""
    key = _VANTAGES.get(vantage)
    return msg(key) if key else vantage


def from_record(doc: dict[str, Any]) -> ProbeResult | None:
    """A record --save-snapshot wrote, read back; None when it is not one (a hand-edited file)."""
    texts = ("service", "target", "vantage", "error_class", "error")
    reached = doc.get("reached")
    if not all(isinstance(doc.get(k), str) for k in texts) or not isinstance(doc.get("data"), dict):
        return None
    if not isinstance(reached, list) or not all(step in STEPS for step in reached):
        return None
    latency = doc.get("latency_ms", 0.0)
    return ProbeResult(
        doc["service"],
        doc["target"],
        vantage_text(doc["vantage"]),
        list(reached),
        doc["error_class"],
        doc["error"],
        float(latency) if isinstance(latency, int | float) else 0.0,
        doc["data"],
    )


def scrub(text: str, *secrets: str | None) -> str:
    """An error text without the credentials the probe used (drivers may echo a DSN)."""
    for value in secrets:
        if value and len(value) >= 2:
            text = text.replace(value, "<redacted>")
    return text.strip()[:500]
