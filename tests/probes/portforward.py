"""The fake cluster plus the port-forward channel protocol (v4.channel.k8s.io) to real local servers.

Each websocket carries one TCP connection to one pod port, as the API server's: the first
frame on the data (0) and error (1) channels is the port number (2 bytes, little endian),
then data frames are `channel byte + payload` both ways.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Mapping
from typing import Any

import aiohttp
import aiohttp.web

from tests.kube.server import FakeCluster

PROTOCOL = "v4.channel.k8s.io"


class ForwardingCluster(FakeCluster):
    def __init__(
        self,
        objects: Iterable[dict[str, Any]],
        targets: Mapping[tuple[str, str], tuple[str, int]],
        *,
        allow_portforward: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(objects, **kwargs)
        self.targets, self.allow = dict(targets), allow_portforward
        self.streams_opened = self.streams_closed = 0

    async def _handle(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        if not raw.path.endswith("/portforward"):
            return await super()._handle(raw)
        parts = raw.path.strip("/").split("/")  # api v1 namespaces NS pods POD portforward
        ns, pod = parts[3], parts[5]
        if not self.allow:
            body = (
                '{"kind":"Status","apiVersion":"v1","status":"Failure","reason":"Forbidden","code":403,'
                f'"message":"pods \\\\"{pod}\\\\" is forbidden: cannot create resource \\\\"pods/portforward\\\\""}}'
            )
            return aiohttp.web.Response(status=403, text=body, content_type="application/json")
        return await self._forward(raw, self.targets[(ns, pod)], int(raw.query["ports"]))

    async def _forward(
        self, raw: aiohttp.web.BaseRequest, target: tuple[str, int], port: int
    ) -> aiohttp.web.StreamResponse:
        ws = aiohttp.web.WebSocketResponse(protocols=(PROTOCOL,))
        await ws.prepare(raw)  # type: ignore[arg-type]
        self.streams_opened += 1
        for channel in (0, 1):
            await ws.send_bytes(bytes([channel]) + port.to_bytes(2, "little"))
        reader, writer = await asyncio.open_connection(*target)

        async def to_client() -> None:
            while data := await reader.read(65536):
                await ws.send_bytes(b"\x00" + data)
            await ws.close()

        pump = asyncio.create_task(to_client())
        try:
            async for msg in ws:
                if msg.type == aiohttp.WSMsgType.BINARY and msg.data[:1] == b"\x00":
                    writer.write(msg.data[1:])
                    await writer.drain()
        finally:
            pump.cancel()
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self.streams_closed += 1
        return ws
