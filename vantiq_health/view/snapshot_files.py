"""Reading a snapshot's files so that no file can hang the run or exhaust its memory.

Regular files only (a FIFO blocks `open()`, /dev/zero never ends), symlinks only
when they stay inside the snapshot, a size cap per file, YAML without alias
bombs, nesting bounded. What is refused either ends the run with one line
(SetupError) or is skipped with a reason (Skipped) for the header's notes.
"""

from __future__ import annotations

import json
import os
import re
import stat
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from vantiq_health.i18n import msg
from vantiq_health.view.base import KINDS, SetupError

DEFAULT_MAX_FILE_BYTES = 1 << 30
MAX_DEPTH = 100  # Kubernetes objects nest ~20 deep; copies and JSON writers recurse per level
MAX_ALIAS_NODES = 100_000  # nodes YAML aliases may add to a document (kubectl writes none)

try:  # the C parser is ~10x faster on large captures
    _Base: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Base = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


class Skipped(Exception):
    """A file the snapshot does not read; the message says why (one line)."""


def size_text(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


def open_regular(path: Path, root: Path, rel: Path) -> int:
    """A read-only descriptor of a regular file inside root; Skipped for anything else,
    SetupError for a regular file that cannot be read.

    Checked with stat before opening (opening a FIFO blocks) and again on the open
    descriptor, so a file swapped between the two is still refused.
    """
    try:
        st = os.lstat(path)
        target = path
        if stat.S_ISLNK(st.st_mode):
            target = Path(os.path.realpath(path))
            if not target.is_relative_to(root):
                raise Skipped(msg("common.view_skip_link", target=str(target)))
            st = os.stat(target)
    except OSError as exc:  # gone since the walk, or a link to nothing
        raise Skipped(msg("common.view_skip_missing", error=exc.strerror or str(exc))) from None
    if not stat.S_ISREG(st.st_mode):
        raise Skipped(msg("common.view_skip_special", what=_file_type(st.st_mode)))
    try:
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:  # unreadable is not empty: the run cannot judge without it
        raise SetupError(msg("common.snap_unreadable", rel=rel, error=exc.strerror or str(exc))) from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Skipped(msg("common.view_skip_not_regular"))
    return fd


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISDIR, "directory")):
        if test(mode):
            return msg(f"common.view_file_{name}")
    return msg(
        "common.view_file_device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "common.view_file_special"
    )


def read_bounded(fd: int, rel: Path, cap: int, head: int | None = None) -> bytes:
    """The file's bytes (or its first `head` bytes); SetupError when it is over the cap."""
    with os.fdopen(fd, "rb") as fh:
        if head is not None:
            return fh.read(head)
        size = os.fstat(fh.fileno()).st_size
        data = fh.read(cap + 1) if size <= cap else b""
    if size > cap or len(data) > cap:
        size_now = size_text(max(size, len(data)))
        raise SetupError(msg("common.snap_too_big", rel=rel, size=size_now, cap=size_text(cap)))
    return data


def decode(data: bytes, rel: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SetupError(msg("common.snap_not_utf8", rel=rel, error=exc.reason)) from None


# -- YAML ---------------------------------------------------------------------------
def loader_on(base: Any) -> Any:
    """The safe loader on the C parser or the pure-Python one (both construct in Python)."""

    class Loader(base):
        """Documents shaped as JSON, as the API server sends them.

        Timestamps stay the RFC 3339 strings kubectl wrote (PyYAML would make datetimes
        of unquoted ones); keys are strings (`1:` is "1", as sigs.k8s.io/yaml makes it);
        aliases may add at most MAX_ALIAS_NODES nodes, so a "billion laughs" ends here.
        """

        def construct_document(self, node: Node) -> Any:
            _check_graph(node)
            return super().construct_document(node)

        def flatten_mapping(self, node: MappingNode) -> None:
            super().flatten_mapping(node)  # merges `<<: *base` first, so merged keys are strings too
            node.value = [(_key_node(k), v) for k, v in node.value]

    Loader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: str(node.value))
    Loader.add_constructor("tag:yaml.org,2002:binary", lambda loader, node: "".join(node.value.split()))
    return Loader


_Loader = loader_on(_Base)


def _key_node(key: Node) -> Node:
    if isinstance(key, ScalarNode) and key.tag not in (_STR, _MERGE):
        return ScalarNode(_STR, key.value, key.start_mark, key.end_mark)
    return key


class _Refused(Exception):
    def __init__(self, node: Node, why: str) -> None:
        super().__init__(why)
        self.line = node.start_mark.line + 1 if node.start_mark else None


def _check_graph(root: Node) -> None:
    """Depth and alias expansion, counted on the node graph before any object is built."""
    seen: set[int] = set()
    again = 0
    stack: list[tuple[Node, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _Refused(node, f"nested deeper than {MAX_DEPTH} levels")
        if id(node) in seen:
            again += 1
            if again > MAX_ALIAS_NODES:
                raise _Refused(
                    node, f"its aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                )
        else:
            seen.add(id(node))
        if isinstance(node, SequenceNode):
            stack.extend((child, depth + 1) for child in node.value)
        elif isinstance(node, MappingNode):
            for key, value in node.value:
                stack.append((key, depth + 1))
                stack.append((value, depth + 1))


def parse_yaml(text: str, rel: Path, loader: Any = _Loader) -> list[Any]:
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if d is not None]
    except _Refused as exc:
        line = msg("common.snap_line", n=exc.line) if exc.line else ""
        raise SetupError(msg("common.snap_refused", rel=rel, line=line, error=str(exc))) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = msg("common.snap_line", n=mark.line + 1) if mark else ""
        problem = getattr(exc, "problem", None) or "parse error"
        raise SetupError(msg("common.snap_bad_yaml", rel=rel, line=line, error=problem)) from None
    except RecursionError:  # the pure-Python composer recurses per level (libyaml stops at 1000)
        raise SetupError(msg("common.snap_too_deep", rel=rel, depth=MAX_DEPTH)) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of 5000 digits
        raise SetupError(msg("common.snap_bad_yaml", rel=rel, line="", error=type(exc).__name__)) from None


# -- JSON ---------------------------------------------------------------------------
_DECODER = json.JSONDecoder()


def json_doc(text: str, pos: int, rel: Path) -> tuple[Any, int]:
    """One JSON document starting at pos, and where it ends."""
    try:
        doc, end = _DECODER.raw_decode(text, pos)
    except json.JSONDecodeError as exc:
        raise SetupError(
            msg("common.snap_bad_json", rel=rel, line=msg("common.snap_line", n=exc.lineno), error=exc.msg)
        ) from None
    except RecursionError:
        raise SetupError(msg("common.snap_too_deep", rel=rel, depth=MAX_DEPTH)) from None
    except ValueError as exc:  # e.g. an integer of 5000 digits
        line = text.count("\n", 0, pos) + 1
        raise SetupError(
            msg("common.snap_bad_json", rel=rel, line=msg("common.snap_line", n=line), error=str(exc)[:60])
        ) from None
    if too_deep(doc):
        line = text.count("\n", 0, pos) + 1
        raise SetupError(
            msg("common.snap_doc_too_deep", rel=rel, line=msg("common.snap_line", n=line), depth=MAX_DEPTH)
        )
    return doc, end


def too_deep(doc: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest deeper than limit (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > limit:
            return True
        children = value.values() if type(value) is dict else value
        stack.extend((c, depth + 1) for c in children if type(c) is dict or type(c) is list)
    return False


# -- what the view reads besides objects ---------------------------------------------
MARK = re.compile(r"^==== (START|END) logs for container (\S+) of pod (\S+)/(\S+) ====$")
_GO_STRUCT_KEYS = {"Kind", "Metadata", "ObjectMeta", "TypeMeta", "APIVersion", "Items", "Spec", "Status"}


def log_blocks(lines: list[str]) -> dict[tuple[str, str, str], list[str]]:
    """The container logs between cluster-info dump's START and END markers, by (ns, pod, container)."""
    blocks: dict[tuple[str, str, str], list[str]] = {}
    current: tuple[str, str, str] | None = None
    for line in lines:
        mark = MARK.match(line)
        if mark:
            kind, container, namespace, pod = mark.groups()
            current = (namespace, pod, container) if kind == "START" else None
            if current is not None:
                blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return blocks


def parse_time(value: Any) -> datetime | None:
    """An aware datetime from an RFC 3339 string (naive ones are UTC, as Kubernetes writes them)."""
    if not isinstance(value, str) or value[:2] not in ("19", "20"):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _times(obj: dict[str, Any]) -> list[Any]:
    """The fields that move with activity: managedFields writes, events, lease renewals, container
    starts and ends (read where Kubernetes puts them; walking every field cost ~1 s at 5,000 pods)."""
    found: list[Any] = [obj.get("lastTimestamp"), obj.get("eventTime")]
    meta, spec, status = obj.get("metadata"), obj.get("spec"), obj.get("status")
    if isinstance(meta, dict):
        found.extend(m.get("time") for m in meta.get("managedFields") or () if isinstance(m, dict))
    if isinstance(spec, dict):
        found.append(spec.get("renewTime"))
    if isinstance(status, dict):
        for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
            for cs in status.get(key) or ():
                for state in (cs.get("state"), cs.get("lastState")) if isinstance(cs, dict) else ():
                    for detail in state.values() if isinstance(state, dict) else ():
                        if isinstance(detail, dict):
                            found += [detail.get("startedAt"), detail.get("finishedAt")]
    return found


def newest_time(obj: Any) -> datetime | None:
    """The newest time among the fields that move with activity (see `_times`)."""
    if not isinstance(obj, dict):
        return None
    times = [t for t in map(parse_time, _times(obj)) if t is not None]
    return max(times, default=None)


def clean_meta(meta: Any) -> tuple[dict[str, Any], list[str]]:
    """The fields of a vantiq-health-snapshot.json that have their shape, and the names of those that do not."""
    if not isinstance(meta, dict):
        return {}, ["not a JSON object"]
    clean: dict[str, Any] = {}
    checks = {
        "listed": lambda v: (
            isinstance(v, list)
            and all(
                isinstance(p, list) and len(p) == 2 and p[0] in KINDS and isinstance(p[1], str | None)
                for p in v
            )
        ),
        "namespaces": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
        "served_group_versions": lambda v: isinstance(v, list) and all(isinstance(n, str) for n in v),
        "captured_at": lambda v: parse_time(v) is not None,
        "system_namespace": lambda v: isinstance(v, str),
        "source": lambda v: isinstance(v, dict),
    }
    bad = []
    for key, fits in checks.items():
        if key in meta and meta[key] is not None:
            if fits(meta[key]):
                clean[key] = meta[key]
            else:
                bad.append(key)
    if "captured_at" in clean:  # one form, so that the newest of several meta files is the greatest
        clean["captured_at"] = parse_time(clean["captured_at"]).astimezone(UTC).isoformat()  # type: ignore[union-attr]
    return clean, bad


def not_understood(doc: dict[Any, Any]) -> str:
    """Why an object that is no Kubernetes object the checks read is ignored."""
    go_keys = sorted(k for k in doc if k in _GO_STRUCT_KEYS)
    if go_keys:
        return msg("common.view_go_struct", keys=", ".join(go_keys))
    kind = doc.get("kind")
    if isinstance(kind, str) and kind:
        return msg("common.view_kind_unread", kind=kind[:40])
    return msg("common.view_no_kind")


def unread_items(items: list[Any]) -> str:
    """Why some items of a list are ignored (one line for all of them)."""
    kinds = sorted({i["kind"][:40] for i in items if isinstance(i, dict) and isinstance(i.get("kind"), str)})
    odd = [i for i in items if not isinstance(i, dict) or not isinstance(i.get("kind"), str)]
    shown = ", ".join(kinds[:6]) + (", ..." if len(kinds) > 6 else "")
    parts = [msg("common.view_unread_kinds", kinds=shown)] * bool(kinds)
    if odd:
        go = any(isinstance(i, dict) and set(i) & _GO_STRUCT_KEYS for i in odd)
        what = msg("common.view_unread_go" if go else "common.view_unread_no_kind")
        parts.append(msg("common.view_unread_odd", n=len(odd), what=what))
    return msg("common.view_unread_items", n=len(items), parts=parts)
