"""Reads beyond lists and logs: kubelet documents through the nodes proxy, and remembered answers.

The kubelet's stats summary (`/api/v1/nodes/NODE/proxy/stats/summary`, volume usage per pod)
and its running config (`.../proxy/configz`, the cluster domain) need `get nodes/proxy`, which
reaches the kubelet API: an optional permission, never the read-only role's. A snapshot takes
them as captured with `kubectl get --raw` (recognized by their shape, wherever they lie) or as
`--save-snapshot` wrote them.

Remembered answers are what a live run learned that no list holds — a probe's record, a
SubjectAccessReview's answer — saved under a key so a snapshot gives the same verdict offline.
They are plain JSON the run already scrubbed; never a credential.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

STATS_SUMMARY, CONFIGZ = "stats/summary", "configz"
PATHS = (STATS_SUMMARY, CONFIGZ)
RECORDS_KIND = "VantiqHealthRecords"
RECORDS_FILE = "vantiq-health-records.json"
_NODE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def proxy_path(node: str, path: str) -> str:
    if path not in PATHS:
        raise ValueError(f"not a kubelet document the suite reads: {path!r}")
    return f"/api/v1/nodes/{node}/proxy/{path}"


def capture(node: str, path: str) -> str:
    """How an operator captures it for a snapshot."""
    stem = "stats-summary" if path == STATS_SUMMARY else "configz"
    return f"kubectl get --raw {proxy_path(node, path)} > {stem}-{node}.json"


def saved_name(node: str, path: str) -> str:
    """Where --save-snapshot writes it, relative to the snapshot (the loader reads any name)."""
    return f"node-proxy/{'stats-summary' if path == STATS_SUMMARY else 'configz'}-{node}.json"


def classify(doc: Any, file: Path) -> tuple[str, str] | None:
    """(node, path) when a document is a kubelet stats summary or configz; None otherwise.

    A stats summary names its node; configz does not, so its node comes from the file name as
    the README's capture writes it (`configz-NODE.json`, or `NODE.json` in a `configz` folder);
    under any other name it stands for every node (clusters share one kubelet config).
    """
    if not isinstance(doc, dict):
        return None
    node_doc = doc.get("node")
    if isinstance(node_doc, dict) and isinstance(node_doc.get("nodeName"), str) and "pods" in doc:
        return node_doc["nodeName"], STATS_SUMMARY
    if isinstance(doc.get("kubeletconfig"), dict) and len(doc) <= 2:
        stem = file.stem
        for prefix in ("configz-", "configz_", "configz."):
            stem = stem.removeprefix(prefix)
        if file.parent.name != "configz" and stem == file.stem:
            stem = ""  # a name that says no node: it serves every node
        return (stem if _NODE.match(stem) else ""), CONFIGZ
    return None


def records_of(doc: Any) -> dict[str, dict[str, Any]] | None:
    """The remembered answers a saved snapshot holds; None when the document is not one."""
    if not (isinstance(doc, dict) and doc.get("kind") == RECORDS_KIND):
        return None
    records = doc.get("records")
    if not isinstance(records, dict):
        return {}
    return {str(k): v for k, v in records.items() if isinstance(k, str) and isinstance(v, dict)}
