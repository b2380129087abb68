"""Small readers of Kubernetes objects shared by the analyses."""

from __future__ import annotations

import functools
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from vantiq_health.i18n import msg

Obj = dict[str, Any]
R = TypeVar("R")

_FIELD_CONTAINER = re.compile(r"spec\.(?:initContainers|containers|ephemeralContainers)\{([^}]+)\}")


def name(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def namespace(obj: Obj) -> str:
    return str((obj.get("metadata") or {}).get("namespace", ""))


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def ago(then: datetime, now: datetime) -> str:
    """'3h12m ago' — how operators read ages."""
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return msg("common.ago_future")
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return msg("common.ago_days", days=days, hours=hours)
    if hours:
        return msg("common.ago_hours", hours=hours, minutes=minutes)
    return (
        msg("common.ago_minutes", minutes=minutes, seconds=secs)
        if minutes
        else msg("common.ago_seconds", seconds=secs)
    )


def container_statuses(pod: Obj, *, init: bool = True) -> Iterator[tuple[Obj, bool]]:
    """(status, is_init) for every container of a pod, init containers first."""
    status = pod.get("status") or {}
    if init:
        for cs in status.get("initContainerStatuses") or []:
            yield cs, True
    for cs in status.get("containerStatuses") or []:
        yield cs, False


def containers(spec: Obj) -> Iterator[Obj]:
    yield from spec.get("initContainers") or []
    yield from spec.get("containers") or []


def owner(pod: Obj) -> tuple[str, str] | None:
    """The controller a pod belongs to, as (kind, name): Deployments through their ReplicaSet."""
    meta = pod.get("metadata") or {}
    for ref in meta.get("ownerReferences") or []:
        if not ref.get("controller", True):
            continue
        kind, owner_name = ref.get("kind", ""), ref.get("name", "")
        if kind == "ReplicaSet":
            template_hash = (meta.get("labels") or {}).get("pod-template-hash")
            if template_hash and owner_name.endswith(f"-{template_hash}"):
                return "Deployment", owner_name.removesuffix(f"-{template_hash}")
        return kind, owner_name
    return None


SHORT_KIND = {"Deployment": "deploy", "StatefulSet": "sts", "DaemonSet": "ds", "ReplicaSet": "rs"}


def restart_command(pod: Obj) -> str:
    """The command that restarts a pod the way its controller wants it."""
    ns, pod_name = namespace(pod), name(pod)
    found = owner(pod)
    if found and found[0] in ("Deployment", "StatefulSet", "DaemonSet"):
        return f"kubectl rollout restart {SHORT_KIND[found[0]]}/{found[1]} -n {ns}"
    return f"kubectl delete pod {pod_name} -n {ns}"  # no controller: whoever made it must recreate it


def edit_command(pod: Obj) -> str:
    found = owner(pod)
    if found and found[0] in SHORT_KIND:
        return f"kubectl edit {SHORT_KIND[found[0]]} {found[1]} -n {namespace(pod)}"
    return f"kubectl edit pod {name(pod)} -n {namespace(pod)}"


def event_container(event: Obj) -> str | None:
    field_path = (event.get("involvedObject") or {}).get("fieldPath") or ""
    match = _FIELD_CONTAINER.search(field_path)
    return match.group(1) if match else None


@dataclass(frozen=True, eq=False)  # identity: what per_source remembers results by
class PodSpecSource:
    """A pod spec and who runs it: a pod, or a CronJob's template (a pod to be)."""

    spec: Obj
    label: str  # "pod vantiq-0" or "cronjob mongobackup"
    pod: Obj | None


_SOURCES_KEPT = 256
_sources: OrderedDict[tuple[int, int], tuple[list[Obj], list[Obj], list[PodSpecSource]]] = OrderedDict()


def pod_spec_sources(pods: list[Obj], cronjobs: list[Obj]) -> list[PodSpecSource]:
    """The pod specs of a namespace, built once per pair of lists (the view reads each list once).

    Every check of a namespace that asks gets the same PodSpecSource objects,
    so what per_source computes from them is computed once per namespace.
    The entry keeps its lists alive: their ids cannot be reused while it is here.
    """
    key = (id(pods), id(cronjobs))
    if (hit := _sources.get(key)) is not None:
        _sources.move_to_end(key)
        return hit[2]
    found = [PodSpecSource(p.get("spec") or {}, f"pod {name(p)}", p) for p in pods]
    for cj in cronjobs:
        template = ((cj.get("spec") or {}).get("jobTemplate") or {}).get("spec", {}).get("template", {})
        if template.get("spec"):
            found.append(PodSpecSource(template["spec"], f"cronjob {name(cj)}", None))
    _sources[key] = (pods, cronjobs, found)
    if len(_sources) > _SOURCES_KEPT:
        _sources.popitem(last=False)
    return found


def per_source(fn: Callable[[PodSpecSource], R]) -> Callable[[PodSpecSource], R]:
    """fn computed once per PodSpecSource; callers must not change what it returns."""
    memo: weakref.WeakKeyDictionary[PodSpecSource, R] = weakref.WeakKeyDictionary()

    @functools.wraps(fn)
    def cached(source: PodSpecSource) -> R:
        try:
            return memo[source]
        except KeyError:
            memo[source] = found = fn(source)
            return found

    return cached


DATA_FIELDS = ("f:data", "f:binaryData", "f:stringData")


def last_write(obj: Obj, fields: tuple[str, ...] = DATA_FIELDS) -> datetime | None:
    """When an object's data was last written, from metadata.managedFields (None without them).

    Only the managers that own data fields count: a label added by another
    tool (kubectl label, a replicator's annotation) changes no value.
    """
    entries = (obj.get("metadata") or {}).get("managedFields") or []
    owning = [e for e in entries if any(f in (e.get("fieldsV1") or {}) for f in fields)]
    times = [parse_time(e.get("time")) for e in (owning or entries)]
    known = [t for t in times if t is not None]
    return max(known) if known else None


def label_selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """matchLabels and matchExpressions, as the API server applies them."""
    if not selector:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True
