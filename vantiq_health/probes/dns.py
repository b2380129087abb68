"""NET001 live: the MongoDB headless-service lookup as the bootstrap peer finder sends it, then over TCP.

The peer finder asks for the SRV records of the headless service over UDP
without EDNS, so an answer above 512 bytes comes back truncated (TC bit) and
the resolver must repeat the query over TCP. Three TCP outcomes mean three
different things: answered (fine), refused (a firewall or the DNS rejects TCP
outright: "TCP blocked") and no answer at all (a firewall drops it: "TCP
silently dropped"). Bounded by the probe timeout at every step.
"""

from __future__ import annotations

import time

import dns.exception
import dns.flags
import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

from vantiq_health.i18n import msg
from vantiq_health.probes.result import ERROR, REFUSED, TIMEOUT, UNREACHABLE, ProbeResult

# data["tcp"] values
TCP_ANSWERED, TCP_REFUSED, TCP_DROPPED = "answered", "refused", "dropped"
RESOLV_CONF = "/etc/resolv.conf"


def headless_qname(service: str, namespace: str, domain: str = "cluster.local") -> str:
    return f"{service}.{namespace}.svc.{domain}."


def resolv_conf(text: str) -> tuple[list[str], list[str]]:
    """The nameservers and the search path of a resolv.conf."""
    servers: list[str] = []
    search: list[str] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) >= 2 and words[0] == "nameserver":
            servers.append(words[1])
        elif words and words[0] in ("search", "domain"):
            search = words[1:]
    return servers, search


def local_resolver(path: str = RESOLV_CONF) -> tuple[str, int] | None:
    """This pod's cluster DNS: the first nameserver of its resolv.conf."""
    try:
        with open(path, encoding="utf-8") as f:
            servers, _ = resolv_conf(f.read())
    except OSError:
        return None
    return (servers[0], 53) if servers else None


def _query(qname: str) -> dns.message.Message:
    return dns.message.make_query(qname, dns.rdatatype.SRV, use_edns=False)


def _udp(result: ProbeResult, qname: str, host: str, port: int, timeout: float) -> dns.message.Message | None:
    try:
        answer = dns.query.udp(_query(qname), host, port=port, timeout=timeout, ignore_unexpected=True)
    except dns.exception.Timeout:
        result.error_class = TIMEOUT
        result.error = msg("NET001.udp_timeout", target=f"{host}:{port}", timeout=timeout)
        result.data["udp"] = "timeout"
        return None
    except (OSError, dns.exception.DNSException) as exc:
        result.error_class = UNREACHABLE
        result.error = msg("NET001.udp_error", target=f"{host}:{port}", error=str(exc))
        result.data["udp"] = "error"
        return None
    result.reached.append("resolve")
    truncated = bool(answer.flags & dns.flags.TC)
    result.data.update(
        udp="answered",
        truncated=truncated,
        rcode=dns.rcode.to_text(answer.rcode()),
        udp_records=sum(len(r) for r in answer.answer),
    )
    return answer


def _tcp(result: ProbeResult, qname: str, host: str, port: int, timeout: float) -> None:
    started = time.monotonic()
    try:
        answer = dns.query.tcp(_query(qname), host, port=port, timeout=timeout)
    except ConnectionRefusedError:
        result.data["tcp"] = TCP_REFUSED
        result.error_class = REFUSED
        result.error = msg("NET001.tcp_refused", target=f"{host}:{port}")
        return
    except (dns.exception.Timeout, TimeoutError, EOFError, ConnectionResetError) as exc:
        waited = time.monotonic() - started
        result.data["tcp"] = TCP_DROPPED
        result.error_class = TIMEOUT
        closed = isinstance(exc, EOFError | ConnectionResetError)
        key = "NET001.tcp_closed" if closed else "NET001.tcp_no_answer"
        result.error = msg(key, target=f"{host}:{port}", waited=round(waited, 1))
        return
    except (OSError, dns.exception.DNSException) as exc:
        result.data["tcp"] = "error"
        result.error_class = ERROR
        result.error = msg("NET001.tcp_error", target=f"{host}:{port}", error=str(exc))
        return
    result.reached.append("tcp")
    result.data.update(tcp=TCP_ANSWERED, tcp_records=sum(len(r) for r in answer.answer))
    result.data["tcp_rcode"] = dns.rcode.to_text(answer.rcode())


def probe(qname: str, host: str, port: int, timeout: float, vantage: str) -> ProbeResult:
    """The SRV query over UDP without EDNS; when truncated, the same over TCP."""
    result = ProbeResult("dns", f"{host}:{port}", vantage, data={"qname": qname})
    started = time.monotonic()
    try:
        answer = _udp(result, qname, host, port, timeout)
        if answer is not None and answer.flags & dns.flags.TC:
            _tcp(result, qname, host, port, timeout)
    finally:
        result.latency_ms = (time.monotonic() - started) * 1000
    return result
