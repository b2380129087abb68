"""A sync, thread-backed fake Kubernetes API server for scenario tests.

The official client reaches it over real HTTP through `write_kubeconfig()`.
Reads, discovery, pod logs, RBAC denials and access reviews are answered
here; writes and watches fall through to kmock's `KubernetesEmulator`, whose
object store holds the seeded objects (so a write shows up in later reads).
kmock quirks worked around: /work/shared/testing-notes.md, "Kubernetes API: kmock".
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import copy
import functools
import json
import re
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote_plus

import aiohttp.web
import kmock
import yaml

from tests.kube import faults as _faults

FORBIDDEN_USER = "system:serviceaccount:x:y"
_ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_REVIEWS = {"subjectaccessreviews", "selfsubjectaccessreviews", "localsubjectaccessreviews"}
# kmock's bundled discovery comes from a recent K3s: drop its add-ons so the API looks vanilla.
_ADDON_GROUPS = {"gateway.networking.k8s.io", "metrics.k8s.io"}
# Group-versions (or resources) that come and go across releases: [first minor served, first minor gone).
_SERVED_MINORS: dict[str, tuple[int, int]] = {
    "batch/v1beta1": (0, 25),
    "policy/v1beta1": (0, 25),
    "policy/v1": (21, 999),
    "autoscaling/v2": (23, 999),
    "autoscaling/v2beta2": (12, 26),
    "discovery.k8s.io/v1": (21, 999),
    "flowcontrol.apiserver.k8s.io/v1beta2": (23, 29),
    "flowcontrol.apiserver.k8s.io/v1beta3": (26, 32),
    "flowcontrol.apiserver.k8s.io/v1": (29, 999),
    "networking.k8s.io/v1/servicecidrs": (33, 999),
    "networking.k8s.io/v1/ipaddresses": (33, 999),
}
_FLOWCONTROL = (
    ("flowschemas", "FlowSchema", False),
    ("prioritylevelconfigurations", "PriorityLevelConfiguration", False),
)
# Removed group-versions are absent from kmock's bundled discovery: (plural, kind, namespaced).
_LEGACY: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "batch/v1beta1": (("cronjobs", "CronJob", True),),
    "policy/v1beta1": (
        ("poddisruptionbudgets", "PodDisruptionBudget", True),
        ("podsecuritypolicies", "PodSecurityPolicy", False),
    ),
    "autoscaling/v2beta2": (("horizontalpodautoscalers", "HorizontalPodAutoscaler", True),),
    "flowcontrol.apiserver.k8s.io/v1beta2": _FLOWCONTROL,
    "flowcontrol.apiserver.k8s.io/v1beta3": _FLOWCONTROL,
}


@dataclass(frozen=True)
class _Res:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool
    verbs: tuple[str, ...] = _ALL_VERBS
    singular: str = ""
    short_names: tuple[str, ...] = ()
    subresources: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def discovery(self) -> list[dict[str, Any]]:
        main = {
            "name": self.plural,
            "singularName": self.singular or self.kind.lower(),
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": list(self.verbs),
        }
        subs = [
            {
                "name": f"{self.plural}/{sub}",
                "singularName": "",
                "namespaced": self.namespaced,
                "kind": self.kind,
                "verbs": ["get"] if sub == "log" else ["get", "patch", "update"],
            }
            for sub in self.subresources
        ]
        return [main | ({"shortNames": list(self.short_names)} if self.short_names else {}), *subs]


@dataclass(frozen=True)
class _Target:
    group: str
    version: str
    plural: str | None
    namespace: str | None
    name: str | None
    sub: str | None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: Any
    text: bool = False

    def render(self) -> aiohttp.web.Response:
        if self.text:
            return aiohttp.web.Response(status=self.status, text=self.body, content_type="text/plain")
        return aiohttp.web.json_response(self.body, status=self.status)


@functools.cache
def _known_resources() -> tuple[_Res, ...]:
    bundled = kmock.ResourcesArray()
    with warnings.catch_warnings():  # kmock 0.8 reads its data file with a deprecated importlib call
        warnings.simplefilter("ignore", DeprecationWarning)
        bundled.load_bundled()
    found = [
        _Res(
            r.group or "",
            r.version or "",
            r.plural or "",
            info.kind or "",
            bool(info.namespaced),
            tuple(sorted(info.verbs)),
            info.singular or "",
            tuple(sorted(info.shortnames)),
            tuple(sorted(info.subresources)),
        )
        for r in bundled
        for info in [bundled[r]]
    ]
    for group_version, resources in _LEGACY.items():
        group, _, version = group_version.rpartition("/")
        found += [_Res(group, version, plural, kind, namespaced) for plural, kind, namespaced in resources]
    return tuple(found)


def _served_in(minor: int, *names: str) -> bool:
    return all(lo <= minor < hi for lo, hi in (_SERVED_MINORS.get(n, (0, 999)) for n in names))


def _status(code: int, reason: str, message: str, details: dict[str, str] | None = None) -> _Reply:
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }
    return _Reply(code, body)


def _not_found(res: _Res | None, name: str | None) -> _Reply:
    if res is None or name is None:
        return _status(404, "NotFound", "the server could not find the requested resource")
    details = {"name": name, "kind": res.plural} | ({"group": res.group} if res.group else {})
    return _status(404, "NotFound", f'{res.plural} "{name}" not found', details)


def _parse_target(parts: list[str]) -> _Target | None:
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    namespace = None
    # /api/v1/namespaces/NAME[/status] is the namespace itself, not something inside it.
    if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    plural, name, sub = ([*rest, None, None, None])[:3]
    return _Target(group, version, plural, namespace, name, "/".join(rest[2:]) or sub)


def _verb(method: str, target: _Target, query: Mapping[str, str]) -> str:
    if method == "GET":
        return "watch" if query.get("watch") in ("true", "1") else "get" if target.name else "list"
    if method == "DELETE":
        return "delete" if target.name else "deletecollection"
    return {"POST": "create", "PUT": "update"}.get(method, method.lower())


_COMMA_OUTSIDE_PARENS = re.compile(r",(?![^()]*\))")
_SET_REQ = re.compile(r"([^\s!=(),]+)\s+(in|notin)\s+\(([^)]*)\)")
_EQ_REQ = re.compile(r"([^\s!=(),]+)\s*(==|!=|=)\s*([^\s!=(),]*)")
_HAS_REQ = re.compile(r"(!?)([^\s!=(),]+)")
_FIELD_REQ = re.compile(r"([\w.-]+)\s*(==|!=|=)\s*(.*)")
Labels = Mapping[str, str]


def _requirement(text: str) -> Callable[[Labels], bool]:
    if m := _SET_REQ.fullmatch(text):
        key, negate, values = m[1], m[2] == "notin", {v.strip() for v in m[3].split(",")}
        return lambda labels: (labels.get(key) in values) != negate
    if m := _EQ_REQ.fullmatch(text):
        key, negate, value = m[1], m[2] == "!=", m[3]
        return lambda labels: (labels.get(key) == value) != negate
    if m := _HAS_REQ.fullmatch(text):
        negate, key = m[1] == "!", m[2]
        return lambda labels: (key in labels) != negate
    raise ValueError(f"unable to parse requirement: {text!r}")


def _label_matcher(selector: str) -> Callable[[Labels], bool]:
    tests = [_requirement(part.strip()) for part in _COMMA_OUTSIDE_PARENS.split(selector) if part.strip()]
    return lambda labels: all(test(labels) for test in tests)


def _dig(obj: Any, path: str) -> str:
    for key in path.split("."):
        obj = obj.get(key) if isinstance(obj, Mapping) else None
    return "" if obj is None else obj if isinstance(obj, str) else json.dumps(obj)


def _field_matcher(selector: str) -> Callable[[Mapping[str, Any]], bool]:
    tests: list[tuple[str, bool, str]] = []
    for part in filter(None, (p.strip() for p in selector.split(","))):
        if not (m := _FIELD_REQ.fullmatch(part)):
            raise ValueError(f"invalid field selector: {part!r}")
        tests.append((m[1], m[2] == "!=", m[3]))
    return lambda obj: all((_dig(obj, path) == value) != negate for path, negate, value in tests)


def _tail(text: str, lines: int) -> str:
    return "".join(text.splitlines(keepends=True)[-lines:]) if lines > 0 else ""


def _version_rank(version: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (-1, 0, 0)
    return ({"alpha": 0, "beta": 1}.get(m[2] or "", 2), int(m[1]), int(m[3] or 0))


class _Router:
    """Answers read-only API calls from the emulator's object store; None means "let kmock answer"."""

    def __init__(
        self,
        emulator: kmock.KubernetesEmulator,
        objects: Iterable[Mapping[str, Any]],
        *,
        logs: Mapping[tuple[str, str, str], str],
        version: str,
        forbidden: Iterable[tuple[str, str, str | None]],
        namespaces: Iterable[str] | None,
        sar: Callable[[dict[str, Any]], bool],
        failing: Iterable[tuple[str, str | None]] = (),
        node_docs: Mapping[tuple[str, str], dict[str, Any]] | None = None,
    ) -> None:
        m = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.(\d+))?", version)
        if not m:
            raise ValueError(f"version must look like '1.29', got {version!r}")
        self.major, self.minor, self.patch = m[1], int(m[2]), m[3] or "0"
        self.objects, self.logs, self.sar = emulator.objects, dict(logs), sar
        self.forbidden = list(forbidden)
        self.failing = set(failing)  # (resource, namespace or "*") lists that answer 500
        self.node_docs = dict(node_docs or {})  # (node, "stats/summary" | "configz") -> the kubelet's JSON
        self.address = "127.0.0.1"
        self.served: dict[tuple[str, str, str], _Res] = {}
        self.groups: dict[str, dict[str, list[_Res]]] = {}  # group -> version -> resources (discovery)
        for res in _known_resources():
            if res.group not in _ADDON_GROUPS and _served_in(
                self.minor, res.group_version, f"{res.group_version}/{res.plural}"
            ):
                self._serve(res)
        self._seed(objects, namespaces)

    def _serve(self, res: _Res, *, discoverable: bool = True) -> None:
        self.served.setdefault((res.group, res.version, res.plural), res)
        if discoverable and res not in self.groups.setdefault(res.group, {}).setdefault(res.version, []):
            self.groups[res.group][res.version].append(res)

    def _seed(self, objects: Iterable[Mapping[str, Any]], namespaces: Iterable[str] | None) -> None:
        objects = list(objects)
        kinds = {(res.group, res.kind): res for res in _known_resources()}
        seen_namespaces: set[str] = set()
        namespace_objects: dict[str, Mapping[str, Any]] = {}
        for obj in objects:
            group, _, version = obj["apiVersion"].rpartition("/")
            kind, meta = obj["kind"], obj["metadata"]
            known = kinds.get((group, kind))
            plural = known.plural if known else kind.lower() + "s"
            namespaced = known.namespaced if known else bool(meta.get("namespace"))
            res = _Res(group, version, plural, kind, namespaced)
            if (group, kind) == ("", "Namespace"):
                namespace_objects[meta["name"]] = obj
                continue
            if namespaced and not meta.get("namespace"):
                raise ValueError(f"{kind} {meta['name']!r} needs metadata.namespace")
            self._serve(
                res, discoverable=_served_in(self.minor, res.group_version, f"{res.group_version}/{plural}")
            )
            self.objects[
                kmock.resource(group, version, plural),
                meta.get("namespace") if namespaced else None,
                meta["name"],
            ] = obj
            seen_namespaces.update([meta["namespace"]] if namespaced else [])
        versions = [str(obj["metadata"].get("resourceVersion", "")) for obj in objects]
        self.resource_version = str(max([int(v) for v in versions if v.isdigit()], default=1))
        wanted = set(namespaces) if namespaces is not None else seen_namespaces | set(namespace_objects)
        for name in sorted(wanted):
            self.objects["v1/namespaces", None, name] = namespace_objects.get(name) or {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}},
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }

    def route(self, method: str, path: str, query: Mapping[str, str], body: bytes) -> _Reply | None:
        parts = [p for p in path.split("/") if p]
        if method == "GET" and (reply := self._discovery(parts)) is not None:
            return reply
        target = _parse_target(parts)
        if target is None or target.plural is None:
            return None
        if method == "GET" and target.plural == "nodes" and target.sub and target.sub.startswith("proxy/"):
            return self._node_proxy(target)
        if (denied := self._denied(_verb(method, target, query), target)) is not None:
            return denied
        if {(target.plural, target.namespace), (target.plural, "*")} & self.failing and not target.name:
            return _status(500, "InternalError", f"cannot list {target.plural}")
        if method == "POST" and target.group == "authorization.k8s.io" and target.plural in _REVIEWS:
            review = json.loads(body or b"{}")
            return _Reply(201, {**review, "status": {"allowed": bool(self.sar(review))}})
        if method != "GET" or query.get("watch") in ("true", "1"):
            return None
        res = self.served.get((target.group, target.version, target.plural))
        if res is None:
            return _not_found(None, None)
        if target.name is None:
            return self._list(res, target, query)
        if target.sub == "log" and res.plural == "pods":
            return self._log(target, query)
        return self._get(res, target.namespace, target.name) if target.sub in (None, "status") else None

    def _node_proxy(self, target: _Target) -> _Reply:
        """The kubelet's documents through the API server's nodes proxy (`get nodes/proxy`)."""
        denied = self._denied(
            "get", _Target(target.group, target.version, "nodes", None, target.name, "proxy")
        )
        if denied is not None:
            return denied
        doc = self.node_docs.get((str(target.name), str(target.sub).removeprefix("proxy/")))
        if doc is None:
            return _status(
                404, "NotFound", f"the server could not find the requested resource ({target.sub})"
            )
        return _Reply(200, doc)

    def _denied(self, verb: str, target: _Target) -> _Reply | None:
        resource = f"{target.plural}/{target.sub}" if target.sub else target.plural or ""
        for f_verb, f_resource, f_namespace in self.forbidden:
            if (
                f_verb in (verb, "*")
                and f_resource in (resource, "*")
                and f_namespace in (target.namespace, "*")
            ):
                break
        else:
            return None
        subject = f'{resource} "{target.name}"' if target.name else resource
        scope = f'in the namespace "{target.namespace}"' if target.namespace else "at the cluster scope"
        message = (
            f'{subject} is forbidden: User "{FORBIDDEN_USER}" cannot {verb} resource "{resource}"'
            f' in API group "{target.group}" {scope}'
        )
        details = (
            {"name": target.name, "kind": target.plural or ""}
            if target.name
            else {"kind": target.plural or ""}
        )
        return _status(403, "Forbidden", message, details)

    def _items(self, res: _Res, namespace: str | None) -> list[dict[str, Any]]:
        found = [
            (ns or "", name, obj.raw)
            for (r, ns, name), obj in self.objects.items()
            if (r.group, r.version, r.plural) == (res.group, res.version, res.plural)
            and not obj.deleted
            and (namespace is None or ns == namespace)
        ]
        return [raw for _, _, raw in sorted(found, key=lambda item: item[:2])]

    def _list(self, res: _Res, target: _Target, query: Mapping[str, str]) -> _Reply:
        try:
            labels = _label_matcher(query.get("labelSelector", ""))
            fields = _field_matcher(query.get("fieldSelector", ""))
        except ValueError as e:
            return _status(400, "BadRequest", str(e))
        items = [
            obj
            for obj in self._items(res, target.namespace)
            if labels(obj.get("metadata", {}).get("labels") or {}) and fields(obj)
        ]
        return _Reply(
            200,
            {
                "kind": f"{res.kind}List",
                "apiVersion": res.group_version,
                "metadata": {"resourceVersion": self.resource_version},
                "items": items,
            },
        )

    def _get(self, res: _Res, namespace: str | None, name: str) -> _Reply:
        key = (kmock.resource(res.group, res.version, res.plural), namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return _not_found(res, name)
        return _Reply(200, self.objects[key].raw)

    def _log(self, target: _Target, query: Mapping[str, str]) -> _Reply:
        ns, pod = target.namespace or "", target.name or ""
        containers = sorted(c for n, p, c in self.logs if (n, p) == (ns, pod) and not c.endswith(":previous"))
        container = query.get("container") or (containers[0] if len(containers) == 1 else None)
        if container is None and len(containers) > 1:
            return _status(
                400,
                "BadRequest",
                f"a container name must be specified for pod {pod}, choose one of: [{' '.join(containers)}]",
            )
        previous = query.get("previous") in ("true", "1")
        text = self.logs.get((ns, pod, f"{container}:previous" if previous else str(container)))
        if text is None and previous and container in containers:
            return _status(
                400, "BadRequest", f'previous terminated container "{container}" in pod "{pod}" not found'
            )
        if text is None:
            return _status(
                404,
                "NotFound",
                f'pods "{pod}" not found'
                if not containers
                else f"container {container} is not valid for pod {pod}",
                {"name": pod, "kind": "pods"},
            )
        if "tailLines" in query:
            text = _tail(text, int(query["tailLines"]))
        if "limitBytes" in query:
            text = text.encode()[: int(query["limitBytes"])].decode(errors="ignore")
        return _Reply(200, text, text=True)

    def _discovery(self, parts: list[str]) -> _Reply | None:
        docs: dict[tuple[str, ...], Callable[[], Any]] = {
            ("version",): self._version_doc,
            ("api",): lambda: {
                "kind": "APIVersions",
                "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.address}],
            },
            ("apis",): lambda: {
                "kind": "APIGroupList",
                "apiVersion": "v1",
                "groups": [self._group_doc(group) for group in self.groups if group],
            },
        }
        if tuple(parts) in docs:
            return _Reply(200, docs[tuple(parts)]())
        version: str | None
        if parts[:1] == ["api"] and len(parts) == 2:
            group, version = "", parts[1]
        elif parts[:1] == ["apis"] and len(parts) in (2, 3):
            group, version = parts[1], parts[2] if len(parts) == 3 else None
        else:
            return None
        if version is None and group in self.groups:
            return _Reply(200, {"kind": "APIGroup", "apiVersion": "v1", **self._group_doc(group)})
        resources = self.groups.get(group, {}).get(version or "")
        if resources is None:
            return _not_found(None, None)
        return _Reply(
            200,
            {
                "kind": "APIResourceList",
                "apiVersion": "v1",
                "groupVersion": resources[0].group_version,
                "resources": [entry for res in resources for entry in res.discovery()],
            },
        )

    def _group_doc(self, group: str) -> dict[str, Any]:
        versions = [
            {"groupVersion": f"{group}/{v}", "version": v}
            for v in sorted(self.groups[group], key=_version_rank, reverse=True)
        ]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def _version_doc(self) -> dict[str, str]:
        return {
            "major": self.major,
            "minor": str(self.minor),
            "gitVersion": f"v{self.major}.{self.minor}.{self.patch}",
            "gitCommit": "0" * 40,
            "gitTreeState": "clean",
            "buildDate": "2024-01-01T00:00:00Z",
            "goVersion": "go1.22.0",
            "compiler": "gc",
            "platform": "linux/amd64",
        }


class FakeCluster:
    """A fake API server on 127.0.0.1, served from a background thread with its own event loop."""

    def __init__(
        self,
        objects: Iterable[dict[str, Any]],
        *,
        logs: Mapping[tuple[str, str, str], str] | None = None,
        version: str = "1.29",
        forbidden: Iterable[tuple[str, str, str | None]] = (),
        namespaces: Iterable[str] | None = None,
        sar: Callable[[dict[str, Any]], bool] | None = None,
        faults: Mapping[str, str] | None = None,
        tls_dir: Path | None = None,
        failing: Iterable[tuple[str, str | None]] = (),
        node_docs: Mapping[tuple[str, str], dict[str, Any]] | None = None,
    ) -> None:
        """faults: path regex -> mode (tests/kube/faults.py); tls_dir: serve HTTPS, certificate there."""
        # kmock's asyncio primitives bind to a loop on first use only, so building it here is safe.
        self._emulator = kmock.KubernetesEmulator()
        self._router = _Router(
            self._emulator,
            objects,
            logs=logs or {},
            version=version,
            forbidden=forbidden,
            namespaces=namespaces,
            sar=sar or (lambda review: True),
            failing=failing,
            node_docs=node_docs,
        )
        self.url = ""
        self.faults = dict(faults or {})
        self.ca_file: Path | None = None
        self._tls: ssl.SSLContext | None = None
        if tls_dir is not None:
            self.ca_file, _, self._tls = _faults.self_signed(tls_dir)
        self._requests: list[tuple[str, str]] = []
        self._writes: list[tuple[str, str, Any]] = []  # (method, path, JSON body) of POST/PUT/PATCH
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path?query) of every request so far, percent-decoded, in arrival order."""
        with self._lock:
            return list(self._requests)

    @property
    def writes(self) -> list[tuple[str, str, Any]]:
        """(method, path, decoded JSON body) of every POST/PUT/PATCH so far, in arrival order."""
        with self._lock:
            return list(self._writes)

    def pod_finished(
        self, namespace: str, pod: str, container: str, log: str, phase: str = "Succeeded"
    ) -> None:
        """Stand in for the kubelet: a created pod ran, ended in `phase` and left `log`."""
        key = (kmock.resource("", "v1", "pods"), namespace, pod)
        raw = copy.deepcopy(self._router.objects[key].raw)
        raw["status"] = {**(raw.get("status") or {}), "phase": phase}
        self._router.logs[(namespace, pod, container)] = log
        self._router.objects[key] = raw

    def __enter__(self) -> FakeCluster:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self._router.address = f"127.0.0.1:{sock.getsockname()[1]}"
        self.url = f"{'https' if self._tls else 'http'}://{self._router.address}"
        self._thread = threading.Thread(
            target=self._run, args=(sock,), name=f"fake-kube-{self.url}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(10) or self._error is not None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"fake Kubernetes API at {self.url} did not start") from self._error
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing to stop
                self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def write_kubeconfig(
        self, path: Path, *, context: str = "scenario", namespace: str | None = None, with_ca: bool = True
    ) -> Path:
        """with_ca=False leaves the HTTPS server's CA out: its certificate cannot verify."""
        if not self.url:
            raise RuntimeError("enter the FakeCluster before writing a kubeconfig for it")
        ctx = {"cluster": context, "user": context} | ({"namespace": namespace} if namespace else {})
        cluster: dict[str, str] = {"server": self.url}
        if self.ca_file is not None and with_ca:
            cluster["certificate-authority-data"] = base64.b64encode(self.ca_file.read_bytes()).decode()
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "current-context": context,
            "clusters": [{"name": context, "cluster": cluster}],
            "users": [{"name": context, "user": {"token": "fake-token"}}],
            "contexts": [{"name": context, "context": ctx}],
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(config, sort_keys=False))
        return path

    def _run(self, sock: socket.socket) -> None:
        try:
            asyncio.run(self._serve(sock))
        except BaseException as e:  # reported to __enter__, which re-raises in the caller's thread
            self._error = e
        finally:
            sock.close()
            self._ready.set()

    async def _serve(self, sock: socket.socket) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        # Our own aiohttp server, not kmock.Server: that one swaps aiohttp's resolver class-wide
        # and fails on exit unless servers stop in LIFO order, which parallel clusters don't.
        runner = aiohttp.web.ServerRunner(aiohttp.web.Server(self._handle), shutdown_timeout=0.5)
        async with self._emulator:  # entered, kmock renders handler errors as Status replies
            await runner.setup()
            try:
                await aiohttp.web.SockSite(runner, sock, ssl_context=self._tls).start()
                self._ready.set()
                await self._stop.wait()
            finally:
                await runner.cleanup()

    async def _handle(self, raw: aiohttp.web.BaseRequest) -> aiohttp.web.StreamResponse:
        body = await raw.read()
        query = unquote_plus(raw.rel_url.raw_query_string)
        with self._lock:
            self._requests.append((raw.method, f"{raw.path}?{query}" if query else raw.path))
            if raw.method in ("POST", "PUT", "PATCH"):
                with contextlib.suppress(ValueError):
                    self._writes.append((raw.method, raw.path, json.loads(body or b"null")))
        # Routed before kmock parses the URL: it answers 500 for /api/v1/namespaces, records
        # writes before any reaction can refuse them, and reactions share mutable response state.
        route = functools.partial(self._router.route, raw.method, raw.path, raw.query, body)
        fault = _faults.fault_for(self.faults, raw.path)
        if fault is not None and self._stop is not None:
            return await _faults.respond(fault, raw, route, self._stop)
        try:
            reply = route()
        except Exception as e:  # e.g. a failing `sar` callback: show it to the client, not as a bare 500
            reply = _status(500, "InternalError", f"fake cluster: {e!r}")
        return reply.render() if reply is not None else await self._emulator(raw)
