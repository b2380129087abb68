"""NET003 and NET004: node and pod addresses, node clocks — judged from Nodes, Pods and kubelet Leases."""

from __future__ import annotations

import ipaddress
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from vantiq_health.analysis.k8s import Obj, name, namespace, parse_time
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg

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
                msg("NET003.public_nodes", n=len(public_nodes)),
                [msg("NET003.node_ip", node=node, ip=ip) for node, ip in public_nodes],
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
                msg("NET003.public_pods", n=len(public_pods)),
                [msg("NET003.pod_ip", pod=pod, ip=ip) for pod, ip in public_pods[:20]]
                + ([msg("NET003.and_more", n=len(public_pods) - 20)] if len(public_pods) > 20 else []),
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
    against = msg("NET004.against_server" if reference else "NET004.against_median")
    ahead_of = reference or median
    facts = [msg("NET004.compared", against=against), _precision(clocks, reference)]
    skewed = []
    for c in sorted(clocks, key=lambda c: c.node):
        ahead = (c.renewed - ahead_of).total_seconds()
        behind = (median - c.renewed).total_seconds() - c.interval
        key = "NET004.renewed_from_server" if reference else "NET004.renewed_from_median"
        facts.append(msg(key, node=c.node, offset=ahead, interval=c.interval))
        certain = ahead - (DATE_RESOLUTION if reference else 0.0)  # the Date header truncates to the second
        if certain > threshold:
            skewed.append(msg("NET004.ahead", node=c.node, by=certain, at=c.renewed.isoformat()))
        elif behind > threshold:
            skewed.append(msg("NET004.behind", node=c.node, by=behind, at=c.renewed.isoformat()))
    reference = ahead_of
    if not skewed:
        return [], facts
    return [
        finding(
            "NET004",
            msg("NET004.skewed", n=len(skewed), threshold=threshold),
            [*skewed, msg("NET004.reference", against=against, at=reference.isoformat()), facts[1]],
            [
                "kubectl get leases -n kube-node-lease -o custom-columns=NODE:.spec.holderIdentity,RENEWED:.spec.renewTime",
                "kubectl get nodes -o wide",
            ],
        )
    ], facts


def _precision(clocks: list[LeaseClock], server_time: datetime | None) -> str:
    """How far the estimate can be trusted: the lease's renew interval, and the Date header's whole seconds."""
    interval = max(c.interval for c in clocks)
    key = "NET004.precision_live" if server_time is not None else "NET004.precision_offline"
    return msg(key, interval=interval)


def _median_time(times: list[datetime]) -> datetime:
    base = min(times)
    return base + timedelta(seconds=statistics.median((t - base).total_seconds() for t in times))
