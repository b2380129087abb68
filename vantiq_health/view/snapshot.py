"""The offline cluster view: saved `kubectl get -o json|yaml` output and cluster-info dumps.

A snapshot is any directory of: Lists or single objects in JSON or YAML (any
file names, nested folders, any mix of namespaces); the layout of
`kubectl cluster-info dump --output-directory` (NS/pods.json, NS/POD/logs.txt);
`kubectl version -o json` output; and what `--save-snapshot` writes.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from vantiq_health import redact
from vantiq_health.view.base import BY_KIND, ClusterView, SetupError, Unavailable, kind_info

META_FILE = "vantiq-health-snapshot.json"
ALL = "*"  # a kind captured for every namespace

_MARK = re.compile(r"^==== (START|END) logs for container (\S+) of pod (\S+)/(\S+) ====$")
_DUMP_LOG_ERROR = "Request log error:"
_TIME_FIELDS = ("renewTime", "lastTimestamp", "eventTime", "startedAt", "finishedAt", "time")

try:  # the C loader is ~10x faster on large captures
    _YamlLoader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _YamlLoader = yaml.SafeLoader


def _resource_of(obj: dict[str, Any]) -> str | None:
    kind = BY_KIND.get(str(obj.get("kind", "")))
    return kind.resource if kind else None


def _normalize_event(obj: dict[str, Any]) -> dict[str, Any]:
    """events.k8s.io/v1 Events read like core v1 ones (involvedObject, message)."""
    if str(obj.get("apiVersion", "")).startswith("events.k8s.io/"):
        obj.setdefault("involvedObject", obj.get("regarding", {}))
        obj.setdefault("message", obj.get("note", ""))
        obj.setdefault("lastTimestamp", (obj.get("series") or {}).get("lastObservedTime"))
        obj.setdefault("count", (obj.get("series") or {}).get("count", 1))
    return obj


class SnapshotView(ClusterView):
    mode = "snapshot"

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        self._objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.coverage: dict[str, set[str]] = defaultdict(set)  # resource -> namespaces or ALL
        self.pod_logs: dict[tuple[str, str, str], list[str]] = {}
        self.log_dirs: set[tuple[str, str]] = set()
        self._version: dict[str, Any] | None = None
        self.meta: dict[str, Any] = {}
        self.ignored: list[str] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._captures: list[tuple[str, frozenset[str], bool, str | None]] = []
        self._load_dir()

    # -- loading ------------------------------------------------------------
    def _load_dir(self) -> None:
        if not self.root.is_dir():
            raise SetupError(f"snapshot {self.root} is not a directory")
        for path in sorted(self._files()):
            if path.name == "logs.txt":
                self._load_logs(path)
            elif path.name == META_FILE:
                self._merge_meta(self._parse(path)[0])
            elif path.suffix in (".json", ".yaml", ".yml") or _is_dump_stream(path):
                for doc in self._parse(path):
                    self._take(doc, path)
        self._settle_coverage()
        for resource, namespace in self.meta.get("listed", []):
            self.coverage[resource].add(namespace or ALL)
        if not self._objects and not self.pod_logs:
            raise SetupError(f"snapshot {self.root} holds no Kubernetes objects")

    def _merge_meta(self, meta: Any) -> None:
        """Snapshots saved by several xdist workers hold one meta file each: merge them."""
        if not isinstance(meta, dict):
            return
        merged = self.meta
        for key in ("listed", "namespaces", "served_group_versions"):
            merged[key] = merged.get(key, []) + [v for v in meta.get(key, []) if v not in merged.get(key, [])]
        merged["captured_at"] = max(merged.get("captured_at", ""), meta.get("captured_at", ""))
        merged.setdefault("system_namespace", meta.get("system_namespace"))
        merged.setdefault("source", meta.get("source"))

    def _files(self) -> list[Path]:
        found: list[Path] = []
        for dirpath, _, names in os.walk(self.root):
            found.extend(Path(dirpath) / n for n in names)
        return found

    def _parse(self, path: Path) -> list[Any]:
        rel = path.relative_to(self.root)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SetupError(f"snapshot file {rel}: cannot read it: {exc}") from None
        if not text.strip():
            return []
        if path.suffix in (".json", ".txt", ".log"):
            return self._parse_json_stream(text, rel)
        try:
            return [d for d in yaml.load_all(text, Loader=_YamlLoader) if d is not None]
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f", line {mark.line + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "parse error"
            raise SetupError(f"snapshot file {rel}{line}: not valid YAML ({problem})") from None

    def _parse_json_stream(self, text: str, rel: Path) -> list[Any]:
        """One JSON document, or what `kubectl cluster-info dump > FILE` writes to stdout:
        JSON documents one after another, with the pods' log blocks between them."""
        decoder, docs, pos = json.JSONDecoder(), [], 0
        log_lines: list[str] = []
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            if text[pos] in "{[":
                try:
                    doc, pos = decoder.raw_decode(text, pos)
                except json.JSONDecodeError as exc:
                    raise SetupError(
                        f"snapshot file {rel}, line {exc.lineno}: not valid JSON ({exc.msg})"
                    ) from None
                docs.append(doc)
                continue
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            log_lines.append(text[pos:end])
            pos = end + 1
        if log_lines and not any(_MARK.match(line) for line in log_lines):
            line = text[: text.find(log_lines[0])].count("\n") + 1
            raise SetupError(
                f"snapshot file {rel}, line {line}: not valid JSON (text outside a JSON document)"
            )
        for key, lines in _log_blocks(log_lines).items():
            self.pod_logs[key] = lines
            self.log_dirs.add(key[:2])
        return docs

    def _dir_namespace(self, path: Path) -> str | None:
        """cluster-info dump keeps a namespace's lists in a folder named after it."""
        rel = path.relative_to(self.root)
        return rel.parts[-2] if len(rel.parts) >= 2 else None

    def _take(self, doc: Any, path: Path) -> None:
        if not isinstance(doc, dict):
            self.ignored.append(str(path.relative_to(self.root)))
            return
        if "serverVersion" in doc:
            self._version = doc["serverVersion"]
            return
        if "gitVersion" in doc and "major" in doc:
            self._version = doc
            return
        kind = str(doc.get("kind", ""))
        if isinstance(doc.get("items"), list):
            item_kind = kind[:-4] if kind.endswith("List") and kind != "List" else None
            self._take_items(doc["items"], item_kind, path)
        elif _resource_of(doc):
            self._take_items([doc], None, path)
        else:
            self.ignored.append(str(path.relative_to(self.root)))

    def _take_items(self, items: list[Any], item_kind: str | None, path: Path) -> None:
        spans: dict[str, set[str]] = defaultdict(set)
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("metadata", {}), dict):
                continue
            if item_kind and "kind" not in item:
                item["kind"] = item_kind
            resource = _resource_of(item)
            if resource is None:
                continue
            meta = item.get("metadata") or {}
            spans[resource].add(meta.get("namespace") or "")
            key = (resource, meta.get("namespace") or "", meta.get("name") or "")
            if key in self._seen:  # the same object captured twice (e.g. -A and -n)
                continue
            self._seen.add(key)
            if resource == "events":
                item = _normalize_event(item)
            self._objects[resource].append(item)
        typed = bool(item_kind and item_kind in BY_KIND)
        if typed and not items:
            spans[BY_KIND[str(item_kind)].resource] = set()
        for resource, namespaces in spans.items():
            self._captures.append((resource, frozenset(namespaces), typed, self._dir_namespace(path)))

    def _settle_coverage(self) -> None:
        """Which namespaces each kind was captured for.

        A list spanning several namespaces came from `kubectl get -A`; when the
        snapshot was captured that way, a list whose items all sit in one
        namespace (DaemonSets only in `shared`) is an -A listing too.
        """
        wide_style = any(not typed and len(nss) > 1 for _, nss, typed, _ in self._captures)
        for resource, namespaces, typed, dir_ns in self._captures:
            if not kind_info(resource).namespaced or len(namespaces) > 1:
                self.coverage[resource].add(ALL)
            elif typed and dir_ns:  # cluster-info dump: NS/pods.json
                self.coverage[resource].add(dir_ns)
            elif (not typed and wide_style) or (typed and not namespaces):
                self.coverage[resource].add(ALL)
            else:
                self.coverage[resource].update(namespaces)

    def _load_logs(self, path: Path) -> None:
        rel = path.relative_to(self.root).parts
        if len(rel) < 3:
            return
        namespace, pod = rel[-3], rel[-2]
        self.log_dirs.add((namespace, pod))
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        blocks = _log_blocks(lines)
        self.pod_logs.update(blocks)
        if not blocks and lines:
            self.pod_logs[(namespace, pod, "")] = lines  # older kubectl wrote one unmarked log per pod

    # -- the view -------------------------------------------------------------
    def namespaces(self) -> set[str]:
        found = {str(o["metadata"]["name"]) for o in self._objects.get("namespaces", [])}
        for resource, objs in self._objects.items():
            if kind_info(resource).namespaced:
                found.update(str(o.get("metadata", {}).get("namespace", "")) for o in objs)
        found.update(ns for ns, _ in self.log_dirs)
        found.update(self.meta.get("namespaces", []))
        found.discard("")
        return found

    def _user_secrets(self) -> list[dict[str, Any]]:
        skip = {"helm.sh/release.v1", "kubernetes.io/service-account-token"}
        return [s for s in self._objects.get("secrets", []) if s.get("type") not in skip]

    def secret_keys_known(self) -> bool:
        secrets = self._user_secrets()
        return not secrets or any("data" in s for s in secrets)

    def secret_values_redacted(self) -> str | None:
        """The API server only returns valid base64: a snapshot where no value decodes, or where
        every value is the same, was redacted when it was captured, not broken in the cluster."""
        if not self.secret_keys_known():
            return "the snapshot's Secrets carry no data (captured without values)"
        values = [
            v for s in self._user_secrets() for v in (s.get("data") or {}).values() if isinstance(v, str)
        ]
        if values and all(redact.decode_b64(v) is None for v in values):
            return "none of the snapshot's Secret values is base64: they were redacted when it was captured"
        if len(values) >= 3 and len(set(values)) == 1:
            return "every Secret value in the snapshot is the same: they were redacted when it was captured"
        return None

    def namespace_exists(self, namespace: str) -> bool | None:
        return namespace in self.namespaces()

    def _fetch(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        covered = self.coverage.get(resource, set())
        if not covered:
            raise Unavailable(f"the snapshot holds no {resource} (capture: {capture(resource, namespace)})")
        if namespace is not None and ALL not in covered and namespace not in covered:
            raise Unavailable(
                f"the snapshot holds {resource} of {', '.join(sorted(covered))} but not of "
                f"{namespace} (capture: {capture(resource, namespace)})"
            )
        objs = self._objects.get(resource, [])
        if namespace is None:
            return list(objs)
        return [o for o in objs if (o.get("metadata") or {}).get("namespace") == namespace]

    def _fetch_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool) -> list[str]:
        if previous:
            raise Unavailable("a snapshot holds no previous container logs")
        lines = self.pod_logs.get((namespace, pod, container))
        if lines is None:
            lines = self.pod_logs.get((namespace, pod, ""))
        if lines and len(lines) == 1 and lines[0].startswith(_DUMP_LOG_ERROR):
            # cluster-info dump writes this line in the block when it could not read the log
            raise Unavailable(f"the snapshot has no log of {namespace}/{pod} [{container}]: {lines[0]}")
        if lines is None:
            raise Unavailable(
                f"the snapshot holds no log of {namespace}/{pod} [{container}] "
                f"(capture: kubectl cluster-info dump --namespaces {namespace} --output-directory DIR)"
            )
        return lines[-tail:] if tail else list(lines)

    def version(self) -> dict[str, Any]:
        if self._version is None:
            raise Unavailable("the snapshot holds no server version (capture: kubectl version -o json)")
        return self._version

    def served_group_versions(self) -> frozenset[str] | None:
        served = self.meta.get("served_group_versions")
        return frozenset(served) if served else None

    def now(self) -> datetime:
        """The capture time: the newest timestamp in the snapshot (leases renew every 10 s)."""
        if self.meta.get("captured_at"):
            return datetime.fromisoformat(self.meta["captured_at"])
        newest: datetime = self._once(("now",), self._newest)
        return newest

    def _newest(self) -> datetime:
        newest = ""
        for objs in self._objects.values():
            for obj in objs:
                newest = max(newest, _newest_time(obj))
        if newest:
            return datetime.fromisoformat(newest.replace("Z", "+00:00"))
        mtime = max(p.stat().st_mtime for p in self._files())
        return datetime.fromtimestamp(mtime, UTC)

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "snapshot",
            "snapshot": str(self.root),
            "captured_at": self.now().isoformat(),
        }


def _is_dump_stream(path: Path) -> bool:
    """A .txt/.log file that starts like `kubectl cluster-info dump` output (a JSON document)."""
    if path.suffix not in (".txt", ".log"):
        return False
    with path.open("rb") as fh:
        return fh.read(256).lstrip().startswith(b"{")


def _log_blocks(lines: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """The container logs between cluster-info dump's START and END markers, by (ns, pod, container)."""
    blocks: dict[tuple[str, str, str], list[str]] = {}
    current: tuple[str, str, str] | None = None
    for line in lines:
        mark = _MARK.match(line)
        if mark:
            kind, container, namespace, pod = mark.groups()
            current = (namespace, pod, container) if kind == "START" else None
            if current is not None:
                blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return blocks


def _newest_time(obj: Any, depth: int = 0) -> str:
    """The greatest RFC 3339 timestamp among the known time fields, however nested."""
    best = ""
    if depth > 8:
        return best
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in _TIME_FIELDS and isinstance(value, str) and value[:2] in ("19", "20"):
                best = max(best, value)
            elif isinstance(value, dict | list):
                best = max(best, _newest_time(value, depth + 1))
    elif isinstance(obj, list):
        for value in obj:
            best = max(best, _newest_time(value, depth + 1))
    return best


def capture(resource: str, namespace: str | None = None) -> str:
    kind = kind_info(resource)
    if not kind.namespaced:
        return f"kubectl get {resource} -o json"
    where = f"-n {namespace}" if namespace else "-A"
    return f"kubectl get {resource} {where} -o json --show-managed-fields"
