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

from vantiq_health.i18n import msg

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


def _uncompressed(message: dns.message.Message) -> int:
    size = 12 + len(message.question[0].name.to_wire() or b"") + 4
    for rrset in message.answer + message.additional:
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
    message = _response(service, namespace, domain, pods, ports or [27017])
    return AnswerSize(len(message.to_wire()), _uncompressed(message))


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
    over_63 = msg("NET001.over_63")
    facts = [
        msg(
            "NET001.srv_size",
            qname=qname,
            replicas=replicas,
            ports=len(ports or [27017]),
            compressed=size.compressed,
            uncompressed=size.uncompressed,
            limit=UDP_LIMIT,
        ),
        msg(
            "NET001.ns_length",
            length=len(namespace),
            limit=UDP_LIMIT,
            at_compressed=at_compressed or over_63,
            at_plain=at_plain or over_63,
        ),
    ]
    over_c, over_u = size.over()
    if over_c or over_u:
        key = "NET001.truncated_always" if over_c else "NET001.truncated_uncompressed"
        facts.append(msg(key))
    return facts
