"""The live cluster view: the official kubernetes client, read-only, one list per kind.

Every request is a GET of a URL built from the Kind's fields (group, version,
namespaced), sent through the client's own transport (`rest.Transport`): objects
stay plain JSON (3x faster than the typed models, measured in the testing notes)
and look exactly like a snapshot's objects. Time is bounded by construction: one
deadline per request, a dead server asked once, few visible retries, capped paging.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml
from kubernetes import client, config
from kubernetes.config.config_exception import ConfigException

from vantiq_health.i18n import msg, reason_of
from vantiq_health.view import node_reads, shape
from vantiq_health.view.base import ClusterView, Kind, SetupError, Unavailable, kind_info, needs
from vantiq_health.view.rest import Failure, Reply, Transport

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 30.0
PAGE = 500
MAX_PAGES = 2_000  # 1,000,000 objects of a kind: far above a real installation
MAX_LIST_BYTES = 2 << 30
RETRIES = 2  # per request, for 429, 5xx and connections dropped mid-answer (all GETs are idempotent)
RETRY_AFTER_CAP = 5.0
BACKOFF = (0.2, 0.6)
MAX_NODE_DOC_BYTES = 64 << 20  # a stats summary of a node with hundreds of pods is a few MB
SUBJECT_ACCESS_REVIEWS = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
RETRY_BUDGET = 20  # retries per run: a server failing everything does not multiply the run time


def list_path(kind: Kind, namespace: str | None) -> str:
    """/api/v1/namespaces/NS/pods, /apis/apps/v1/statefulsets ... from the kind's fields."""
    root = f"/apis/{kind.group}/{kind.version}" if kind.group else f"/api/{kind.version}"
    where = f"/namespaces/{_seg(namespace)}" if namespace is not None and kind.namespaced else ""
    return f"{root}{where}/{kind.resource}"


def kubeconfig_path(given: str | None) -> str | None:
    if given:
        return given
    env = os.environ.get("KUBECONFIG")
    if env:
        return env.split(os.pathsep)[0]
    default = Path.home() / ".kube" / "config"
    return str(default) if default.exists() else None


def load_api_client(
    kubeconfig: str | None, context: str | None
) -> tuple[client.ApiClient, str | None, str | None]:
    """The API client, the context name, and the context's default namespace."""
    path = kubeconfig_path(kubeconfig)
    if path is None and not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST"):
        cfg = client.Configuration()
        try:
            config.load_incluster_config(client_configuration=cfg)
        except ConfigException as exc:
            raise SetupError(msg("common.live_incluster", error=str(exc))) from None
        ns_file = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
        ns = ns_file.read_text().strip() if ns_file.exists() else None
        return _tuned(cfg), "in-cluster", ns
    if path is None:
        raise SetupError(msg("common.live_no_kubeconfig"))
    if not Path(path).is_file():
        raise SetupError(msg("common.live_kubeconfig_missing", path=path))
    try:
        contexts, current = config.list_kube_config_contexts(config_file=path)
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SetupError(msg("common.live_kubeconfig_unusable", path=path, error=first)) from None
    names = [c["name"] for c in contexts]
    if context and context not in names:
        listed = ", ".join(names) or msg("common.live_none")
        raise SetupError(msg("common.live_no_context", context=repr(context), path=path, contexts=listed))
    chosen = next((c for c in contexts if c["name"] == context), current)
    if not chosen:
        raise SetupError(msg("common.live_no_current", path=path))
    cfg = client.Configuration()
    try:
        config.load_kube_config(
            config_file=path, context=chosen["name"], client_configuration=cfg, persist_config=False
        )
    except (ConfigException, OSError, ValueError, yaml.YAMLError) as exc:
        raise SetupError(
            msg("common.live_context_error", path=path, context=chosen["name"], error=str(exc))
        ) from None
    return _tuned(cfg), chosen["name"], chosen.get("context", {}).get("namespace")


def _tuned(cfg: client.Configuration) -> client.ApiClient:
    # One attempt per request: a dead endpoint costs its timeout once, not four times.
    cfg.retries = False
    return client.ApiClient(cfg)


class LiveView(ClusterView):
    mode = "live"

    def __init__(
        self,
        api: client.ApiClient,
        *,
        context: str | None,
        connect_timeout: float = CONNECT_TIMEOUT,
        read_timeout: float = READ_TIMEOUT,
    ) -> None:
        super().__init__()
        for name, value in (("--request-timeout", read_timeout), ("connect timeout", connect_timeout)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise SetupError(msg("common.live_timeout_value", name=name, value=repr(value)))
        self.api = api
        self.context = context
        self.http = Transport(api, connect_timeout, read_timeout)
        self.max_pages, self.max_list_bytes = MAX_PAGES, MAX_LIST_BYTES
        self.notes: list[str] = []  # retries and other things the report should say happened
        self._version: dict[str, Any] = {}
        self._server_time: tuple[datetime, float] | None = None
        self._dead: str | None = None  # set by the first transport failure
        self.retries_left = RETRY_BUDGET
        self._notes_lock = threading.Lock()

    @property
    def server(self) -> str:
        return str(self.api.configuration.host)

    def connect(self) -> None:
        """Read /version once: proves the server answers, and gives its clock."""
        try:
            reply = self._get("/version", "read /version")
        except Failure as exc:
            if exc.kind == "tls":
                raise SetupError(str(exc)) from None
            raise SetupError(
                msg("common.live_unreachable", server=self.server, error=reason_of(exc))
            ) from None
        except Unavailable as exc:
            raise SetupError(
                msg("common.live_unreachable", server=self.server, error=reason_of(exc))
            ) from None
        if reply.status in (401, 403):
            raise SetupError(
                msg(
                    "common.live_rejected",
                    server=self.server,
                    context=repr(self.context),
                    error=reply.message(),
                )
            )
        if reply.status != 200:
            raise SetupError(msg("common.live_answered", server=self.server, error=reply.message()))
        self._version = self._json_object(reply, "/version")
        date = reply.headers.get("Date")
        if date:
            try:
                self._server_time = (parsedate_to_datetime(date).astimezone(UTC), time.monotonic())
            except (TypeError, ValueError):
                self.notes.append(msg("common.view_bad_date", date=repr(date[:40])))

    def _json_object(self, reply: Reply, what: str) -> dict[str, Any]:
        """/version's JSON, or a SetupError saying what answered instead."""
        kind = reply.headers.get("Content-Type", "")
        head = reply.body[:200].lstrip().lower()
        if "html" in kind or head.startswith((b"<!doctype", b"<html", b"<")):
            raise SetupError(msg("common.live_html", server=self.server))
        try:
            doc = json.loads(reply.body)
        except (ValueError, RecursionError):
            doc = None
        if not isinstance(doc, dict):
            said = kind or msg("common.live_no_content_type")
            raise SetupError(msg("common.live_not_json", server=self.server, what=what, kind=said))
        return doc

    def namespace_exists(self, namespace: str) -> bool | None:
        """True/False, or None when we may not ask (no get on namespaces) or cannot tell."""
        try:
            reply = self._get(f"/api/v1/namespaces/{_seg(namespace)}", f"get namespace {namespace}")
        except (Failure, Unavailable):
            return None
        return {200: True, 404: False}.get(reply.status)

    def now(self) -> datetime:
        if self._server_time is None:
            return datetime.now(UTC)
        at, mono = self._server_time
        return at + timedelta(seconds=time.monotonic() - mono)

    def version(self) -> dict[str, Any]:
        return self._version

    def served_group_versions(self) -> frozenset[str] | None:
        served: frozenset[str] = self._once(("discovery",), self._discover)
        return served

    def _discover(self) -> frozenset[str]:
        core, groups = self._discovery_doc("/api"), self._discovery_doc("/apis")
        served = {v for v in core.get("versions") or [] if isinstance(v, str)}
        for group in groups.get("groups") or []:
            versions = group.get("versions") if isinstance(group, dict) else None
            served.update(
                v["groupVersion"] for v in versions or [] if isinstance(v, dict) and "groupVersion" in v
            )
        return frozenset(served)

    def _discovery_doc(self, path: str) -> dict[str, Any]:
        reply = self._answer(path, f"API discovery ({path})")
        if reply.status != 200:
            raise Unavailable(f"API discovery failed: {reply.message()}", _cause(reply.status))
        doc = _json_or_none(reply.body)
        if not isinstance(doc, dict):
            raise Unavailable(f"API discovery failed: {path} answered no JSON object")
        return doc

    def describe(self) -> dict[str, Any]:
        return {"mode": "live", "context": self.context, "server": self.server}

    # -- requests: retries, a dead server, paging ------------------------------
    def _answer(self, path: str, what: str, query: list[tuple[str, Any]] | None = None, **kw: Any) -> Reply:
        """A reply, or Unavailable: a server that failed to answer once is not asked again."""
        try:
            return self._get(path, what, query, **kw)
        except Failure as exc:
            if exc.kind in ("too_big", "dropped"):  # the server answers: it is not dead
                raise Unavailable(f"{what}: {exc}") from None
            with self._notes_lock:
                self._dead = self._dead or f"{what}: {exc}"
            raise Unavailable(f"the API server stopped answering ({self._dead})", "dead") from None

    def _get(self, path: str, what: str, query: list[tuple[str, Any]] | None = None, **kw: Any) -> Reply:
        """One GET with its bounded retries: 429 (Retry-After, capped), 5xx, a dropped connection."""
        if self._dead:
            raise Unavailable(f"the API server stopped answering ({self._dead})", "dead")
        for attempt in range(RETRIES + 1):
            last = attempt == RETRIES
            try:
                reply = self.http.get(path, query, **kw)
            except Failure as exc:
                if exc.kind != "dropped" or last or not self._may_retry(what, str(exc), BACKOFF[attempt]):
                    raise
                continue
            if not last and (reply.status == 429 or reply.status >= 500):
                wait = BACKOFF[attempt]
                if reply.status == 429:
                    wait = min(_retry_after(reply), self.http.read_timeout)
                if self._may_retry(what, reply.message(), wait):
                    continue
            return reply
        raise AssertionError("unreachable")  # pragma: no cover

    def _may_retry(self, what: str, why: str, wait: float) -> bool:
        with self._notes_lock:
            if self.retries_left <= 0:
                return False
            self.retries_left -= 1
            key = "common.view_retried" if self.retries_left else "common.view_retried_last"
            note = msg(key, what=what, wait=f"{wait:g}", why=why)
            self.notes.append(note)
        log.warning(note)
        time.sleep(wait)
        return True

    def _fetch(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        kind = kind_info(resource)
        path, where = list_path(kind, namespace), f" in {namespace}" if namespace and kind.namespaced else ""
        items: list[dict[str, Any]] = []
        token, pages, size = None, 0, 0
        while True:
            if pages >= self.max_pages or size >= self.max_list_bytes:
                cap = f"{self.max_pages:,} pages" if pages >= self.max_pages else f"{size:,} bytes"
                raise Unavailable(f"list {resource}{where}: stopped after {cap} (the server kept paging)")
            query: list[tuple[str, Any]] = [("limit", PAGE)] + ([("continue", token)] if token else [])
            reply = self._answer(path, f"list {resource}{where}", query, max_bytes=self.max_list_bytes - size)
            if reply.status != 200:
                raise Unavailable(self._list_failure(reply, kind, namespace), _cause(reply.status))
            page, pages, size = _json_or_none(reply.body), pages + 1, size + len(reply.body)
            if not isinstance(page, dict) or not isinstance(page.get("items") or [], list):
                raise Unavailable(f"list {resource}{where}: the answer is not a JSON list of objects")
            items.extend(self._fitted(kind, path, page.get("items") or []))
            meta = page.get("metadata")
            token = meta.get("continue") if isinstance(meta, dict) else None
            if not token:
                return items

    @staticmethod
    def _list_failure(reply: Reply, kind: Kind, namespace: str | None) -> str:
        if reply.status == 403:
            return needs("list", kind.resource, namespace)
        if reply.status == 404:
            return f"the API server does not serve {kind.group_version} {kind.resource}"
        where = f" in {namespace}" if namespace and kind.namespaced else ""
        return f"list {kind.resource}{where}: {reply.message()}"

    def _fitted(self, kind: Kind, path: str, items: list[Any]) -> list[dict[str, Any]]:
        """Items as the checks may read them: with kind/apiVersion (a saved snapshot needs them),
        ill-typed fields dropped and named in a note, unusable objects left out."""
        fitted = []
        for item in items:
            if isinstance(item, dict):
                item.setdefault("kind", kind.kind)
                item.setdefault("apiVersion", kind.group_version)
            obj, notes = shape.fit(item, f"GET {path}", kind=kind.kind)
            if notes:
                with self._notes_lock:
                    self.notes.extend(notes[: max(0, 20 - len(self.notes))])
            if obj is not None:
                fitted.append(obj)
        return fitted

    def _review(self, user: str, groups: tuple[str, ...], verb: str, resource: str) -> bool:
        if self._dead:
            raise Unavailable(f"the API server stopped answering ({self._dead})", "dead")
        body = {
            "apiVersion": "authorization.k8s.io/v1",
            "kind": "SubjectAccessReview",
            "spec": {
                "user": user,
                "groups": list(groups),
                "resourceAttributes": {"verb": verb, "group": "", "resource": resource},
            },
        }
        what = f"SubjectAccessReview ({user} {verb} {resource})"
        try:
            reply = self.http.post(SUBJECT_ACCESS_REVIEWS, body)
        except Failure as exc:
            raise Unavailable(f"{what}: {exc}") from None
        if reply.status == 403:
            raise Unavailable(needs("create", "subjectaccessreviews", None), "forbidden")
        if reply.status not in (200, 201):
            raise Unavailable(f"{what}: {reply.message()}", _cause(reply.status))
        doc = _json_or_none(reply.body)
        status = doc.get("status") if isinstance(doc, dict) else None
        if not isinstance(status, dict):
            raise Unavailable(f"{what}: the answer has no status")
        return status.get("allowed") is True

    def _fetch_node_proxy(self, node: str, path: str) -> dict[str, Any]:
        what = f"{path} of node {node} (nodes proxy)"
        reply = self._answer(node_reads.proxy_path(_seg(node), path), what, max_bytes=MAX_NODE_DOC_BYTES)
        if reply.status == 403:
            raise Unavailable(needs("get", "nodes/proxy", None), "forbidden")
        if reply.status != 200:
            raise Unavailable(f"{what}: {reply.message()}")
        doc = _json_or_none(reply.body)
        if not isinstance(doc, dict):
            raise Unavailable(f"{what}: the answer is not a JSON object")
        return doc

    def _fetch_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool) -> list[str]:
        what = f"log of {namespace}/{pod} [{container}]"
        query: list[tuple[str, Any]] = [
            ("container", container),
            ("previous", "true" if previous else "false"),
            ("tailLines", tail),
        ]
        reply = self._answer(
            f"/api/v1/namespaces/{_seg(namespace)}/pods/{_seg(pod)}/log",
            what,
            query,
            accept="text/plain, */*",
        )
        if reply.status == 403:
            raise Unavailable(needs("get", "pods/log", namespace), "forbidden")
        if reply.status != 200:
            raise Unavailable(f"{what}: {reply.message()}")
        lines: list[str] = reply.body.decode("utf-8", "replace").splitlines()
        return lines


def _seg(name: str) -> str:
    """A name as one path segment: a namespace given as `a/../b` cannot walk the API's paths."""
    return quote(name, safe="")


def _cause(status: int) -> str:
    return {403: "forbidden", 404: "not_served"}.get(status, "failed")


def _retry_after(reply: Reply) -> float:
    """Retry-After in seconds (an HTTP date is read as 1 s), capped: a server cannot park the run."""
    try:
        wait = float(reply.headers.get("Retry-After", "1"))
    except ValueError:
        wait = 1.0
    return min(max(wait, 0.0), RETRY_AFTER_CAP) if math.isfinite(wait) else RETRY_AFTER_CAP


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        return None
