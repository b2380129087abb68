"""A local port relayed to a pod's port through the API server (the official client's port-forward).

psycopg2, pymongo and urllib3 open their own TCP connections, so the forward is a
loopback listener: each connection accepted there gets its own port-forward stream
(one stream carries one connection, as with `kubectl port-forward`). Opened once per
target per session, closed at its end.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Any

from vantiq_health.i18n import msg
from vantiq_health.view.base import Unavailable

PERMISSION = "create pods/portforward"


def _open(api: Any, namespace: str, pod: str, port: int, timeout: float) -> Any:
    from kubernetes.client import CoreV1Api  # loads the typed API only for a forward
    from kubernetes.client.exceptions import ApiException
    from kubernetes.stream import portforward

    try:
        return portforward(
            CoreV1Api(api).connect_get_namespaced_pod_portforward,
            pod,
            namespace,
            ports=str(port),
            _request_timeout=timeout,
        )
    except ApiException as exc:
        text = f"{exc.status} {exc.reason}"
        if exc.status == 403 or "403" in text:
            raise Unavailable(
                msg("common.forward_forbidden", permission=PERMISSION, namespace=namespace, pod=pod)
            ) from None
        error = text.strip()
        raise Unavailable(
            msg("common.forward_failed", namespace=namespace, pod=pod, port=port, error=error)
        ) from None


class Forward:
    """127.0.0.1:`port` relayed to `pod`:`remote` in `namespace`."""

    def __init__(self, api: Any, namespace: str, pod: str, remote: int, timeout: float) -> None:
        from kubernetes.client import ApiClient

        # kubernetes.stream swaps the client's request method while it opens a stream: a client of
        # its own, one stream opened at a time, keeps the cluster view's requests plain HTTP.
        self.api = ApiClient(configuration=api.configuration)
        self.namespace, self.pod, self.remote, self.timeout = namespace, pod, remote, timeout
        self._opening = threading.Lock()
        self._stream().close()  # fails early on a missing permission
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = int(self._listener.getsockname()[1])
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, name=f"port-forward {pod}:{remote}", daemon=True).start()

    def _stream(self) -> Any:
        with self._opening:
            return _open(self.api, self.namespace, self.pod, self.remote, self.timeout)

    def describe(self) -> str:
        return f"port-forward 127.0.0.1:{self.port} → pod {self.namespace}/{self.pod}:{self.remote}"

    def _accept(self) -> None:
        while not self.closed:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
            threading.Thread(target=self._relay, args=(conn,), daemon=True).start()

    def _relay(self, conn: socket.socket) -> None:
        stream = None
        try:
            stream = self._stream()
            _pump(conn, stream.socket(self.remote))
        except Unavailable:
            pass  # the client sees its connection closed
        finally:
            with self._lock:
                self._open.discard(conn)
            conn.close()
            if stream is not None:
                stream.close()

    def close(self) -> None:
        self.closed = True
        self.api.close()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)


def _pump(local: socket.socket, remote: Any) -> None:
    """Copy both ways until either side closes."""
    remote.setblocking(True)
    pairs = {local.fileno(): (local, remote), remote.fileno(): (remote, local)}
    while True:
        readable, _, _ = select.select(list(pairs), [], [], 1.0)
        for fd in readable:
            src, dst = pairs[fd]
            try:
                data = src.recv(65536)
            except OSError:
                return
            if not data:
                return
            dst.sendall(data)
