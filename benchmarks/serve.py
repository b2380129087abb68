"""The scenario API server (tests/kube/server.py), made cheap enough to benchmark a client against.

The test server filters its whole object store on every list and renders
JSON on every reply: at 50,000 pods that is most of a run, paid by the suite
and the floor alike, which would hide the suite's own cost. Here lists come
from an index built once and every GET reply is rendered once, so both pay
(almost) only the transfer. Objects never change: the suite only reads.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp.web

from tests.kube.server import FakeCluster


class _Rendered:
    def __init__(self, status: int, body: bytes, content_type: str) -> None:
        self.status, self.body, self.content_type = status, body, content_type

    def render(self) -> aiohttp.web.Response:
        return aiohttp.web.Response(status=self.status, body=self.body, content_type=self.content_type)


def _rendered(reply: Any) -> _Rendered:
    if reply.text:
        return _Rendered(reply.status, str(reply.body).encode(), "text/plain")
    return _Rendered(reply.status, json.dumps(reply.body).encode(), "application/json")


def make_cheap(fake: FakeCluster) -> None:
    router = fake._router
    index: dict[tuple[Any, ...], list[tuple[str, str, Any]]] = defaultdict(list)
    for (res, ns, name), obj in router.objects.items():
        if not obj.deleted:
            index[(res.group, res.version, res.plural)].append((ns or "", name, obj.raw))
    for found in index.values():
        found.sort(key=lambda item: item[:2])

    def items(res: Any, namespace: str | None) -> list[Any]:
        found = index.get((res.group, res.version, res.plural), [])
        return [raw for ns, _, raw in found if namespace is None or ns == namespace]

    router._items = items  # type: ignore[method-assign]
    router.route = _cached(router.route)  # type: ignore[method-assign]


def _cached(route: Callable[..., Any]) -> Callable[..., Any]:
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], _Rendered | None] = {}

    def cached(method: str, path: str, query: Mapping[str, str], body: bytes) -> Any:
        if method != "GET":
            return route(method, path, query, body)
        key = (path, tuple(sorted(query.items())))
        if key not in cache:
            reply = route(method, path, query, body)
            cache[key] = None if reply is None else _rendered(reply)
        return cache[key]

    return cached
