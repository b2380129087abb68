"""One GET through the official client's own transport, bounded by one deadline.

The client's typed API classes load hundreds of model modules on first use (about
0.5 s per process here) although the view reads raw JSON: a URL built from a Kind's
fields and `ApiClient.call_api` need none of them. The client's auth (tokens, exec
plugins, client certificates, CA) still applies: `param_serialize` adds the token,
the client's pool manager carries the TLS settings.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import urllib3
from kubernetes.client import ApiClient
from kubernetes.client.exceptions import ApiException

CHUNK = 1 << 16


class Failure(Exception):
    """No complete answer. `kind`: connect, timeout, dropped, tls or too_big."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes

    def message(self) -> str:
        """`HTTP 500 Internal Server Error: <the Status message>`, one line."""
        text = f"HTTP {self.status} {self.reason}".rstrip()
        try:
            doc: Any = json.loads(self.body or b"{}")
            detail = doc.get("message", "") if isinstance(doc, dict) else ""
        except ValueError:
            detail = ""
        detail = " ".join(str(detail).split())[:300]
        return text + (f": {detail}" if detail else "")


class Transport:
    """Raw requests through the official client (no typed models), one deadline covering connect,
    headers and body: the view's GETs, access reviews, and the probe pods' create/delete."""

    def __init__(self, api: ApiClient, connect_timeout: float, read_timeout: float) -> None:
        self.api = api
        self.read_timeout = read_timeout
        self.timeout = (min(connect_timeout, read_timeout), read_timeout)

    @property
    def host(self) -> str:
        return urlparse(str(self.api.configuration.host)).hostname or str(self.api.configuration.host)

    def get(
        self,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        *,
        accept: str = "application/json",
        max_bytes: int = 1 << 31,
    ) -> Reply:
        return self._send("GET", path, query, {"Accept": accept}, None, max_bytes)

    def post(self, path: str, body: dict[str, Any], *, max_bytes: int = 1 << 20) -> Reply:
        """One POST of a JSON body: only SubjectAccessReviews, which the API server answers and stores not."""
        headers = {"Accept": "application/json", "Content-Type": "application/json"}
        return self._send("POST", path, None, headers, body, max_bytes)

    def request(
        self,
        verb: str,
        path: str,
        query: list[tuple[str, Any]] | None = None,
        body: dict[str, Any] | None = None,
        *,
        max_bytes: int = 1 << 24,
    ) -> Reply:
        """Any verb, a JSON body when given (probe pods: POST and DELETE of the run's own pods)."""
        headers = {"Accept": "application/json, */*"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        return self._send(verb, path, query, headers, body, max_bytes)

    def _send(
        self,
        verb: str,
        path: str,
        query: list[tuple[str, Any]] | None,
        header_params: dict[str, str],
        payload: dict[str, Any] | None,
        max_bytes: int,
    ) -> Reply:
        deadline = time.monotonic() + self.read_timeout
        method, url, headers, data, _ = self.api.param_serialize(
            verb,
            path,
            query_params=query or [],
            header_params=header_params,
            body=payload,
            auth_settings=["BearerToken"],
        )
        try:
            resp = self.api.call_api(
                method, url, header_params=headers, body=data, _request_timeout=self.timeout
            ).response
        except (ApiException, urllib3.exceptions.HTTPError, OSError) as exc:
            raise self.failure(exc) from None
        try:
            body = _read(resp, deadline, max_bytes, self.read_timeout)
        except BaseException as exc:
            resp.close()  # a half-read connection must not go back to the pool
            if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)):
                raise self.failure(exc, mid_body=True) from None
            raise
        finally:
            resp.release_conn()
        return Reply(resp.status, resp.reason or "", resp.headers, body)

    def failure(self, exc: BaseException, *, mid_body: bool = False) -> Failure:
        if isinstance(exc, urllib3.exceptions.MaxRetryError) and exc.reason is not None:
            exc = exc.reason
        if isinstance(exc, ApiException) and exc.status == 0:  # the client's wrapping of an SSLError
            return Failure("tls", self._tls_reason(str(exc.reason or "")))
        if isinstance(exc, urllib3.exceptions.SSLError):
            return Failure("tls", self._tls_reason(str(exc)))
        if isinstance(exc, urllib3.exceptions.ConnectTimeoutError):
            return Failure("timeout", f"timed out: no connection within {self.timeout[0]:g} s")
        if isinstance(exc, (urllib3.exceptions.ReadTimeoutError, TimeoutError)):
            return Failure("timeout", f"timed out: no complete answer within {self.read_timeout:g} s")
        if isinstance(exc, urllib3.exceptions.ProtocolError) or mid_body:
            where = "mid-body" if mid_body else "before answering"
            return Failure("dropped", f"connection dropped {where}: {_one_line(exc)}")
        return Failure("connect", _one_line(exc))

    def _tls_reason(self, text: str) -> str:
        m = re.search(r"certificate verify failed: ([^(\n]*?)\s*(?:\(_ssl\.c|$|\n)", text)
        if m:
            return (
                f"the certificate of host {self.host} did not verify (certificate verify failed: "
                f"{m[1].rstrip('.')}); give the cluster's CA in the kubeconfig "
                "(certificate-authority / certificate-authority-data)"
            )
        return f"TLS with host {self.host} failed: {_one_line(text)}"


def _read(resp: urllib3.BaseHTTPResponse, deadline: float, max_bytes: int, timeout: float) -> bytes:
    """The body in chunks; each wait for data ends at the deadline, not a fresh timeout later."""
    chunks: list[bytes] = []
    size = 0
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"timed out: no complete answer within {timeout:g} s")
        sock = getattr(resp.connection, "sock", None)
        if sock is not None:
            sock.settimeout(left)
        chunk = resp.read1(CHUNK)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > max_bytes:
            raise Failure("too_big", f"the answer is larger than {max_bytes:,} bytes")
        chunks.append(chunk)


def _one_line(exc: BaseException | str) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    # urllib3 prefixes the connection object's repr; the part after it is the reason
    return text.split(">: ", 1)[-1] if ">: " in text else text
