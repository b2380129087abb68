"""The offline cluster view: saved `kubectl get -o json|yaml` output and cluster-info dumps.

A snapshot is any directory of: Lists or single objects in JSON or YAML (any
file names, nested folders, any mix of namespaces); the layout of
`kubectl cluster-info dump --output-directory` (NS/pods.json, NS/POD/logs.txt);
`kubectl version -o json` output; and what `--save-snapshot` writes.
"""

from __future__ import annotations

import os
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vantiq_health import redact
from vantiq_health.apis import Version
from vantiq_health.i18n import msg, reason_of
from vantiq_health.view import node_reads, shape
from vantiq_health.view.base import BY_KIND, ClusterView, SetupError, Unavailable, kind_info, review_key
from vantiq_health.view.snapshot_files import (
    DEFAULT_MAX_FILE_BYTES,
    MARK,
    Skipped,
    clean_meta,
    decode,
    json_doc,
    log_blocks,
    newest_time,
    not_understood,
    open_regular,
    parse_yaml,
    read_bounded,
    unread_items,
)

META_FILE = "vantiq-health-snapshot.json"
ALL = "*"  # a kind captured for every namespace
MAX_NOTES = 20

_DUMP_LOG_ERROR = "Request log error:"
_READ = (".json", ".yaml", ".yml")


def _resource_of(obj: dict[str, Any]) -> str | None:
    kind = BY_KIND.get(obj["kind"]) if isinstance(obj.get("kind"), str) else None
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

    def __init__(self, root: Path, max_file_bytes: int = DEFAULT_MAX_FILE_BYTES) -> None:
        super().__init__()
        self.root = root
        self.max_file_bytes = max_file_bytes
        self._real_root = Path(os.path.realpath(root))
        self._objects: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.coverage: dict[str, set[str]] = defaultdict(set)  # resource -> namespaces or ALL
        self.pod_logs: dict[tuple[str, str, str], list[str]] = {}
        self.log_dirs: set[tuple[str, str]] = set()
        self._version: dict[str, Any] | None = None
        self.meta: dict[str, Any] = {}
        self.ignored: list[str] = []
        self.notes: list[str] = []  # one line each, for the report header
        self._unshown = 0
        self._read_files: list[Path] = []
        self._seen: set[tuple[str, str, str]] = set()
        self._captures: list[tuple[str, frozenset[str], bool, str | None]] = []
        self._node_docs: dict[tuple[str, str], dict[str, Any]] = {}
        self._load_dir()

    # -- loading ------------------------------------------------------------
    def note(self, line: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(line)
            return
        self._unshown += 1
        more = msg("common.view_more_notes", n=self._unshown)
        if self._unshown == 1:
            self.notes.append(more)
        else:
            self.notes[-1] = more

    def _ignore(self, path: Path, why: str) -> None:
        rel = str(path.relative_to(self.root))
        if rel not in self.ignored:
            self.ignored.append(rel)
        self.note(msg("common.view_ignored", rel=rel, why=why))

    def _load_dir(self) -> None:
        if not self.root.is_dir():
            raise SetupError(msg("common.snap_not_dir", root=str(self.root)))
        for path in sorted(self._files()):
            if path.name == "logs.txt":
                self._load_logs(path)
            elif path.name == META_FILE:
                for doc in self._parse(path):
                    self._merge_meta(doc, path)
            elif path.suffix in _READ or self._is_dump_stream(path):
                for doc in self._parse(path):
                    self._take(doc, path)
        self._settle_coverage()
        for resource, namespace in self.meta.get("listed", []):
            self.coverage[resource].add(namespace or ALL)
        if not self._objects and not self.pod_logs and not self._node_docs:
            raise SetupError(msg("common.snap_empty", root=str(self.root), why=self._why_empty()))

    def _why_empty(self) -> str:
        more = "; ..." if len(self.notes) > 1 else ""
        return msg("common.view_why_empty", note=self.notes[0], more=more) if self.notes else ""

    def _merge_meta(self, meta: Any, path: Path) -> None:
        """Snapshots saved by several xdist workers hold one meta file each: merge them."""
        clean, bad = clean_meta(meta)
        if bad:
            self._ignore(path, msg("common.view_meta_bad", fields=", ".join(bad)))
        merged = self.meta
        for key in ("listed", "namespaces", "served_group_versions"):
            merged[key] = merged.get(key, []) + [
                v for v in clean.get(key, []) if v not in merged.get(key, [])
            ]
        merged["captured_at"] = max(merged.get("captured_at", ""), clean.get("captured_at", ""))
        merged.setdefault("system_namespace", clean.get("system_namespace"))
        merged.setdefault("source", clean.get("source"))

    def _files(self) -> list[Path]:
        """The snapshot's files, walked without following links out of it."""
        found: list[Path] = []
        for dirpath, dirnames, names in os.walk(self.root):
            for name in dirnames:  # os.walk does not descend into links: a link inside is walked anyway
                linked = Path(dirpath) / name
                if linked.is_symlink() and not Path(os.path.realpath(linked)).is_relative_to(self._real_root):
                    self._ignore(linked, msg("common.view_link_outside", target=os.path.realpath(linked)))
            found.extend(Path(dirpath) / n for n in names)
        return found

    def _read(self, path: Path, head: int | None = None) -> bytes | None:
        """The bytes of a regular file of the snapshot, or None (noted) for anything else."""
        rel = path.relative_to(self.root)
        try:
            fd = open_regular(path, self._real_root, rel)
        except Skipped as exc:
            self._ignore(path, reason_of(exc))
            return None
        data = read_bounded(fd, rel, self.max_file_bytes, head)
        if head is None:
            self._read_files.append(path)
        return data

    def _is_dump_stream(self, path: Path) -> bool:
        """A .txt/.log file that starts like `kubectl cluster-info dump` output (a JSON document)."""
        if path.suffix not in (".txt", ".log"):
            return False
        head = self._read(path, head=256)
        return head is not None and head.lstrip().startswith(b"{")

    def _parse(self, path: Path) -> list[Any]:
        rel = path.relative_to(self.root)
        data = self._read(path)
        if data is None:
            return []
        text = decode(data, rel)
        del data
        if not text.strip():
            return []
        if path.suffix in (".json", ".txt", ".log"):
            return self._parse_json_stream(text, rel)
        return parse_yaml(text, rel)

    def _parse_json_stream(self, text: str, rel: Path) -> list[Any]:
        """One JSON document, or what `kubectl cluster-info dump > FILE` writes to stdout:
        JSON documents one after another, with the pods' log blocks between them."""
        docs, pos = [], 0
        log_lines: list[str] = []
        in_log = False  # between START and END markers every line is a log line, "[" or "{" first too
        while pos < len(text):
            while pos < len(text) and text[pos].isspace():
                pos += 1
            if pos >= len(text):
                break
            if text[pos] in "{[" and not in_log:
                doc, pos = json_doc(text, pos, rel)
                docs.append(doc)
                continue
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            log_lines.append(text[pos:end])
            if marker := MARK.match(log_lines[-1]):
                in_log = marker.group(1) == "START"
            pos = end + 1
        if log_lines and not any(MARK.match(line) for line in log_lines):
            line = text[: text.find(log_lines[0])].count("\n") + 1
            raise SetupError(msg("common.snap_text_outside", rel=rel, line=msg("common.snap_line", n=line)))
        for key, lines in log_blocks(log_lines).items():
            self.pod_logs[key] = lines
            self.log_dirs.add(key[:2])
        return docs

    def _dir_namespace(self, path: Path) -> str | None:
        """cluster-info dump keeps a namespace's lists in a folder named after it."""
        rel = path.relative_to(self.root)
        return rel.parts[-2] if len(rel.parts) >= 2 else None

    def _take(self, doc: Any, path: Path) -> None:
        node_doc, records = node_reads.classify(doc, path), node_reads.records_of(doc)
        if node_doc is not None:
            self._node_docs[node_doc] = doc
        elif records is not None:
            self._remembered.update(records)
        elif not isinstance(doc, dict):
            self._ignore(path, msg("common.view_bad_document", what=shape.describe(doc)))
        elif "serverVersion" in doc or ("gitVersion" in doc and "major" in doc):
            self._take_version(doc.get("serverVersion", doc), path)
        elif isinstance(doc.get("items"), list):
            kind = doc["kind"] if isinstance(doc.get("kind"), str) else ""
            item_kind = kind[:-4] if kind.endswith("List") and kind != "List" else None
            self._take_items(doc["items"], item_kind, path)
        elif _resource_of(doc):
            self._take_items([doc], None, path)
        else:
            self._ignore(path, not_understood(doc))

    def _take_version(self, version: Any, path: Path) -> None:
        try:
            Version.parse(version if isinstance(version, dict) else "")
        except ValueError:
            self._ignore(path, msg("common.view_bad_version"))
            return
        self._version = version

    def _take_items(self, items: list[Any], item_kind: str | None, path: Path) -> None:
        spans: dict[str, set[str]] = defaultdict(set)
        unread: list[Any] = []
        for item in items:
            if isinstance(item, dict) and item_kind and "kind" not in item:
                item["kind"] = item_kind
            resource = _resource_of(item) if isinstance(item, dict) else None
            if resource is None:
                unread.append(item)
                continue
            item, lines = shape.fit(item, str(path.relative_to(self.root)))
            for line in lines:
                self.note(line)
            if item is not None:
                self._keep(item, resource, spans)
        if unread:
            self._ignore(path, unread_items(unread))
        typed = bool(item_kind and item_kind in BY_KIND)
        if typed and not items:
            spans[BY_KIND[str(item_kind)].resource] = set()
        for resource, namespaces in spans.items():
            self._captures.append((resource, frozenset(namespaces), typed, self._dir_namespace(path)))

    def _keep(self, item: dict[str, Any], resource: str, spans: dict[str, set[str]]) -> None:
        meta = item["metadata"]
        namespace = meta.get("namespace") or "" if kind_info(resource).namespaced else ""
        spans[resource].add(namespace)
        key = (resource, namespace, meta["name"])
        if key in self._seen:  # the same object captured twice (e.g. -A and -n)
            return
        self._seen.add(key)
        if resource == "events":
            item = _normalize_event(item)
        self._objects[resource].append(item)

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
        data = self._read(path)
        if data is None:
            return
        namespace, pod = rel[-3], rel[-2]
        self.log_dirs.add((namespace, pod))
        lines = data.decode("utf-8", errors="replace").splitlines()
        blocks = log_blocks(lines)
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
            return msg("common.snapshot_no_secret_data")
        values = [
            v for s in self._user_secrets() for v in (s.get("data") or {}).values() if isinstance(v, str)
        ]
        if values and all(redact.decode_b64(v) is None for v in values):
            return "none of the snapshot's Secret values is base64: they were redacted when it was captured"
        if len(values) >= 3 and len(set(values)) == 1:
            return "every Secret value in the snapshot is the same: they were redacted when it was captured"
        return None

    def namespaces_present(self) -> list[str]:
        """The namespaces the snapshot holds objects, logs or a Namespace of, sorted."""
        return sorted(self.namespaces())

    def namespace_exists(self, namespace: str) -> bool | None:
        """True when the snapshot holds something of it; None when it cannot tell: a capture of
        cluster-scoped objects only (PVs, nodes) says nothing about namespaces."""
        if namespace in self.namespaces():
            return True
        if self.coverage.get("namespaces") or self.meta.get("namespaces"):
            return False  # the Namespace list itself was captured
        namespaced = any(kind_info(r).namespaced for r, objs in self._objects.items() if objs)
        return False if namespaced or self.log_dirs else None

    def _fetch(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        covered = self.coverage.get(resource, set())
        if not covered:
            raise Unavailable(
                msg("common.snapshot_lacks", resource=resource, capture=capture(resource, namespace))
            )
        if namespace is not None and ALL not in covered and namespace not in covered:
            raise Unavailable(
                msg(
                    "common.snapshot_lacks_ns",
                    resource=resource,
                    covered=", ".join(sorted(covered)),
                    namespace=namespace,
                    capture=capture(resource, namespace),
                )
            )
        objs = self._objects.get(resource, [])
        if namespace is None:
            return list(objs)
        return [o for o in objs if (o.get("metadata") or {}).get("namespace") == namespace]

    def _fetch_logs(self, namespace: str, pod: str, container: str, tail: int, previous: bool) -> list[str]:
        if previous:
            raise Unavailable(msg("common.snapshot_no_previous"))
        lines = self.pod_logs.get((namespace, pod, container))
        if lines is None:
            lines = self.pod_logs.get((namespace, pod, ""))
        if lines and len(lines) == 1 and lines[0].startswith(_DUMP_LOG_ERROR):
            # cluster-info dump writes this line in the block when it could not read the log
            raise Unavailable(f"the snapshot has no log of {namespace}/{pod} [{container}]: {lines[0]}")
        if lines is None:
            raise Unavailable(
                msg(
                    "common.snapshot_no_log",
                    pod=f"{namespace}/{pod}",
                    container=container,
                    namespace=namespace,
                )
            )
        return lines[-tail:] if tail else list(lines)

    def _fetch_node_proxy(self, node: str, path: str) -> dict[str, Any]:
        # configz names no node: one captured under a name the loader could not read serves them all
        doc = self._node_docs.get((node, path)) or self._node_docs.get(("", path))
        if doc is None:
            raise Unavailable(
                msg(
                    "common.snapshot_no_node_doc",
                    path=path,
                    node=node,
                    capture=node_reads.capture(node, path),
                )
            )
        return doc

    def _review(self, user: str, groups: tuple[str, ...], verb: str, resource: str) -> bool:
        saved = self.recall(review_key(user, verb, resource))
        if saved is None or not isinstance(saved.get("allowed"), bool):
            raise Unavailable(
                f"the snapshot holds no SubjectAccessReview answer for {user} {verb} {resource} "
                "(a live run's --save-snapshot stores them)"
            )
        return bool(saved["allowed"])

    def version(self) -> dict[str, Any]:
        if self._version is None:
            raise Unavailable(msg("common.snapshot_no_version"))
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
        found = [t for objs in self._objects.values() for obj in objs if (t := newest_time(obj))]
        if found:
            return max(found)
        mtimes = [p.stat().st_mtime for p in self._read_files if p.exists()]
        return datetime.fromtimestamp(max(mtimes), UTC) if mtimes else datetime.now(UTC)

    def describe(self) -> dict[str, Any]:
        return {
            "mode": "snapshot",
            "snapshot": str(self.root),
            "captured_at": self.now().isoformat(),
        }


def capture(resource: str, namespace: str | None = None) -> str:
    kind = kind_info(resource)
    if not kind.namespaced:
        return f"kubectl get {resource} -o json"
    where = f"-n {namespace}" if namespace else "-A"
    return f"kubectl get {resource} {where} -o json --show-managed-fields"
