"""--save-snapshot: write what a run read, in the snapshot format, redacted.

The view has sanitized every object as it read it (see `redact`): Secrets
are redaction records, Helm releases their summaries, credential env values,
arguments, annotations and connection-string passwords their record texts.
Saving does it once more (a snapshot is a file that travels) and then runs
every free text — env values, arguments, annotations, ConfigMap files, event
and status messages, container logs — through the run's scrubber, so a value
read from a Secret appears nowhere else either.
"""

from __future__ import annotations

import contextlib
import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from vantiq_health import __version__, redact
from vantiq_health.sensitive import scrub, scrub_any
from vantiq_health.view import node_reads
from vantiq_health.view.base import ClusterView, Unavailable
from vantiq_health.view.snapshot import META_FILE

# Fields whose strings are free text (not names the offline run matches on).
_FREE_TEXT = {"annotations", "env", "args", "command", "data", "binaryData", "message", "value", "notes"}


def redacted_copy(obj: dict[str, Any]) -> dict[str, Any]:
    """What a saved snapshot may hold of an object: no credential, no value the run knows is secret."""
    if not isinstance(obj, dict):
        return obj
    if obj.get("kind") == "Secret":
        if any(not redact.is_record(v) for v in (obj.get("data") or {}).values()) or "stringData" in obj:
            obj = redact.sanitize_secret(obj)[0]
        return _scrub_free_text({k: v for k, v in obj.items() if k != "data"}) | {"data": obj.get("data")}
    if obj.get("kind") == "ConfigMap":
        obj = redact.sanitize_configmap(obj)
    else:
        obj = redact.sanitize_object(copy.deepcopy(obj))
    return _scrub_free_text(obj)


def _scrub_free_text(value: Any, free: bool = False) -> Any:
    if isinstance(value, dict):
        return {k: _scrub_free_text(v, free or k in _FREE_TEXT) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub_free_text(v, free) for v in value]
    return scrub_any(value) if free else value


def save_snapshot(
    view: ClusterView, target: Path, namespaces: list[str], system_namespace: str
) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    per_resource: dict[str, list[dict[str, Any]]] = defaultdict(list)
    listed = []
    for resource, namespace, items in view.listed():
        listed.append([resource, namespace])
        for item in items:
            per_resource[resource].append(redacted_copy(item))
    for resource, items in sorted(per_resource.items()):
        doc = {"apiVersion": "v1", "kind": "List", "metadata": {}, "items": items}
        written.append(_write(target / f"{resource}.json", doc))
    with contextlib.suppress(Unavailable):
        written.append(_write(target / "version.json", {"serverVersion": view.version()}))
    written.extend(_write_logs(view, target))
    written.extend(_write_node_reads(view, target))
    meta = {
        "suite_version": __version__,
        "source": view.describe(),
        "captured_at": view.now().isoformat(),
        "namespaces": namespaces,
        "system_namespace": system_namespace,
        "listed": listed,
        "served_group_versions": sorted(view.served_group_versions() or []),
    }
    written.append(_write(target / META_FILE, meta))
    return written


def _write_logs(view: ClusterView, target: Path) -> list[Path]:
    by_pod: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (namespace, pod, container), lines in sorted(view.read_logs().items()):
        where = f"container {container} of pod {namespace}/{pod}"
        by_pod[(namespace, pod)].append(
            "\n".join(
                [f"==== START logs for {where} ====", *map(scrub, lines), f"==== END logs for {where} ===="]
            )
        )
    written = []
    for (namespace, pod), blocks in by_pod.items():
        path = target / namespace / pod / "logs.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(blocks) + "\n")
        written.append(path)
    return written


def _write_node_reads(view: ClusterView, target: Path) -> list[Path]:
    """The kubelet documents and remembered answers: scrubbed like every free text."""
    written = []
    for (node, path), doc in sorted(view.read_node_proxy().items()):
        file = target / node_reads.saved_name(node, path)
        file.parent.mkdir(parents=True, exist_ok=True)
        written.append(_write(file, _scrub_free_text(doc, free=True)))
    records = view.remembered()
    if records:
        doc = {"kind": node_reads.RECORDS_KIND, "records": _scrub_free_text(records, free=True)}
        written.append(_write(target / node_reads.RECORDS_FILE, doc))
    return written


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n")
    return path
