"""A real TLS server on loopback that serves a different certificate per SNI host, like an ingress controller.

Each host name maps to (tls.crt, tls.key) PEM bytes; a name not in the map gets
the default pair (ingress-nginx's "Fake Certificate" when the Secret did not load).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

Pair = tuple[bytes, bytes]


class SniServer:
    def __init__(self, directory: Path, default: Pair, by_host: dict[str, Pair]) -> None:
        self.directory = directory
        self.default = self._context("default", default)
        self.contexts = {host: self._context(host, pair) for host, pair in by_host.items()}
        self.default.sni_callback = self._pick
        self.asked: list[str | None] = []  # the SNI names clients sent, in order
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = int(self._sock.getsockname()[1])
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="sni-server", daemon=True)

    def _context(self, label: str, pair: Pair) -> ssl.SSLContext:
        crt, key = self.directory / f"{label}.crt", self.directory / f"{label}.key"
        crt.write_bytes(pair[0])
        key.write_bytes(pair[1])
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(crt, key)
        return context

    def _pick(self, conn: ssl.SSLObject, server_name: str | None, _: ssl.SSLContext) -> None:
        self.asked.append(server_name)
        if server_name in self.contexts:
            conn.context = self.contexts[server_name]

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                raw, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError), raw:
                raw.settimeout(2)
                with self.default.wrap_socket(raw, server_side=True):
                    pass  # the handshake is all a client gets

    def __enter__(self) -> SniServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sock.close()
        self._thread.join(5)


@contextlib.contextmanager
def sni_server(directory: Path, default: Pair, by_host: dict[str, Pair]) -> Iterator[SniServer]:
    directory.mkdir(parents=True, exist_ok=True)
    with SniServer(directory, default, by_host) as server:
        yield server


@contextlib.contextmanager
def plain_server() -> Iterator[int]:
    """A TCP server that answers every connection with an HTTP line and closes: no TLS there."""
    sock = socket.create_server(("127.0.0.1", 0))
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with contextlib.suppress(OSError), conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, name="plain-server", daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        stop.set()
        sock.close()
        thread.join(5)
