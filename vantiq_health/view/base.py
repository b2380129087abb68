"""What every cluster view offers, live or from a snapshot.

Objects are plain JSON dicts, as kubectl's unstructured objects are: the
official client's typed models cost ~1.3 ms per object to build (see the
testing notes), and a snapshot is JSON anyway. Secrets come back sanitized
(values replaced by redaction records, see `redact`).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from vantiq_health import redact
from vantiq_health.i18n import msg, reason_of
from vantiq_health.sensitive import Sensitive
from vantiq_health.view import node_reads

CAUSES = ("forbidden", "not_served", "failed", "dead")


class Unavailable(Exception):
    """The view cannot answer: no permission, not captured, not served. Checks skip.

    `str(exc)` is the one-line reason; `cause` says why as data: "forbidden" (403),
    "not_served" (404: the API server does not serve the kind), "failed" (any other
    answer, a cap that was hit, a snapshot that lacks it) or "dead" (the server stopped
    answering). Only "not_served" may read as empty.
    """

    def __init__(self, reason: str, cause: str = "failed") -> None:
        if cause not in CAUSES:
            raise ValueError(f"unknown cause {cause!r}")
        super().__init__(reason)
        self.cause = cause


class SetupError(Exception):
    """The run cannot start: bad kubeconfig, unreachable server, bad snapshot."""


@dataclass(frozen=True)
class Kind:
    resource: str
    group: str
    version: str
    kind: str
    namespaced: bool

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


KINDS: dict[str, Kind] = {
    k.resource: k
    for k in (
        Kind("pods", "", "v1", "Pod", True),
        Kind("secrets", "", "v1", "Secret", True),
        Kind("configmaps", "", "v1", "ConfigMap", True),
        Kind("services", "", "v1", "Service", True),
        Kind("endpoints", "", "v1", "Endpoints", True),
        Kind("events", "", "v1", "Event", True),
        Kind("persistentvolumeclaims", "", "v1", "PersistentVolumeClaim", True),
        Kind("serviceaccounts", "", "v1", "ServiceAccount", True),
        Kind("nodes", "", "v1", "Node", False),
        Kind("persistentvolumes", "", "v1", "PersistentVolume", False),
        Kind("namespaces", "", "v1", "Namespace", False),
        Kind("statefulsets", "apps", "v1", "StatefulSet", True),
        Kind("deployments", "apps", "v1", "Deployment", True),
        Kind("daemonsets", "apps", "v1", "DaemonSet", True),
        Kind("replicasets", "apps", "v1", "ReplicaSet", True),
        Kind("cronjobs", "batch", "v1", "CronJob", True),
        Kind("jobs", "batch", "v1", "Job", True),
        Kind("ingresses", "networking.k8s.io", "v1", "Ingress", True),
        Kind("storageclasses", "storage.k8s.io", "v1", "StorageClass", False),
        Kind("leases", "coordination.k8s.io", "v1", "Lease", True),
        Kind("clusterroles", "rbac.authorization.k8s.io", "v1", "ClusterRole", False),
        Kind("clusterrolebindings", "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", False),
    )
}
BY_KIND: dict[str, Kind] = {k.kind: k for k in KINDS.values()}


def kind_info(resource: str) -> Kind:
    try:
        return KINDS[resource]
    except KeyError:
        raise ValueError(f"the cluster view does not read {resource!r}") from None


def needs(verb: str, resource: str, namespace: str | None) -> str:
    if namespace:
        return msg("common.needs_in", verb=verb, resource=resource, namespace=namespace)
    return msg("common.needs_cluster", verb=verb, resource=resource)


class ClusterView:
    """The interface; subclasses fill `_fetch`, `_fetch_logs` and the metadata."""

    mode: str = ""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self._cache: dict[Any, Any] = {}
        self._secret_bytes: dict[tuple[str, str, str], Sensitive] = {}
        self._remembered: dict[str, dict[str, Any]] = {}

    # -- what subclasses provide ------------------------------------------
    def _fetch(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _fetch_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool) -> list[str]:
        raise NotImplementedError

    def _fetch_node_proxy(self, node: str, path: str) -> dict[str, Any]:
        raise NotImplementedError

    def version(self) -> dict[str, Any]:
        """The server's /version document (gitVersion, major, minor)."""
        raise NotImplementedError

    def served_group_versions(self) -> frozenset[str] | None:
        """The group/versions the API server serves; None when not known (offline)."""
        raise NotImplementedError

    def namespace_exists(self, namespace: str) -> bool | None:
        """True/False, or None when the source cannot tell (no permission)."""
        raise NotImplementedError

    def secret_values_redacted(self) -> str | None:
        """Why Secret values cannot be judged (a snapshot redacted by whoever captured it), or None."""
        return None

    def secret_keys_known(self) -> bool:
        """False when the Secrets came without their data: which keys exist is unknown."""
        return True

    def now(self) -> datetime:
        """The cluster's idea of now: the API server's clock, or the capture time."""
        return datetime.now(UTC)

    def describe(self) -> dict[str, Any]:
        """What the report header says about the source."""
        raise NotImplementedError

    # -- shared by every source --------------------------------------------
    def _once(self, key: Any, load: Callable[[], Any]) -> Any:
        """Load a key once per session, whatever the number of threads asking.

        A failure is remembered too, so a dead endpoint costs its timeout once.
        """
        with self._lock:
            if key in self._cache:
                return self._cached(key)
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            if key not in self._cache:
                try:
                    self._cache[key] = ("ok", load())
                    # what was read lives to the end of the run: out of the collector's reach, pytest's
                    # final collections need not walk the whole cluster (measured: 1 s at 5,000 pods)
                    gc.freeze()
                except Unavailable as exc:
                    self._cache[key] = ("unavailable", (reason_of(exc), exc.cause))
        return self._cached(key)

    def _cached(self, key: Any) -> Any:
        state, value = self._cache[key]
        if state == "unavailable":
            raise Unavailable(*value)
        return value

    def objects(
        self, resource: str, namespace: str | None = None, *, required: bool = True
    ) -> list[dict[str, Any]]:
        """Every object of a kind in a namespace (or cluster-scoped), read once.

        required=False: a kind that only adds to a check (CronJob templates next
        to pods) reads as empty when the server does not serve it (404). Any other
        failure still raises: unreadable is not empty.
        """
        kind = kind_info(resource)
        ns = namespace if kind.namespaced else None
        try:
            items: list[dict[str, Any]] = self._once(("list", resource, ns), lambda: self._load(resource, ns))
            return items
        except Unavailable as exc:
            if required or exc.cause != "not_served":
                raise
            return []

    def _load(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        items = self._fetch(resource, namespace)
        if resource == "secrets":
            items = [self._sanitize_secret(s) for s in items]
        elif resource == "configmaps":
            items = [redact.sanitize_configmap(c) for c in items]
        else:
            items = [redact.sanitize_object(o) for o in items]
        return items

    def _sanitize_secret(self, secret: dict[str, Any]) -> dict[str, Any]:
        clean, values = redact.sanitize_secret(secret)
        meta: dict[str, Any] = clean["metadata"] if isinstance(clean.get("metadata"), dict) else {}
        for key, value in values.items():
            self._secret_bytes[(str(meta.get("namespace", "")), str(meta.get("name", "")), key)] = value
        return clean

    def get(self, resource: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        for obj in self.objects(resource, namespace):
            if obj.get("metadata", {}).get("name") == name:
                return obj
        return None

    def secret_bytes(self, namespace: str, name: str, key: str) -> Sensitive | None:
        """A Secret's value, for live probes that must log in with it (`.reveal()` at the login only)."""
        self.objects("secrets", namespace)
        return self._secret_bytes.get((namespace, name, key))

    def logs(
        self,
        namespace: str,
        pod: str,
        container: str,
        *,
        tail: int = 200,
        previous: bool = False,
    ) -> list[str]:
        """The last lines of one container's log (fetched only when a check asks)."""
        key = ("logs", namespace, pod, container, tail, previous)
        lines: list[str] = self._once(
            key, lambda: self._fetch_logs(namespace, pod, container, tail, previous)
        )
        return lines

    def read_logs(self) -> dict[tuple[str, str, str], list[str]]:
        """The container logs this run has read (the longest tail of each), for --save-snapshot."""
        logs: dict[tuple[str, str, str], list[str]] = {}
        with self._lock:
            for key, (state, lines) in self._cache.items():
                if key[0] != "logs" or state != "ok" or key[5]:
                    continue
                if len(lines) >= len(logs.get(key[1:4], [])):
                    logs[key[1:4]] = lines
        return logs

    def listed(self) -> list[tuple[str, str | None, list[dict[str, Any]]]]:
        """Every list this run has read: (resource, namespace, items)."""
        with self._lock:
            return [
                (k[1], k[2], value)
                for k, (state, value) in self._cache.items()
                if k[0] == "list" and state == "ok"
            ]

    def unavailable(self) -> list[tuple[Any, str]]:
        with self._lock:
            return [(k, v[0]) for k, (state, v) in self._cache.items() if state == "unavailable"]

    # -- reads beyond lists: the kubelet through the nodes proxy, remembered answers ---------------
    def node_proxy(self, node: str, path: str) -> dict[str, Any]:
        """A kubelet document of one node (`stats/summary`, `configz`), read once.

        Needs `get nodes/proxy` (the optional role): without it, Unavailable naming it.
        """
        node_reads.proxy_path(node, path)
        doc: dict[str, Any] = self._once(
            ("node_proxy", node, path), lambda: self._fetch_node_proxy(node, path)
        )
        return doc

    def read_node_proxy(self) -> dict[tuple[str, str], dict[str, Any]]:
        """The kubelet documents this run has read, for --save-snapshot."""
        with self._lock:
            return {
                (k[1], k[2]): v
                for k, (state, v) in self._cache.items()
                if k[0] == "node_proxy" and state == "ok"
            }

    def remember(self, key: str, answer: dict[str, Any]) -> None:
        """Keep what a live read answered (a probe's record, a SubjectAccessReview) for --save-snapshot."""
        with self._lock:
            self._remembered[key] = answer

    def recall(self, key: str) -> dict[str, Any] | None:
        """What was remembered under a key: this run's answer, or, offline, the capturing run's."""
        with self._lock:
            return self._remembered.get(key)

    def remembered(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return dict(self._remembered)
