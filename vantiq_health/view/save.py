"""--save-snapshot: write what a run read, in the snapshot format, redacted.

Secrets are written as the view holds them: every value a redaction record,
Helm releases as their summaries, the last-applied annotation removed. Pod
specs and ConfigMaps are kept; env values whose names say they are
credentials are redacted too, since some charts put passwords there.
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from vantiq_health import __version__
from vantiq_health.redact import LAST_APPLIED, record_for
from vantiq_health.view.base import ClusterView, Unavailable
from vantiq_health.view.snapshot import META_FILE

_CREDENTIAL_NAME = re.compile(r"pass(word)?|secret|token|api[-_]?key|credential", re.IGNORECASE)


_CREDENTIAL_LINE = re.compile(
    r"^(\s*[\w.-]*(?:pass(?:word)?|secret|token|api[-_]?key)[\w.-]*\s*[=:]\s*)(\S.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def redacted_copy(obj: dict[str, Any]) -> dict[str, Any]:
    """What a saved snapshot may hold of an object: no literal credential anywhere.

    Secrets are already redaction records. Beyond them: env values whose names
    say they are credentials, `password = ...` lines in ConfigMap files (grafana.ini
    keeps its database password there), and kubectl's last-applied annotation,
    which repeats all of those.
    """
    obj = copy.deepcopy(obj)
    annotations = (obj.get("metadata") or {}).get("annotations") or {}
    if annotations.get(LAST_APPLIED) and "vantiq-health" not in annotations[LAST_APPLIED]:
        annotations[LAST_APPLIED] = "(removed by vantiq-health: it repeats the object's values)"
    for spec in _pod_specs(obj):
        for container in (spec.get("containers") or []) + (spec.get("initContainers") or []):
            for env in container.get("env") or []:
                if isinstance(env.get("value"), str) and _CREDENTIAL_NAME.search(env.get("name", "")):
                    env["value"] = record_for(env["value"].encode())
    if obj.get("kind") == "ConfigMap":
        for key, value in (obj.get("data") or {}).items():
            if isinstance(value, str):
                obj["data"][key] = _CREDENTIAL_LINE.sub(_redact_line, value)
    return obj


def _redact_line(match: re.Match[str]) -> str:
    return f"{match.group(1)}<redacted by vantiq-health, {len(match.group(2).encode())} bytes>"


def _pod_specs(obj: dict[str, Any]) -> list[dict[str, Any]]:
    spec = obj.get("spec") or {}
    if obj.get("kind") == "Pod":
        return [spec]
    template = (spec.get("jobTemplate") or {}).get("spec", spec).get("template") or {}
    return [template["spec"]] if "spec" in template else []


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
            "\n".join([f"==== START logs for {where} ====", *lines, f"==== END logs for {where} ===="])
        )
    written = []
    for (namespace, pod), blocks in by_pod.items():
        path = target / namespace / pod / "logs.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(blocks) + "\n")
        written.append(path)
    return written


def _write(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc, indent=1, sort_keys=False, default=str) + "\n")
    return path
