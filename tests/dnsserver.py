"""A real DNS server on loopback for NET001: the headless-service SRV answer, truncated over UDP.

UDP on 127.0.0.1:PORT answers like a cluster DNS (one SRV record per endpoint,
the A records in the additional section, names compressed); an answer larger
than 512 bytes goes out as a header-and-question reply with TC set. TCP on
the same port number, per `tcp`:
- "answer": length-prefixed full answers (RFC 1035 4.2.2);
- "refused": nothing listens: the kernel answers the SYN with RST;
- "dropped": a socket listens and never accepts: the handshake completes in
  the kernel, the query is never read, the client times out.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from dnslib import QTYPE, RCODE, RR, SRV, A, DNSRecord

UDP_LIMIT = 512


@dataclass
class DnsServer:
    qname: str  # the name answered, e.g. "mongodb.prod.svc.cluster.local."
    endpoints: int
    tcp: str
    port: int = 0
    queries: list[tuple[str, str, bool]] = field(default_factory=list)  # (udp|tcp, name, EDNS present)

    def answer(self, data: bytes, transport: str) -> bytes:
        request = DNSRecord.parse(data)
        name = str(request.q.qname)
        self.queries.append((transport, name, any(rr.rtype == QTYPE.OPT for rr in request.ar)))
        reply = request.reply()
        if request.q.qtype == QTYPE.SRV and name.lower() == self.qname.lower():
            service = self.qname.split(".", 1)
            for i in range(self.endpoints):
                target = f"mongodb-{i}.{service[0]}.{service[1]}"
                reply.add_answer(
                    RR(name, QTYPE.SRV, ttl=30, rdata=SRV(0, 100 // self.endpoints, 27017, target))
                )
                reply.add_ar(RR(target, QTYPE.A, ttl=30, rdata=A(f"10.244.{i % 3}.{20 + i}")))
        else:
            reply.header.rcode = RCODE.NXDOMAIN
        wire = reply.pack()
        if transport == "udp" and len(wire) > UDP_LIMIT:
            truncated = request.reply()
            truncated.header.tc = 1
            wire = truncated.pack()
        return bytes(wire)


def _serve_udp(server: DnsServer, sock: socket.socket, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(4096)
        except TimeoutError:
            continue
        except OSError:
            return
        sock.sendto(server.answer(data, "udp"), peer)


def _serve_tcp(server: DnsServer, listener: socket.socket, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            conn, _ = listener.accept()
        except TimeoutError:
            continue
        except OSError:
            return
        with conn:
            conn.settimeout(5)
            length = struct.unpack("!H", conn.recv(2))[0]
            data = b""
            while len(data) < length:
                data += conn.recv(length - len(data))
            wire = server.answer(data, "tcp")
            conn.sendall(struct.pack("!H", len(wire)) + wire)


@contextlib.contextmanager
def dns_server(qname: str, endpoints: int, tcp: str) -> Iterator[DnsServer]:
    """UDP and (per `tcp`) TCP on the same loopback port number."""
    if tcp not in ("answer", "refused", "dropped"):
        raise ValueError(tcp)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    udp.settimeout(0.2)
    server, stop = DnsServer(qname, endpoints, tcp, port), threading.Event()
    threads = [threading.Thread(target=_serve_udp, args=(server, udp, stop), daemon=True)]
    if tcp == "refused":
        listener.close()  # nothing listens on the TCP port: connect gets RST
    else:
        listener.listen(8)
        listener.settimeout(0.2)
        if tcp == "answer":
            threads.append(threading.Thread(target=_serve_tcp, args=(server, listener, stop), daemon=True))
    for t in threads:
        t.start()
    try:
        yield server
    finally:
        stop.set()
        for t in threads:
            t.join(2)
        udp.close()
        listener.close()


@pytest.fixture(params=["answer", "refused", "dropped"])
def tcp_mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)
