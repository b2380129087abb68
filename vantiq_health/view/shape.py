"""The shape of the objects the cluster view hands out.

The analyses read Kubernetes objects as plain dicts and trust the types the API
server guarantees (a name is a string, restartCount a number). A snapshot is
whatever someone saved, so the view checks those fields before any check sees
them: a field of the wrong type is dropped, an object that cannot be named is
dropped, and each is said in a note. Only fields the analyses read are
checked; the rest of an object passes as it is. Both views can call `fit`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from vantiq_health.i18n import msg
from vantiq_health.view.base import BY_KIND


@dataclass(frozen=True)
class Num:
    """A number the analyses do arithmetic with, within the range Kubernetes allows."""

    low: int = 0
    high: int = 2**31


class Time:
    """An RFC 3339 time, whatever the loader made of it (kubectl writes 2026-11-30T10:00:00Z)."""


class Scalar:
    """A quantity or parameter: a string, or a number YAML left unquoted."""


@dataclass(frozen=True)
class MapOf:
    """A map with string keys (labels, data): each value of the given spec."""

    value: Any


@dataclass(frozen=True)
class OneOf:
    options: tuple[Any, ...]


@dataclass(frozen=True)
class Struct:
    fields: dict[str, Any]
    required: tuple[str, ...] = field(default=())


def _struct(fields: dict[str, Any], required: tuple[str, ...] = ()) -> Struct:
    return Struct(fields, required)


STRMAP = MapOf(str)
SCALARMAP = MapOf(Scalar)
# periodSeconds divides in WL002's advice: Kubernetes requires at least 1.
_PROBE = _struct(
    {
        "initialDelaySeconds": Num(),
        "periodSeconds": Num(1),
        "failureThreshold": Num(),
        "timeoutSeconds": Num(),
    }
)
_KEY_REF = _struct({"name": str, "key": str, "optional": bool, "secretName": str})
_ITEMS = [_struct({"key": str, "path": str})]
_SOURCE = _struct({"name": str, "secretName": str, "optional": bool, "items": _ITEMS})
_CONTAINER = _struct(
    {
        "name": str,
        "image": str,
        "env": [
            _struct(
                {
                    "name": str,
                    "value": str,
                    "valueFrom": {"secretKeyRef": _KEY_REF, "configMapKeyRef": _KEY_REF},
                }
            )
        ],
        "envFrom": [_struct({"secretRef": _KEY_REF, "configMapRef": _KEY_REF, "prefix": str})],
        "volumeMounts": [_struct({"name": str, "mountPath": str})],
        "readinessProbe": _PROBE,
        "livenessProbe": _PROBE,
        "startupProbe": _PROBE,
        "args": [str],
        "command": [str],
    }
)
_VOLUME = _struct(
    {
        "name": str,
        "secret": _SOURCE,
        "configMap": _SOURCE,
        "projected": {
            "sources": [_struct({"secret": _SOURCE, "configMap": _SOURCE, "serviceAccountToken": dict})]
        },
        "persistentVolumeClaim": {"claimName": str},
    }
)
POD_SPEC = _struct(
    {
        "containers": [_CONTAINER],
        "initContainers": [_CONTAINER],
        "ephemeralContainers": [_CONTAINER],
        "volumes": [_VOLUME],
        "nodeName": str,
        "imagePullSecrets": [dict],
    }
)
_STATE = _struct(
    {
        "waiting": {"reason": str, "message": str},
        "running": {"startedAt": Time},
        "terminated": {
            "reason": str,
            "message": str,
            "exitCode": Num(-(2**31)),
            "startedAt": Time,
            "finishedAt": Time,
        },
    }
)
_CONTAINER_STATUS = _struct(
    {"name": str, "ready": bool, "restartCount": Num(), "image": str, "state": _STATE, "lastState": _STATE},
    required=("name",),
)
_EXPR = _struct({"key": str, "operator": str, "values": [str]})
META = _struct(
    {
        "name": str,
        "namespace": str,
        "labels": STRMAP,
        "annotations": STRMAP,
        "ownerReferences": [_struct({"kind": str, "name": str, "controller": bool})],
        "managedFields": [_struct({"time": Time, "fieldsV1": dict, "manager": str})],
        "creationTimestamp": Time,
    }
)
_TEMPLATE = _struct({"metadata": META, "spec": POD_SPEC})
_WORKLOAD = {
    "spec": {
        "replicas": Num(),
        "selector": {"matchLabels": STRMAP, "matchExpressions": [_EXPR]},
        "template": _TEMPLATE,
        "volumeClaimTemplates": [_struct({"metadata": META})],
    },
    "status": {k: Num() for k in ("replicas", "readyReplicas", "desiredNumberScheduled", "numberReady")},
}
_RECORD = _struct({"length": Num(), "defects": [str], "sha256": str, "shape": str, "pem": [dict]})
_DATA = MapOf(OneOf((str, _RECORD)))
_INVOLVED = _struct({"kind": str, "name": str, "namespace": str, "fieldPath": str})
_BY_KIND: dict[str, dict[str, Any]] = {
    "Pod": {
        "spec": POD_SPEC,
        "status": {
            "phase": str,
            "podIP": str,
            "startTime": Time,
            "conditions": [_struct({"type": str, "status": str, "lastTransitionTime": Time})],
            "containerStatuses": [_CONTAINER_STATUS],
            "initContainerStatuses": [_CONTAINER_STATUS],
        },
    },
    "StatefulSet": _WORKLOAD,
    "Deployment": _WORKLOAD,
    "DaemonSet": _WORKLOAD,
    "ReplicaSet": _WORKLOAD,
    "Job": _WORKLOAD,
    "CronJob": {"spec": {"jobTemplate": {"spec": {"template": _TEMPLATE}}}},
    "Secret": {"type": str, "data": _DATA, "binaryData": _DATA, "stringData": SCALARMAP, "helmRelease": dict},
    "ConfigMap": {"data": _DATA, "binaryData": _DATA, "helmRelease": dict},
    "PersistentVolume": {
        "spec": {
            "nodeAffinity": {"required": {"nodeSelectorTerms": [_struct({"matchExpressions": [_EXPR]})]}},
            "claimRef": {"namespace": str, "name": str, "kind": str},
            "capacity": SCALARMAP,
            "accessModes": [str],
            "storageClassName": str,
            "persistentVolumeReclaimPolicy": str,
            "volumeMode": str,
        },
        "status": {"phase": str, "lastPhaseTransitionTime": Time},
    },
    "PersistentVolumeClaim": {
        "spec": {
            "storageClassName": str,
            "volumeName": str,
            "resources": {"requests": SCALARMAP},
            "accessModes": [str],
            "volumeMode": str,
        },
        "status": {"phase": str},
    },
    "StorageClass": {"provisioner": str, "parameters": SCALARMAP, "reclaimPolicy": str},
    "Event": {
        "involvedObject": _INVOLVED,
        "regarding": _INVOLVED,
        "reason": str,
        "message": str,
        "note": str,
        "count": Num(),
        "lastTimestamp": Time,
        "firstTimestamp": Time,
        "eventTime": Time,
        "series": {"count": Num(), "lastObservedTime": Time},
    },
    "Lease": {"spec": {"renewTime": Time, "holderIdentity": str}},
}
_TYPE_NAMES = {str: "string", bool: "bool", dict: "object", list: "list"}


def _type_name(key: str) -> str:
    return msg(f"common.view_type_{key}")


def _said(spec: Any) -> str:
    if isinstance(spec, Num):
        return msg("common.view_type_number_range", low=spec.low, high=spec.high)
    if isinstance(spec, OneOf):
        return msg("common.view_type_either", options=[_said(o) for o in spec.options])
    if spec is Time:
        return _type_name("time")
    if spec is Scalar:
        return _type_name("scalar")
    if isinstance(spec, list):
        return _type_name("list")
    if isinstance(spec, Struct | MapOf | dict):
        return _type_name("object")
    return _type_name(_TYPE_NAMES[spec]) if spec in _TYPE_NAMES else str(spec)


def describe(value: Any) -> str:
    """What a value is, by its type only: the value itself may be a secret."""
    if isinstance(value, bool):
        return _type_name("bool")
    if isinstance(value, int | float):
        return _type_name("number")
    if value is None:
        return _type_name("null")
    name = _TYPE_NAMES.get(type(value))
    return _type_name(name) if name else type(value).__name__


class _Notes:
    def __init__(self, label: str) -> None:
        self.label = label
        self.lines: list[str] = []

    def bad(self, path: _Path, value: Any, spec: Any) -> None:
        self.lines.append(
            msg(
                "common.view_field_ignored",
                label=self.label,
                path=_said_path(path),
                what=describe(value),
                expected=_said(spec),
            )
        )


# A field's path as (parent path, key or index): built as a tuple on the way down, said as
# text only when a field is bad (formatting every path cost a third of a large capture's load).
_Path = tuple[Any, ...] | None


def _said_path(path: _Path) -> str:
    parts: list[str] = []
    while path is not None:
        path, key = path
        parts.append(
            f"[{key}]" if isinstance(key, int) else f"[{key!r}]" if isinstance(key, _Key) else f".{key}"
        )
    return "".join(reversed(parts)).lstrip(".")


class _Key(str):
    """A map key (said as `['key']`), as opposed to a field name."""


def _time(value: Any) -> str | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        if parsed.tzinfo is not None:
            return value
    else:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.isoformat().replace("+00:00", "Z")


def _scalar(spec: Any, value: Any) -> tuple[bool, Any]:
    """(fits, the value to keep) for the leaf specs."""
    if spec is str:
        return isinstance(value, str), value
    if isinstance(spec, Num):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return ok and math.isfinite(value) and spec.low <= value <= spec.high, value
    if spec is Time:
        kept = _time(value)
        return kept is not None, kept
    if spec is Scalar:
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        return ok and (not isinstance(value, float) or math.isfinite(value)), value
    if spec is bool:
        return isinstance(value, bool), value
    return isinstance(value, spec), value


_STRUCTS: dict[int, Struct] = {}


def _as_struct(spec: dict[str, Any]) -> Struct:
    """A nested dict spec as a Struct, made once (the specs are module constants)."""
    found = _STRUCTS.get(id(spec))
    if found is None:
        found = _STRUCTS[id(spec)] = Struct(spec)
    return found


def _fit(value: Any, spec: Any, path: _Path, notes: _Notes) -> tuple[bool, Any]:
    """Whether value fits spec, and the value to keep (bad parts inside it dropped)."""
    if isinstance(spec, dict):
        spec = _as_struct(spec)
    if isinstance(spec, Struct):
        return isinstance(value, dict) and _fit_struct(value, spec, path, notes), value
    if isinstance(spec, list):
        if not isinstance(value, list):
            return False, value
        value[:] = _fit_items(value, spec[0], path, notes)
        return True, value
    if isinstance(spec, OneOf):
        for option in spec.options:
            inner = _Notes(notes.label)
            ok, kept = _fit(value, option, path, inner)
            if ok:
                notes.lines.extend(inner.lines)
                return True, kept
        return False, value
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return False, value
        for key in list(value):
            where = (path, _Key(key) if isinstance(key, str) else repr(key))
            ok, kept = (
                (False, None) if not isinstance(key, str) else _fit(value[key], spec.value, where, notes)
            )
            if ok:
                value[key] = kept
            else:
                notes.bad(where, value.pop(key), spec.value if isinstance(key, str) else str)
        return True, value
    return _scalar(spec, value)


def _fit_items(items: list[Any], spec: Any, path: _Path, notes: _Notes) -> list[Any]:
    kept = []
    for i, item in enumerate(items):
        ok, value = _fit(item, spec, (path, i), notes)
        if ok:
            kept.append(value)
        else:
            notes.bad((path, i), item, spec)
    return kept


def _fit_struct(obj: dict[str, Any], spec: Struct, path: _Path, notes: _Notes) -> bool:
    for key, sub in spec.fields.items():
        if key not in obj:
            continue
        value = obj[key]
        if value is None:  # JSON null: the field is not set
            del obj[key]
            continue
        if sub is str and isinstance(value, str):  # the common leaf, without the calls
            continue
        ok, kept = _fit(value, sub, (path, key), notes)
        if ok:
            obj[key] = kept
        else:
            notes.bad((path, key), obj.pop(key), sub)
    return all(k in obj for k in spec.required)


_KIND_SPECS: dict[str, Struct] = {}


def _kind_spec(kind: str) -> Struct:
    found = _KIND_SPECS.get(kind)
    if found is None:
        found = _KIND_SPECS[kind] = Struct({"metadata": META, **_BY_KIND.get(kind, {})})
    return found


def fit(obj: Any, source: str, kind: str | None = None) -> tuple[dict[str, Any] | None, list[str]]:
    """The object with its ill-typed fields dropped (or None when it cannot be used), and notes on them.

    source names where the object came from (a snapshot file, a URL); kind is the
    object's kind when the object does not say it (items of a typed List).
    """
    kind = kind or (obj.get("kind") if isinstance(obj, dict) else None)
    said_kind = kind if isinstance(kind, str) else msg("common.view_an_object")
    label = msg("common.view_label", what=said_kind, source=source)
    if not isinstance(obj, dict):
        return None, [msg("common.view_not_object", label=label, what=describe(obj))]
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        if meta is None:
            return None, [msg("common.view_no_metadata", label=label)]
        return None, [msg("common.view_bad_metadata", label=label, what=describe(meta))]
    name, namespace = meta.get("name"), meta.get("namespace")
    if not isinstance(name, str) or not name:
        return None, [_bad_meta_field(label, "metadata.name", name if name else None)]
    info = BY_KIND.get(kind) if isinstance(kind, str) else None
    named = f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name
    label = msg("common.view_label", what=f"{kind} {named}", source=source)
    if info and info.namespaced and (not isinstance(namespace, str) or not namespace):
        return None, [_bad_meta_field(label, "metadata.namespace", namespace)]
    notes = _Notes(label)
    _fit_struct(obj, _kind_spec(str(kind)), None, notes)
    return obj, notes.lines


def _bad_meta_field(label: str, field: str, value: Any) -> str:
    if value is None:
        return msg("common.view_missing_meta_field", label=label, field=field)
    return msg("common.view_bad_meta_field", label=label, field=field, what=describe(value))
