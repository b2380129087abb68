"""NET001 (predictive): how large the cluster DNS answer for the MongoDB headless service is on the wire.

The MongoDB `bootstrap` peer finder looks the headless service up over UDP
without EDNS, so answers above 512 bytes come back truncated and the resolver
must retry over TCP. The answer is built with dnspython as the cluster DNS
gives it: one SRV record per endpoint and port, the A record of each target
in the additional section. Whether a server compresses owner names decides
which of the two sizes applies, which is why only a live query gives a verdict.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.message
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.IN.A import A
from dns.rdtypes.IN.SRV import SRV

UDP_LIMIT = 512  # bytes, a DNS message over UDP without EDNS (RFC 1035 4.2.1)
TTL = 30


@dataclass(frozen=True)
class AnswerSize:
    compressed: int
    uncompressed: int

    def over(self, limit: int = UDP_LIMIT) -> tuple[bool, bool]:
        return self.compressed > limit, self.uncompressed > limit


def _response(
    service: str, namespace: str, domain: str, pods: list[str], ports: list[int]
) -> dns.message.Message:
    qname = dns.name.from_text(f"{service}.{namespace}.svc.{domain}.")
    query = dns.message.make_query(qname, dns.rdatatype.SRV, use_edns=False)
    response = dns.message.make_response(query)
    weight = 100 // max(len(pods) * len(ports), 1)
    srv = dns.rrset.RRset(qname, dns.rdataclass.IN, dns.rdatatype.SRV)
    extra = []
    for i, pod in enumerate(pods):
        target = dns.name.from_text(f"{pod}.{service}.{namespace}.svc.{domain}.")
        for port in ports:
            srv.add(SRV(dns.rdataclass.IN, dns.rdatatype.SRV, 0, weight, port, target), TTL)
        a = dns.rrset.RRset(target, dns.rdataclass.IN, dns.rdatatype.A)
        a.add(A(dns.rdataclass.IN, dns.rdatatype.A, str(ipaddress.IPv4Address(0x0AF40000 + i + 1))), TTL)
        extra.append(a)
    response.answer.append(srv)
    response.additional.extend(extra)
    return response


def _uncompressed(msg: dns.message.Message) -> int:
    size = 12 + len(msg.question[0].name.to_wire() or b"") + 4
    for rrset in msg.answer + msg.additional:
        for rdata in rrset:
            size += len(rrset.name.to_wire() or b"") + 10 + len(rdata.to_wire() or b"")
    return size


def answer_size(
    service: str,
    namespace: str,
    statefulset: str,
    replicas: int,
    ports: list[int],
    domain: str = "cluster.local",
) -> AnswerSize:
    """Wire size of the SRV answer for `service` in `namespace` with the StatefulSet's pods as endpoints."""
    pods = [f"{statefulset}-{i}" for i in range(replicas)]
    msg = _response(service, namespace, domain, pods, ports or [27017])
    return AnswerSize(len(msg.to_wire()), _uncompressed(msg))


def crossing_length(
    service: str,
    namespace: str,
    statefulset: str,
    replicas: int,
    ports: list[int],
    domain: str = "cluster.local",
) -> tuple[int | None, int | None]:
    """The shortest namespace length (1..63) whose answer exceeds 512 bytes: (compressed, uncompressed).

    A service named after its namespace (`vantiq-<ns>-mongodb`) grows with it.
    """
    compressed = uncompressed = None
    for length in range(1, 64):
        other = "n" * length
        named = service.replace(namespace, other) if namespace and namespace in service else service
        try:
            size = answer_size(named, other, statefulset, replicas, ports, domain)
        except (dns.name.LabelTooLong, dns.name.NameTooLong):
            break  # the names are no longer valid DNS names
        if compressed is None and size.compressed > UDP_LIMIT:
            compressed = length
        if uncompressed is None and size.uncompressed > UDP_LIMIT:
            uncompressed = length
    return compressed, uncompressed


def prediction_facts(
    service: str,
    namespace: str,
    statefulset: str,
    replicas: int,
    ports: list[int],
    domain: str = "cluster.local",
) -> list[str]:
    """NET001's predictive facts: the answer's size here, and the namespace length where it crosses 512 bytes."""
    size = answer_size(service, namespace, statefulset, replicas, ports, domain)
    at_compressed, at_plain = crossing_length(service, namespace, statefulset, replicas, ports, domain)
    qname = f"{service}.{namespace}.svc.{domain}"
    facts = [
        f"SRV {qname}: {replicas} endpoint(s) x {len(ports or [27017])} port(s) = "
        f"{size.compressed} bytes with name compression, {size.uncompressed} without (UDP limit {UDP_LIMIT}, no EDNS)",
        f"namespace length here {len(namespace)}; the answer exceeds {UDP_LIMIT} bytes from length "
        f"{at_compressed or 'over 63'} with compression, {at_plain or 'over 63'} without",
    ]
    over_c, over_u = size.over()
    if over_c or over_u:
        which = "always" if over_c else "when the cluster DNS does not compress names"
        facts.append(
            f"the answer is truncated over UDP {which}: the bootstrap peer finder then needs TCP to the cluster DNS "
            "(port 53/TCP) — allow it, or shorten the namespace"
        )
    return facts
