"""The verdict of a run as one JSON line, for logs: `python -m vantiq_health.verdict RESULTS_JSON EXIT_CODE`.

The container's entrypoint prints it last, so `kubectl logs job/vantiq-health` ends with
the verdict a machine can read: exit code and its meaning, outcomes, each finding by check
id, namespace, object and severity with its status (new / still present, waived), resolved
findings and stale waivers. Built from results.json, which holds no secret value.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

MEANINGS = {
    0: "nothing at the gating severity",
    1: "findings at the gating severity, or a check ended in error",
    2: "interrupted: only part of the checks ran",
    3: "internal error of the suite",
    4: "usage error",
    5: "nothing could be checked",
}


def _object(finding: dict[str, Any]) -> str | None:
    obj = finding.get("object")
    return "/".join(str(p) for p in (obj["kind"], obj.get("namespace"), obj["name"]) if p) if obj else None


def verdict(doc: dict[str, Any] | None, code: int) -> dict[str, Any]:
    out: dict[str, Any] = {"exit": code, "meaning": MEANINGS.get(code, "see pytest's exit codes")}
    if doc is None:
        return out | {"results": None, "note": "no results.json was written: see the log above"}
    records = doc.get("results", [])
    out["outcomes"] = dict(Counter(r["outcome"] for r in records))
    out["source"] = doc.get("source", {})
    out["findings"] = [
        {
            "id": r["id"],
            "namespace": r["namespace"],
            "object": _object(f),
            "severity": f["severity"],
            "outcome": r["outcome"],
            **({"baseline": f["baseline"]} if "baseline" in f else {}),
            **({"waiver": f["waiver"]["state"], "reason": f["waiver"]["reason"]} if "waiver" in f else {}),
            "diagnosis": f["diagnosis"],
        }
        for r in records
        for f in r.get("findings", [])
    ]
    if "baseline" in doc:
        out["resolved"] = [
            {"id": f["check_id"], "namespace": f["namespace"], "object": _object(f)}
            for f in doc["baseline"]["resolved"]
        ]
    if "waivers" in doc:
        out["stale_waivers"] = doc["waivers"]["stale"]
    return out


def main(argv: list[str]) -> int:
    path, code = Path(argv[0]), int(argv[1])
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError):
        doc = None
    print(json.dumps({"vantiq_health": verdict(doc, code)}, ensure_ascii=False, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
