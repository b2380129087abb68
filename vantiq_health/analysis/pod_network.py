"""NET005 and VQ003: pod-IP traffic — which pod IPs to try, and what a failed connect means.

The ingress controller reaches Vantiq by its pod IPs (the Endpoints of the
ClusterIP Service `vantiq`), while Keycloak is routed through an ExternalName
Service (a DNS name): when pod-IP traffic between nodes is blocked, only
Vantiq times out (502/504) and Keycloak keeps answering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes.result import vantage_text


@dataclass(frozen=True)
class Target:
    key: str  # the plan's target id
    host: str
    port: int
    label: str  # what the evidence names: the pod, its node


class Connected(Protocol):
    """A connect's outcome as the analysis sees it (`netrun.Connect`)."""

    @property
    def error_class(self) -> str: ...

    @property
    def error(self) -> str: ...


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _tcp_port(pod: Obj) -> int | None:
    for c in (pod.get("spec") or {}).get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("protocol", "TCP") == "TCP" and isinstance(p.get("containerPort"), int):
                return int(p["containerPort"])
    for c in (pod.get("spec") or {}).get("containers") or []:  # no declared port: its readiness probe's
        port = (
            (c.get("readinessProbe") or {}).get("httpGet")
            or (c.get("readinessProbe") or {}).get("tcpSocket")
            or {}
        ).get("port")
        if isinstance(port, int):
            return port
    return None


def node_targets(nodes: list[Obj], pods: list[Obj]) -> tuple[list[Target], list[str]]:
    """One ready pod with a TCP port per node (pod network only): the pod IPs NET005 connects to."""
    targets, notes = [], []
    for node in sorted(name(n) for n in nodes):
        candidates = sorted(
            (
                p
                for p in pods
                if (p.get("spec") or {}).get("nodeName") == node
                and not (p.get("spec") or {}).get("hostNetwork")
                and (p.get("status") or {}).get("podIP")
                and _ready(p)
                and _tcp_port(p) is not None
            ),
            key=lambda p: (p["metadata"].get("namespace", ""), name(p)),
        )
        if not candidates:
            notes.append(msg("NET005.no_pod", node=node))
            continue
        pod = candidates[0]
        ip, port = str(pod["status"]["podIP"]), _tcp_port(pod) or 0
        pod_name = f"{pod['metadata'].get('namespace', '')}/{name(pod)}"
        label = msg("NET005.target", pod=pod_name, node=node, address=f"{ip}:{port}")
        targets.append(Target(f"node:{node}", ip, port, label))
    return targets, notes


def ready_endpoints(endpoints: Obj | None) -> tuple[list[tuple[str, int, str]], int]:
    """(pod IP, port, pod name) of each ready address × port, and the number of not-ready addresses."""
    ready, not_ready = [], 0
    for subset in (endpoints or {}).get("subsets") or []:
        ports = [p["port"] for p in subset.get("ports") or [] if isinstance(p.get("port"), int)]
        not_ready += len(subset.get("notReadyAddresses") or [])
        for addr in subset.get("addresses") or []:
            pod = str((addr.get("targetRef") or {}).get("name") or addr.get("ip", ""))
            ready += [(str(addr.get("ip", "")), port, pod) for port in ports]
    return ready, not_ready


def vantiq_targets(namespace: str, endpoints: Obj | None) -> list[Target]:
    ready, _ = ready_endpoints(endpoints)
    return [
        Target(f"vq:{namespace}:{ip}:{port}", ip, port, msg("VQ003.target", pod=pod, address=f"{ip}:{port}"))
        for ip, port, pod in ready
    ]


def endpoint_findings(
    namespace: str, service: Obj | None, service_name: str, endpoints: Obj | None
) -> tuple[list[Finding], list[str]]:
    """VQ003 static: the Vantiq Service exists and has ready endpoints."""
    if service is None:
        return [
            finding(
                "VQ003",
                msg("VQ003.no_service", service=service_name, namespace=namespace),
                fix=[f"kubectl get svc -n {namespace}"],
            )
        ], []
    ready, not_ready = ready_endpoints(endpoints)
    if not ready:
        evidence = [msg("VQ003.no_ready_count", endpoints=f"{namespace}/{service_name}", not_ready=not_ready)]
        return [
            finding(
                "VQ003",
                msg("VQ003.no_ready", service=service_name, namespace=namespace),
                evidence,
                fix=[
                    f"kubectl get endpoints {service_name} -n {namespace} -o wide",
                    f"kubectl get pods -n {namespace} -o wide",
                ],
                object=service,
                advice=[msg("VQ003.why_not_ready")],
            )
        ], []
    pods = sorted({pod for _, _, pod in ready})
    return [], [msg("VQ003.ready", service=service_name, n=len(ready), pods=tuple(pods), not_ready=not_ready)]


def unreachable(targets: list[Target], results: Mapping[str, Connected]) -> list[tuple[Target, Connected]]:
    return [(t, results[t.key]) for t in targets if t.key in results and results[t.key].error_class]


def connect_findings(check_id: str, failed: list[tuple[Target, Connected]], vantage: str) -> list[Finding]:
    """NET005 / VQ003 live: one finding per unreachable pod IP."""
    found = []
    for target, result in failed:
        advice = [msg(f"{check_id}.open_pod_traffic")]
        if check_id == "VQ003":
            advice.append(msg("VQ003.why_only_vantiq"))
        diagnosis = msg(
            f"{check_id}.unreachable",
            target=target.label,
            vantage=vantage_text(vantage),
            error_class=result.error_class,
        )
        found.append(finding(check_id, diagnosis, [result.error], advice=advice))
    return found


def cross_node(
    targets: list[Target], results: Mapping[str, Connected], own_node: str | None, vantage: str
) -> tuple[list[Finding], list[str], int]:
    """NET005: every node's pod IP but the vantage's own node's answers TCP; (findings, facts, tried)."""
    others = [t for t in targets if t.key.startswith("node:") and t.key != f"node:{own_node}"]
    tried = [t for t in others if t.key in results]
    found = connect_findings("NET005", unreachable(tried, results), vantage)
    facts = [
        msg("NET005.connected", vantage=vantage_text(vantage), target=t.label)
        for t in tried
        if not results[t.key].error_class
    ]
    if own_node is None:
        facts.append(msg("NET005.own_node_unknown"))
    return found, facts, len(tried)
