"""One run over the pod network: the DNS lookups, the resolv.conf and the TCP connects that only the
cluster's network can answer (NET001 live, NET002, NET005, VQ003).

The same `execute` runs where the suite runs in a pod (in-cluster vantage) and
inside a short-lived probe pod (`python -m vantiq_health.probes.netrun PLAN`,
which prints one marked JSON line that the workstation reads from the pod's
log). A plan holds only names, addresses and ports: never a credential.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from vantiq_health.i18n import Msg, msg
from vantiq_health.probes import dns as dns_probe
from vantiq_health.probes.result import REFUSED, TIMEOUT, UNREACHABLE, ProbeResult

MARK = "VANTIQ-HEALTH-NETRUN "


@dataclass(frozen=True)
class Plan:
    dns: dict[str, str] = field(default_factory=dict)  # namespace -> SRV query name
    tcp: dict[str, tuple[str, int]] = field(default_factory=dict)  # target id -> (pod IP, port)
    timeout: float = 5.0

    def to_json(self) -> str:
        doc = {"dns": self.dns, "tcp": {k: list(v) for k, v in self.tcp.items()}, "timeout": self.timeout}
        return json.dumps(doc, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Plan:
        doc = json.loads(text)
        tcp = {str(k): (str(v[0]), int(v[1])) for k, v in (doc.get("tcp") or {}).items()}
        return cls({str(k): str(v) for k, v in (doc.get("dns") or {}).items()}, tcp, float(doc["timeout"]))


@dataclass(frozen=True)
class Connect:
    """One TCP connect to a pod IP: ok, or how it failed."""

    target: str
    error_class: str = ""
    error: str = ""
    latency_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error_class


@dataclass(frozen=True)
class NetRun:
    """What one run over the pod network found, and from where."""

    vantage: str
    node: str | None  # the node the run came from, when known
    dns: dict[str, ProbeResult]
    tcp: dict[str, Connect]
    search: list[str] | None  # the resolv.conf search path; None when unreadable
    nameservers: list[str] = field(default_factory=list)


def connect(target: str, host: str, port: int, timeout: float) -> Connect:
    started = time.monotonic()

    def took() -> float:
        return (time.monotonic() - started) * 1000

    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except TimeoutError:
        return Connect(
            target, TIMEOUT, msg("NET005.tcp_timeout", target=f"{host}:{port}", timeout=timeout), took()
        )
    except ConnectionRefusedError:
        return Connect(target, REFUSED, msg("NET005.tcp_refused", target=f"{host}:{port}"), took())
    except OSError as exc:
        return Connect(
            target, UNREACHABLE, msg("NET005.tcp_error", target=f"{host}:{port}", error=str(exc)), took()
        )
    return Connect(target, latency_ms=took())


def _read_resolv(path: str) -> tuple[list[str], list[str]] | None:
    try:
        with open(path, encoding="utf-8") as f:
            return dns_probe.resolv_conf(f.read())
    except OSError:
        return None


def execute(
    plan: Plan, vantage: str, resolv_path: str = dns_probe.RESOLV_CONF, dns_port: int = 53
) -> dict[str, Any]:
    """Run the plan from here: the resolver of this pod's resolv.conf, TCP connects in parallel."""
    resolv = _read_resolv(resolv_path)
    servers = resolv[0] if resolv else []
    out: dict[str, Any] = {
        "node": os.environ.get("NODE_NAME") or None,
        "search": resolv[1] if resolv else None,
        "nameservers": servers,
        "dns": {},
        "tcp": {},
    }
    with ThreadPoolExecutor(max_workers=16) as pool:
        tcp = {k: pool.submit(connect, k, h, p, plan.timeout) for k, (h, p) in plan.tcp.items()}
        for ns, qname in plan.dns.items():
            if servers:
                found = dns_probe.probe(qname, servers[0], dns_port, plan.timeout, vantage)
            else:
                found = ProbeResult(
                    "dns",
                    "",
                    vantage,
                    error_class="error",
                    error=msg("NET001.no_nameserver", path=resolv_path),
                )
            out["dns"][ns] = {**found.to_dict(), "error_msg": text_doc(found.error)}
        out["tcp"] = {
            k: {**vars(f.result()), "error_msg": text_doc(f.result().error)} for k, f in tcp.items()
        }
    return out


def text_doc(text: Any) -> Any:
    """A text for the JSON: a message as its key and parameters, so the reader renders it in its language."""
    if isinstance(text, Msg):
        return {"key": text.key, "params": {k: text_doc(v) for k, v in text.params}}
    return text


def text_of(doc: Any, english: Any) -> str:
    """A text `text_doc` wrote, as a message again; the English text when this version does not know it."""
    if not isinstance(doc, dict):
        return str(english)
    try:
        params = {
            str(k): text_of(v, v) if isinstance(v, dict) else v for k, v in (doc.get("params") or {}).items()
        }
        return msg(str(doc["key"]), **params)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):
        return str(english)


def _with_text(record: dict[str, Any]) -> dict[str, Any]:
    out = dict(record)
    said = out.pop("error_msg", None)
    out["error"] = text_of(said, out.get("error", ""))
    return out


def parse(doc: dict[str, Any], vantage: str) -> NetRun:
    """A run's JSON (from this process or a probe pod's log) as records."""
    dns = {str(ns): ProbeResult(**_with_text(r)) for ns, r in (doc.get("dns") or {}).items()}
    tcp = {str(k): Connect(**_with_text(c)) for k, c in (doc.get("tcp") or {}).items()}
    search = doc.get("search")
    return NetRun(
        vantage,
        doc.get("node") or None,
        dns,
        tcp,
        [str(s) for s in search] if isinstance(search, list) else None,
        [str(s) for s in doc.get("nameservers") or []],
    )


def main(argv: list[str]) -> int:
    """In a probe pod: run the plan given as the one argument, print the result as one marked line."""
    if len(argv) != 2:
        print("usage: python -m vantiq_health.probes.netrun PLAN_JSON", file=sys.stderr)
        return 2
    doc = execute(Plan.from_json(argv[1]), "probe pod")
    print(MARK + json.dumps(doc, sort_keys=True), flush=True)
    return 0


if __name__ == "__main__":  # pragma: no cover - runs inside the probe pod
    sys.exit(main(sys.argv))
