"""Decode Helm 3 release storage (Secrets and ConfigMaps) into secret-free summaries.

Helm 3 (pkg/storage/driver/util.go, encodeRelease/decodeRelease) stores each
revision as JSON, gzipped, then base64 encoded with the standard alphabet; the
result is ``data.release`` of a ConfigMap, or the *bytes* of ``data.release`` of a
Secret, which the Kubernetes API therefore shows base64 encoded once more.
Releases written before compression was introduced are not gzipped.

Raw releases hold user values (``config``) and rendered Secrets (``manifest``), so
only :class:`ReleaseRecord` summaries should be kept.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import yaml

Storage = Literal["secret", "configmap"]

SECRET_TYPE = "helm.sh/release.v1"
OBJECT_PREFIX = "sh.helm.release.v1."
_GZIP_MAGIC = b"\x1f\x8b\x08"
_DOC_SEPARATOR = re.compile(r"^---(?:[ \t].*)?\r?$", re.MULTILINE)
_SOURCE_COMMENT = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$", re.MULTILINE)


class HelmDecodeError(ValueError):
    """A Helm release storage object whose payload cannot be decoded."""


@dataclass(frozen=True)
class ManifestObject:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "api_version": self.api_version,
            "kind": self.kind,
            "name": self.name,
            "namespace": self.namespace,
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ManifestObject:
        return cls(
            api_version=str(data["api_version"]),
            kind=str(data["kind"]),
            name=str(data["name"]),
            namespace=_opt_str(data.get("namespace")),
            source=_opt_str(data.get("source")),
        )


@dataclass(frozen=True)
class ReleaseRecord:
    """What is kept of one release revision: identity, status, chart and object refs."""

    name: str
    namespace: str
    revision: int
    status: str
    chart: str
    app_version: str | None
    last_deployed: str | None
    description: str | None
    objects: tuple[ManifestObject, ...]
    storage: Storage
    storage_object: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "namespace": self.namespace,
            "revision": self.revision,
            "status": self.status,
            "chart": self.chart,
            "app_version": self.app_version,
            "last_deployed": self.last_deployed,
            "description": self.description,
            "objects": [obj.to_dict() for obj in self.objects],
            "storage": self.storage,
            "storage_object": self.storage_object,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReleaseRecord:
        return cls(
            name=str(data["name"]),
            namespace=str(data["namespace"]),
            revision=int(data["revision"]),
            status=str(data["status"]),
            chart=str(data["chart"]),
            app_version=_opt_str(data.get("app_version")),
            last_deployed=_opt_str(data.get("last_deployed")),
            description=_opt_str(data.get("description")),
            objects=tuple(ManifestObject.from_dict(o) for o in data.get("objects", ())),
            storage=_storage(data["storage"]),
            storage_object=str(data["storage_object"]),
        )


def decode_release_payload(payload: bytes | str) -> dict[str, Any]:
    """Helm's own encoding: base64 -> gzip (when the magic bytes are there) -> JSON."""
    raw = _b64decode(payload, "release payload")
    if raw.startswith(_GZIP_MAGIC):
        raw = _gunzip(raw)
    try:
        release = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HelmDecodeError(f"release payload is not JSON: {exc}") from None
    if not isinstance(release, dict):
        raise HelmDecodeError(f"release payload is JSON {type(release).__name__}, not an object")
    return release


def encode_release(release: Mapping[str, Any], *, gzip_it: bool = True) -> str:
    """The inverse of :func:`decode_release_payload`, as Helm writes it."""
    data = json.dumps(release, separators=(",", ":")).encode("utf-8")
    if gzip_it:
        data = gzip.compress(data, compresslevel=9, mtime=0)  # Go's gzip writer leaves it 0 too
    return base64.b64encode(data).decode("ascii")


def summarize(release: Mapping[str, Any], *, storage: Storage, storage_object: str) -> ReleaseRecord:
    """Reduce a decoded release to a :class:`ReleaseRecord`; ``config`` is never read."""
    if not isinstance(release.get("name"), str) or not release["name"]:
        raise HelmDecodeError(f"{storage_object}: release has no name")
    info = _mapping(release.get("info"))
    metadata = _mapping(_mapping(release.get("chart")).get("metadata"))
    return ReleaseRecord(
        name=release["name"],
        namespace=str(release.get("namespace") or ""),
        revision=_revision(release.get("version"), storage_object),
        status=str(info.get("status") or "unknown"),
        chart=_chart_label(metadata),
        app_version=_opt_str(metadata.get("appVersion")),
        last_deployed=_opt_str(info.get("last_deployed")),
        description=_opt_str(info.get("description")),
        objects=manifest_objects(str(release.get("manifest") or ""), storage_object),
        storage=storage,
        storage_object=storage_object,
    )


def manifest_objects(manifest: str, where: str = "manifest") -> tuple[ManifestObject, ...]:
    """apiVersion/kind/name/namespace of every object in a rendered manifest."""
    found: list[ManifestObject] = []
    for chunk in _DOC_SEPARATOR.split(manifest):
        source_match = _SOURCE_COMMENT.search(chunk)
        source = source_match.group(1) if source_match else None
        for doc in _load_chunk(chunk, source or where):
            found.extend(_objects_of(doc, source))
    return tuple(found)


def record_from_secret(secret: Mapping[str, Any]) -> ReleaseRecord | None:
    """Summary of a Helm storage Secret as the API returns it (``data`` base64), else None."""
    payload = _release_field(secret, is_secret=True)
    if payload is None:
        return None
    helm_payload = _b64decode(payload, f"Secret {_object_name(secret)} data.release")
    return _record(decode_release_payload(helm_payload), secret, "secret")


def record_from_configmap(configmap: Mapping[str, Any]) -> ReleaseRecord | None:
    """Summary of a Helm storage ConfigMap (``data.release`` is Helm's base64 text), else None."""
    payload = _release_field(configmap, is_secret=False)
    if payload is None:
        return None
    return _record(decode_release_payload(payload), configmap, "configmap")


def latest(records: Iterable[ReleaseRecord]) -> dict[tuple[str, str], ReleaseRecord]:
    """The highest revision per (namespace, name)."""
    newest: dict[tuple[str, str], ReleaseRecord] = {}
    for record in records:
        key = (record.namespace, record.name)
        if key not in newest or record.revision > newest[key].revision:
            newest[key] = record
    return newest


def storage_object_name(release_name: str, revision: int) -> str:
    return f"{OBJECT_PREFIX}{release_name}.v{revision}"


def release_secret(release: Mapping[str, Any], *, gzip_it: bool = True) -> dict[str, Any]:
    """A storage Secret as the Kubernetes API would return it, for tests and scenarios."""
    helm_payload = encode_release(release, gzip_it=gzip_it).encode("ascii")
    obj = _storage_object("Secret", release)
    obj["type"] = SECRET_TYPE
    obj["data"] = {"release": base64.b64encode(helm_payload).decode("ascii")}
    return obj


def release_configmap(release: Mapping[str, Any], *, gzip_it: bool = True) -> dict[str, Any]:
    """A storage ConfigMap as the Kubernetes API would return it, for tests and scenarios."""
    obj = _storage_object("ConfigMap", release)
    obj["data"] = {"release": encode_release(release, gzip_it=gzip_it)}
    return obj


# --- helpers ---------------------------------------------------------------------------


def _storage_object(kind: str, release: Mapping[str, Any]) -> dict[str, Any]:
    revision = int(release["version"])
    labels = {
        "owner": "helm",
        "name": str(release["name"]),
        "version": str(revision),
        "status": str(_mapping(release.get("info")).get("status", "deployed")),
    }
    metadata = {
        "name": storage_object_name(str(release["name"]), revision),
        "namespace": str(release.get("namespace") or "default"),
        "labels": labels,
    }
    return {"apiVersion": "v1", "kind": kind, "metadata": metadata}


def _release_field(obj: Mapping[str, Any], *, is_secret: bool) -> str | None:
    if not is_storage_object(obj, is_secret=is_secret):
        return None
    value = _mapping(obj.get("data")).get("release")
    if not isinstance(value, str) or not value:
        raise HelmDecodeError(f"{_object_name(obj)}: Helm storage object without data.release")
    return value


def is_storage_object(obj: Mapping[str, Any], *, is_secret: bool) -> bool:
    """Whether a Secret (is_secret) or ConfigMap is where Helm 3 stores a release revision.

    The one test of it: the analysis, the decoder and redaction all ask here.
    """
    if is_secret and obj.get("type") == SECRET_TYPE:
        return True
    metadata = _mapping(obj.get("metadata"))
    labels = _mapping(metadata.get("labels"))
    name = str(metadata.get("name") or "")
    # Helm 2 used OWNER=TILLER with another format; only Helm 3 objects qualify.
    return labels.get("owner") == "helm" and name.startswith(OBJECT_PREFIX)


def _record(release: dict[str, Any], obj: Mapping[str, Any], storage: Storage) -> ReleaseRecord:
    metadata = _mapping(obj.get("metadata"))
    if not release.get("namespace") and metadata.get("namespace"):
        release["namespace"] = metadata["namespace"]
    return summarize(release, storage=storage, storage_object=_object_name(obj))


def _load_chunk(chunk: str, where: str) -> list[Any]:
    try:
        return list(yaml.safe_load_all(chunk))
    except yaml.YAMLError as exc:
        raise HelmDecodeError(f"{where}: manifest is not valid YAML: {exc}") from None


def _objects_of(doc: Any, source: str | None) -> Iterator[ManifestObject]:
    if not isinstance(doc, Mapping):
        return
    kind = doc.get("kind")
    items = doc.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for item in items:
            yield from _objects_of(item, source)
        return
    api_version = doc.get("apiVersion")
    if not isinstance(api_version, str) or not isinstance(kind, str) or not api_version or not kind:
        return
    metadata = _mapping(doc.get("metadata"))
    yield ManifestObject(
        api_version=api_version,
        kind=kind,
        name=_scalar(metadata.get("name")) or "",
        namespace=_scalar(metadata.get("namespace")),
        source=source,
    )


def _b64decode(value: bytes | str, what: str) -> bytes:
    data = value.encode("ascii", "replace") if isinstance(value, str) else value
    try:
        # Go's StdEncoding skips newlines; validate=True would reject them.
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HelmDecodeError(f"{what} is not valid base64: {exc}") from None


def _gunzip(data: bytes) -> bytes:
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise HelmDecodeError(f"release payload is not valid gzip: {exc}") from None


def _chart_label(metadata: Mapping[str, Any]) -> str:
    parts = (metadata.get("name"), metadata.get("version"))
    return "-".join(str(part) for part in parts if part)


def _revision(value: Any, where: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise HelmDecodeError(f"{where}: release version {value!r} is not a number") from None


def _object_name(obj: Mapping[str, Any]) -> str:
    return str(_mapping(obj.get("metadata")).get("name") or "<unnamed>")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _opt_str(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _scalar(value: Any) -> str | None:
    # A mapping or list here is a broken manifest; its text must not reach the summary.
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _opt_str(value)
    return None


def _storage(value: Any) -> Storage:
    if value == "secret":
        return "secret"
    if value == "configmap":
        return "configmap"
    raise ValueError(f"unknown Helm storage {value!r}")
