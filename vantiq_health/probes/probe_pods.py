"""Short-lived probe pods: the cluster network seen from a workstation (`--allow-probe-pods`).

The only writes the suite ever makes. Each pod carries the run's label
(`vantiq-health/run=RUN`), lives in one namespace (the first installation
namespace, where the optional Role grants `create`/`delete` pods), runs
`python -m vantiq_health.probes.netrun PLAN` from `--probe-image` and is
deleted when its answer is read — and, whatever happens, at the end of the
session (the `probes` fixture's finalizer), on SIGTERM (turned into
KeyboardInterrupt while pods exist) and at interpreter exit.
`activeDeadlineSeconds` stops a pod the suite could no longer delete (SIGKILL).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import secrets
import signal
import threading
import time
from dataclasses import dataclass
from types import FrameType
from typing import Any

from vantiq_health.i18n import msg
from vantiq_health.view.base import Unavailable
from vantiq_health.view.rest import Failure, Transport

RUN_LABEL = "vantiq-health/run"
NAME_LABEL = "app.kubernetes.io/name"
APP = "vantiq-health-probe"
START_FACTOR = 12  # a probe pod has 12 x --probe-timeout to start, run and answer
FLAG_HINT = "--allow-probe-pods --probe-image IMAGE"
PERMISSION = "create/delete pods"


@dataclass(frozen=True)
class PodOptions:
    allowed: bool = False
    image: str | None = None


def pod_spec(
    name: str, namespace: str, run_id: str, image: str, args: list[str], node: str | None, deadline: int
) -> dict[str, Any]:
    """The probe pod: no service account token, non-root, read-only, bounded in time and memory."""
    container = {
        "name": "probe",
        "image": image,
        "command": ["python", "-m", "vantiq_health.probes.netrun"],
        "args": args,
        "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}],
        "resources": {"requests": {"cpu": "10m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65534,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    spec: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "activeDeadlineSeconds": deadline,
        "terminationGracePeriodSeconds": 0,
        "containers": [container],
    }
    if node:
        spec["nodeSelector"] = {"kubernetes.io/hostname": node}
    labels = {NAME_LABEL: APP, RUN_LABEL: run_id}
    meta = {"name": name, "namespace": namespace, "labels": labels}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


class ProbePods:
    """The run's probe pods in one namespace; `close()` deletes every one still there."""

    def __init__(self, api: Any, namespace: str, image: str, timeout: float) -> None:
        self.api, self.namespace, self.image, self.timeout = api, namespace, image, timeout
        self._http = Transport(api, timeout, timeout)
        self.run_id = secrets.token_hex(4)
        self._lock = threading.Lock()
        self._live: list[str] = []  # created (or being created), not yet deleted
        self._count = 0
        self._old_term: Any = None
        atexit.register(self.close)

    # -- API requests ---------------------------------------------------------------------------
    def _call(
        self, method: str, path: str, body: Any = None, query: list[tuple[str, Any]] | None = None
    ) -> tuple[int, bytes]:
        try:
            reply = self._http.request(method, path, query, body)
        except Failure as exc:  # the pod's fate is unknown
            raise Unavailable(
                msg("NET005.pod_call_failed", call=f"{method} {path}", error=str(exc))
            ) from None
        return reply.status, reply.body

    def _path(self, name: str = "") -> str:
        return f"/api/v1/namespaces/{self.namespace}/pods" + (f"/{name}" if name else "")

    # -- lifecycle ------------------------------------------------------------------------------
    def _watch_term(self) -> None:
        if threading.current_thread() is not threading.main_thread() or self._old_term is not None:
            return

        def stop(signum: int, frame: FrameType | None) -> None:
            raise KeyboardInterrupt(f"signal {signum}: deleting the probe pods")

        self._old_term = signal.signal(signal.SIGTERM, stop)

    def run(self, args: list[str], node: str | None) -> tuple[str, str]:
        """Create a pod with `args`, wait for it to finish, return (pod name, its log); always delete it."""
        with self._lock:
            self._count += 1
            name = f"{APP}-{self.run_id}-{self._count}"
            self._live.append(name)
        self._watch_term()
        deadline = self.timeout * START_FACTOR
        spec = pod_spec(name, self.namespace, self.run_id, self.image, args, node, int(deadline) + 1)
        try:
            status, body = self._call("POST", self._path(), spec)
            if status == 403:
                raise Unavailable(
                    msg("NET005.pod_forbidden", permission=PERMISSION, namespace=self.namespace)
                )
            if status not in (200, 201):
                said = body[:200].decode("utf-8", "replace")
                raise Unavailable(msg("NET005.pod_create_failed", pod=name, status=status, body=said))
            self._wait(name, time.monotonic() + deadline)
            status, body = self._call("GET", self._path(name) + "/log", query=[("container", "probe")])
            if status != 200:
                raise Unavailable(msg("NET005.pod_log_failed", pod=name, status=status))
            return name, body.decode("utf-8", "replace")
        finally:
            self._delete(name)

    def _wait(self, name: str, until: float) -> None:
        phase = "Pending"
        selector = [
            ("labelSelector", f"{RUN_LABEL}={self.run_id}"),
            ("fieldSelector", f"metadata.name={name}"),
        ]
        while time.monotonic() < until:  # a list, as the read-only role allows (it grants no get on pods)
            status, body = self._call("GET", self._path(), query=selector)
            items = (_json(body).get("items") or []) if status == 200 else []
            doc = items[0] if items and isinstance(items[0], dict) else {}
            phase = str((doc.get("status") or {}).get("phase") or phase)
            if phase in ("Succeeded", "Failed"):
                return
            time.sleep(min(0.5, max(0.0, until - time.monotonic())))
        raise Unavailable(
            msg(
                "NET005.pod_not_finished",
                pod=f"{self.namespace}/{name}",
                image=self.image,
                factor=START_FACTOR,
                seconds=self.timeout * START_FACTOR,
                phase=phase,
            )
        )

    def _delete(self, name: str) -> None:
        with contextlib.suppress(Unavailable):
            status, _ = self._call("DELETE", self._path(name), query=[("gracePeriodSeconds", 0)])
            if status in (200, 202, 404):
                with self._lock:
                    if name in self._live:
                        self._live.remove(name)

    def leftover(self) -> list[str]:
        with self._lock:
            return list(self._live)

    def close(self) -> None:
        """Delete every pod of this run still there (idempotent)."""
        for name in self.leftover():
            self._delete(name)
        if self._old_term is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._old_term)
            self._old_term = None
        atexit.unregister(self.close)


def _json(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body)
    except ValueError:
        return {}
    return doc if isinstance(doc, dict) else {}


def result_of(name: str, log: str) -> dict[str, Any]:
    """The marked JSON line a probe pod printed."""
    from vantiq_health.probes.netrun import MARK

    for line in reversed(log.splitlines()):
        if line.startswith(MARK):
            doc = json.loads(line[len(MARK) :])
            if isinstance(doc, dict):
                return doc
    last = log.strip().splitlines()[-1:] or [msg("NET005.empty_log")]
    raise Unavailable(msg("NET005.pod_no_result", pod=name, last=last[0][:200]))
