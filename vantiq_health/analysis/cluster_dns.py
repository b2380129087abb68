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
from vantiq_health.probes.result import ProbeResult

EXPECTED_DOMAIN = "cluster.local"
TCP_53 = "Allow DNS over TCP (port 53/TCP) from the pods to the cluster DNS (security groups / NSG, NetworkPolicies, the DNS server's own config)"


def dns_verdict(result: ProbeResult, namespace: str) -> tuple[list[Finding], list[str]]:
    """NET001 live: (findings, facts) from the UDP-then-TCP probe."""
    data, target = result.data, result.target
    qname = str(data.get("qname", ""))
    if data.get("udp") != "answered":
        return [], [f"live: no UDP answer from the cluster DNS {target} ({result.error}): no verdict"]
    truncated = bool(data.get("truncated"))
    facts = [
        f"live from {result.vantage}: SRV {qname} over UDP without EDNS from {target}: {data.get('rcode')}, "
        + ("truncated (TC)" if truncated else f"{data.get('udp_records', 0)} record(s), not truncated")
    ]
    if not truncated:
        return [], [*facts, "the answer fits in UDP here: TCP fallback not needed today"]
    tcp = data.get("tcp")
    if tcp == "answered":
        return [], [*facts, f"TCP answered: {data.get('tcp_records', 0)} record(s) ({data.get('tcp_rcode')})"]
    verdict = {"refused": "TCP blocked", "dropped": "TCP silently dropped"}.get(str(tcp), "TCP failed")
    diagnosis = (
        f"{verdict}: the cluster DNS answer for {qname} is truncated over UDP and the TCP retry "
        f"{'is refused' if tcp == 'refused' else 'gets no answer' if tcp == 'dropped' else 'fails'}: "
        "the MongoDB bootstrap peer finder cannot list its peers and mongodb-N stays in its bootstrap init container"
    )
    return [
        finding(
            "NET001",
            diagnosis,
            [
                result.error,
                f"UDP answer truncated at the 512-byte limit (no EDNS); namespace {namespace}, length {len(namespace)}",
            ],
            fix=[f"kubectl logs -n {namespace} mongodb-0 -c bootstrap"],
            severity="critical",
            advice=[
                TCP_53,
                "Or shorten the namespace so the answer fits in 512 bytes (see the predictive facts).",
            ],
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
            facts.append(f"{source}: no cluster domain in it")
        elif domain == EXPECTED_DOMAIN:
            facts.append(f"{source}: cluster domain {domain}")
        else:
            wrong.setdefault(domain, []).append(f"{source}: clusterDomain {domain}")
    found = [
        finding(
            "NET002",
            f"the cluster DNS domain is {domain}, not {EXPECTED_DOMAIN}: the MongoDB bootstrap peer finder "
            f"looks its peers up under {EXPECTED_DOMAIN} and waits forever",
            evidence,
            advice=[
                "Rebuild the cluster with the cluster.local domain (kubelet --cluster-domain, the DNS add-on's zone)."
            ],
        )
        for domain, evidence in sorted(wrong.items())
    ]
    return found, facts
