"""NET003 and NET004: node and pod addresses, node clocks — judged from Nodes, Pods and kubelet Leases."""

from __future__ import annotations

import ipaddress
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vantiq_health.analysis.k8s import Obj, name, namespace, parse_time
from vantiq_health.findings import Finding, finding

# RFC 1918, RFC 6598 (carrier-grade NAT, used by some CNIs) and IPv6 unique-local: what Keycloak
# and the Vantiq services take for "inside". Loopback and link-local are not node or pod addresses.
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
)
LEASE_NAMESPACE = "kube-node-lease"
DATE_RESOLUTION = 1.0  # seconds: HTTP Date has whole seconds, the server's clock may be up to 1 s past it


def is_private(address: str) -> bool | None:
    """True/False, None when it is no IP address at all."""
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    return any(ip in net for net in PRIVATE_NETWORKS if net.version == ip.version)


def internal_ips(node: Obj) -> list[str]:
    addresses = (node.get("status") or {}).get("addresses") or []
    return [
        str(a.get("address", ""))
        for a in addresses
        if isinstance(a, dict) and a.get("type") == "InternalIP" and a.get("address")
    ]


def pod_ips(pod: Obj) -> list[str]:
    status = pod.get("status") or {}
    ips = [str(p.get("ip")) for p in status.get("podIPs") or [] if isinstance(p, dict) and p.get("ip")]
    return ips or ([str(status["podIP"])] if status.get("podIP") else [])


def public_addresses(nodes: list[Obj], pods: Iterable[Obj]) -> list[Finding]:
    """NET003: node InternalIPs and pod IPs outside the private ranges."""
    found = []
    public_nodes = [(name(n), ip) for n in nodes for ip in internal_ips(n) if is_private(ip) is False]
    if public_nodes:
        found.append(
            finding(
                "NET003",
                f"{len(public_nodes)} node address(es) are on public IP ranges: Keycloak refuses requests "
                "from them with `HTTPS required [invalid request]` (keycloak-init fails)",
                [f"node {node}: InternalIP {ip}" for node, ip in public_nodes],
                ["kubectl get nodes -o wide"],
            )
        )
    host_ips = {ip for n in nodes for ip in internal_ips(n)}
    public_pods = [
        (f"{namespace(p)}/{name(p)}", ip)
        for p in pods
        if not (p.get("spec") or {}).get("hostNetwork")
        for ip in pod_ips(p)
        if ip not in host_ips and is_private(ip) is False
    ]
    if public_pods:
        found.append(
            finding(
                "NET003",
                f"{len(public_pods)} pod address(es) are on public IP ranges (the pod network's CIDR)",
                [f"pod {pod}: IP {ip}" for pod, ip in public_pods[:20]]
                + ([f"... and {len(public_pods) - 20} more"] if len(public_pods) > 20 else []),
                ["kubectl get nodes -o custom-columns=NAME:.metadata.name,POD_CIDR:.spec.podCIDR"],
            )
        )
    return found


@dataclass(frozen=True)
class LeaseClock:
    node: str
    renewed: datetime
    interval: float  # seconds between renewals: leaseDurationSeconds / 4, as the kubelet does


def lease_clocks(leases: list[Obj]) -> tuple[list[LeaseClock], list[str]]:
    """Each node's last lease renewal (stamped with the node's own clock), and leases that say nothing."""
    clocks, unusable = [], []
    for lease in leases:
        spec = lease.get("spec") or {}
        renewed = parse_time(spec.get("renewTime"))
        duration = spec.get("leaseDurationSeconds")
        if renewed is None or not isinstance(duration, int | float) or isinstance(duration, bool):
            unusable.append(name(lease))
            continue
        holder = spec.get("holderIdentity")
        clocks.append(LeaseClock(str(holder or name(lease)), renewed, max(float(duration) / 4, 1.0)))
    return clocks, unusable


def clock_skew(
    clocks: list[LeaseClock], reference: datetime | None, threshold: float, node_names: set[str]
) -> tuple[list[Finding], list[str]]:
    """NET004: offsets beyond the renew interval plus the threshold.

    A kubelet stamps renewTime with its own clock every interval. A renewTime later than the API
    server's clock (HTTP Date) can only be a clock ahead. Earlier than it is ambiguous — a clock
    behind, or a kubelet that stopped renewing — so a node is called behind only against the
    other nodes (the median renewal), never because every lease is equally old. Offline there is
    no server clock: both directions are held against the median. Precision: the renew interval,
    and live the Date header's 1 s (an offset ahead is counted 1 s short, so it is at least that).
    """
    clocks = [c for c in clocks if not node_names or c.node in node_names]
    if not clocks:
        return [], []
    median = _median_time([c.renewed for c in clocks])
    against = (
        "the API server's clock (HTTP Date)"
        if reference
        else "the median of all nodes' lease renewals (offline)"
    )
    ahead_of = reference or median
    facts = [
        f"ahead: against {against}; behind: against the median of all nodes' renewals",
        _precision(clocks, reference),
    ]
    skewed = []
    for c in sorted(clocks, key=lambda c: c.node):
        ahead = (c.renewed - ahead_of).total_seconds()
        behind = (median - c.renewed).total_seconds() - c.interval
        facts.append(
            f"node {c.node}: lease renewed {ahead:+.1f} s from {'the server' if reference else 'the median'} "
            f"(interval {c.interval:g} s)"
        )
        certain = ahead - (DATE_RESOLUTION if reference else 0.0)  # the Date header truncates to the second
        if certain > threshold:
            skewed.append(
                f"node {c.node}: clock at least {certain:.1f} s ahead (renewTime {c.renewed.isoformat()})"
            )
        elif behind > threshold:
            skewed.append(
                f"node {c.node}: clock at least {behind:.1f} s behind the other nodes, or its kubelet stopped "
                f"renewing (renewTime {c.renewed.isoformat()})"
            )
    reference = ahead_of
    if not skewed:
        return [], facts
    return [
        finding(
            "NET004",
            f"{len(skewed)} node clock(s) disagree by more than {threshold:g} s beyond the lease renew interval: "
            "tokens between Vantiq and Keycloak are then rejected (`Invalid client secret`, `Code not valid`)",
            [*skewed, f"reference: {against}, {reference.isoformat()}", facts[1]],
            [
                "kubectl get leases -n kube-node-lease -o custom-columns=NODE:.spec.holderIdentity,RENEWED:.spec.renewTime",
                "kubectl get nodes -o wide",
            ],
        )
    ], facts


def _precision(clocks: list[LeaseClock], server_time: datetime | None) -> str:
    """How far the estimate can be trusted: the lease's renew interval, and the Date header's whole seconds."""
    interval = max(c.interval for c in clocks)
    lag = f"a lease is renewed every {interval:g} s, so its renewTime trails its node's clock by 0 to {interval:g} s"
    if server_time is not None:
        return (
            f"precision: {lag}; the API server's Date header has 1 s resolution (± 1 s); "
            f"so an offset is certain only beyond {interval:g} s + 1 s (a clock ahead is certain at once)"
        )
    return f"precision: {lag}; offline there is no server clock: nodes are compared with each other only"


def _median_time(times: list[datetime]) -> datetime:
    base = min(times)
    return base + timedelta(seconds=statistics.median((t - base).total_seconds() for t in times))
