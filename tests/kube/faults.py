"""Misbehaving API servers for FakeCluster: what a review threw at the suite's time and truth promises.

A fault is chosen by a regex on the request path and a mode:
  "stall"   status and headers, the start of a body, then nothing until the cluster stops;
  "drop"    headers announcing a long body, half of it, then the connection closes;
  "trickle" headers, then one byte of body every 0.2 s, never ending (each read gets data in time);
  "pages"   lists answer normally but always carry a fresh `continue` token (later pages empty);
  "html"    a web page instead of the API (a proxy or a console URL in the kubeconfig);
  "500", "429", "401" ...  that HTTP status with a Status body (429 says `Retry-After: 1`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import itertools
import re
import ssl
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import aiohttp.web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

MODES = ("stall", "drop", "trickle", "pages", "html")
_pages = itertools.count(1)


def fault_for(faults: Mapping[str, str], path: str) -> str | None:
    return next((mode for pattern, mode in faults.items() if re.search(pattern, path)), None)


async def respond(
    mode: str, raw: aiohttp.web.BaseRequest, routed: Callable[[], Any], stop: asyncio.Event
) -> aiohttp.web.StreamResponse:
    if mode.isdigit():
        return _status(int(mode))
    if mode == "html":
        page = "<!DOCTYPE html><html><head><title>Sign in</title></head><body>Console</body></html>"
        return aiohttp.web.Response(text=page, content_type="text/html")
    if mode == "pages":
        reply = routed()
        body = dict(reply.body)
        if "continue" in raw.query:
            body["items"] = []
        body["metadata"] = {**body.get("metadata", {}), "continue": f"page-{next(_pages)}"}
        return aiohttp.web.json_response(body, status=reply.status)
    if mode in ("stall", "drop", "trickle"):
        return await _partial(mode, raw, stop)
    raise ValueError(f"unknown fault mode {mode!r} (known: {', '.join(MODES)} or an HTTP status)")


def _status(code: int) -> aiohttp.web.Response:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": f"fault injected: HTTP {code}",
        "reason": "InternalError" if code >= 500 else "Fault",
        "code": code,
    }
    headers = {"Retry-After": "1"} if code == 429 else {}
    return aiohttp.web.json_response(body, status=code, headers=headers)


async def _partial(
    mode: str, raw: aiohttp.web.BaseRequest, stop: asyncio.Event
) -> aiohttp.web.StreamResponse:
    resp = aiohttp.web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
    if mode == "drop":
        resp.content_length = 100_000
    await resp.prepare(raw)
    await resp.write(b'{"kind": "List", "apiVersion": "v1", "metadata": {}, "items": [')
    if mode == "drop":
        if raw.transport is not None:
            raw.transport.close()
    elif mode == "trickle":
        with contextlib.suppress(ConnectionError):
            while not stop.is_set():
                await resp.write(b" ")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.2)
    else:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 120)
    return resp


def self_signed(folder: Path, host: str = "127.0.0.1") -> tuple[Path, Path, ssl.SSLContext]:
    """A certificate for `host` signed by itself: (cert PEM, key PEM, the server's TLS context)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-kube-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "apiserver.crt", folder / "apiserver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return cert_path, key_path, context
