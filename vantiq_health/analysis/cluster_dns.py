"""NET001 live verdict and NET002: what the cluster DNS answers, and the domain it serves.

NET001 live: the MongoDB headless-service SRV query over UDP without EDNS
(as the bootstrap peer finder sends it); when truncated, over TCP. "TCP
blocked" (refused) and "TCP silently dropped" (no answer) are both critical:
the peer finder never learns its peers and mongodb-N's bootstrap waits forever.

NET002: the cluster domain, from the kubelet config (`configz`,
`kubeletconfig.clusterDomain`) and from a pod's resolv.conf search path
(`NS.svc.DOMAIN svc.DOMAIN DOMAIN`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes.result import ProbeResult, vantage_text

EXPECTED_DOMAIN = "cluster.local"
TCP_DIAGNOSIS = {"refused": "NET001.tcp_blocked", "dropped": "NET001.tcp_dropped"}


def dns_verdict(result: ProbeResult, namespace: str) -> tuple[list[Finding], list[str]]:
    """NET001 live: (findings, facts) from the UDP-then-TCP probe."""
    data, target = result.data, result.target
    qname = str(data.get("qname", ""))
    if data.get("udp") != "answered":
        return [], [msg("NET001.no_udp", target=target, error=result.error)]
    truncated = bool(data.get("truncated"))
    how = (
        msg("NET001.udp_truncated") if truncated else msg("NET001.udp_records", n=data.get("udp_records", 0))
    )
    said = msg(
        "NET001.udp_said",
        vantage=vantage_text(result.vantage),
        qname=qname,
        target=target,
        rcode=data.get("rcode"),
        how=how,
    )
    facts = [said]
    if not truncated:
        return [], [*facts, msg("NET001.fits")]
    tcp = data.get("tcp")
    if tcp == "answered":
        n, rcode = data.get("tcp_records", 0), data.get("tcp_rcode")
        return [], [*facts, msg("NET001.tcp_answered", n=n, rcode=rcode)]
    diagnosis = msg(TCP_DIAGNOSIS.get(str(tcp), "NET001.tcp_failed"), qname=qname)
    return [
        finding(
            "NET001",
            diagnosis,
            [result.error, msg("NET001.udp_limit", namespace=namespace, length=len(namespace))],
            fix=[f"kubectl logs -n {namespace} mongodb-0 -c bootstrap"],
            severity="critical",
            advice=[msg("NET001.allow_tcp"), msg("NET001.shorten")],
        )
    ], facts


def configz_domains(docs: Mapping[str, Any]) -> dict[str, str | None]:
    """node -> kubeletconfig.clusterDomain of its configz document (None: the field is missing)."""
    out: dict[str, str | None] = {}
    for node, doc in docs.items():
        config = (doc or {}).get("kubeletconfig") if isinstance(doc, dict) else None
        domain = config.get("clusterDomain") if isinstance(config, dict) else None
        out[node] = str(domain).rstrip(".") if domain else None
    return out


def search_domain(search: list[str], namespace: str | None = None) -> str | None:
    """The cluster domain of a pod's resolv.conf search path: the suffix after `svc.`."""
    for entry in search:
        labels = entry.rstrip(".").split(".")
        if "svc" in labels:
            i = labels.index("svc")
            if i + 1 < len(labels):
                return ".".join(labels[i + 1 :])
    return None


def domain_findings(sources: Mapping[str, str | None]) -> tuple[list[Finding], list[str]]:
    """NET002: every source (`node X (kubelet configz)`, a resolv.conf) must say cluster.local; one finding per other domain."""
    facts: list[str] = []
    wrong: dict[str, list[str]] = {}
    for source, domain in sorted(sources.items()):
        if domain is None:
            facts.append(msg("NET002.no_domain", source=source))
        elif domain == EXPECTED_DOMAIN:
            facts.append(msg("NET002.domain", source=source, domain=domain))
        else:
            wrong.setdefault(domain, []).append(msg("NET002.wrong_source", source=source, domain=domain))
    found = [
        finding(
            "NET002",
            msg("NET002.wrong", domain=domain, expected=EXPECTED_DOMAIN),
            evidence,
            advice=[msg("NET002.rebuild")],
        )
        for domain, evidence in sorted(wrong.items())
    ]
    return found, facts
