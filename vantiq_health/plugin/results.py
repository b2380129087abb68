"""results.json and --save-snapshot: one record per check run.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vantiq_health import __version__
from vantiq_health.catalog import entry
from vantiq_health.findings import SCHEMA_VERSION
from vantiq_health.i18n import language, render
from vantiq_health.plugin.api import get_run
from vantiq_health.plugin.outcomes import findings_of, unseen_of
from vantiq_health.render import title
from vantiq_health.sensitive import scrub
from vantiq_health.session import describe


class Reporter:
    """Collects one record per check run and writes results.json (never on xdist workers)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The cluster context in the HTML report's environment table (pytest-metadata)."""
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pragma: no cover
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None:
            return
        run = get_run(self.config)
        metadata["Cluster"] = run.source_line()
        metadata["Kubernetes"] = run.server_version()
        metadata["Namespaces"] = ", ".join(run.namespaces)
        metadata["System namespace"] = run.system_namespace
        metadata["vantiq-health"] = __version__
        metadata["Run at"] = datetime.now(UTC).isoformat(timespec="seconds")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "check_id" not in props:
            return
        rec = self.results.setdefault(report.nodeid, _record(report, props))
        if report.when == "call":
            rec.update(_call_outcome(report, props))
        elif report.failed:
            rec.update(outcome="error", message=_tail(report.longreprtext))
        elif report.skipped:
            rec.update(outcome="skipped", message=_skip_reason(report))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        run = get_run(config)
        save_dir = config.getoption("vh_save_snapshot")
        worker = getattr(config, "workerinput", {}).get("workerid")
        if save_dir:
            from vantiq_health.view.save import save_snapshot

            target = Path(save_dir) / worker if worker else Path(save_dir)
            save_snapshot(run.view, target, run.namespaces, run.system_namespace)
        if worker:
            return
        path = Path(config.getoption("vh_results_json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "schema_version": SCHEMA_VERSION,
            "lang": language(),  # of the human texts (title, message, diagnosis ...); machine fields stay English
            "suite_version": __version__,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": describe(run),
            "namespaces": run.all_namespaces,
            # what the header said and what the view noted while the checks ran (retries, objects it dropped)
            "notes": [scrub(render(n)) for n in dict.fromkeys([*run.notes, *getattr(run.view, "notes", [])])],
            "results": sorted(self.results.values(), key=lambda r: r["nodeid"]),
        }
        gate = config.pluginmanager.get_plugin("vantiq-health-gate")
        doc.update(gate.doc() if gate is not None else {})  # --baseline, waivers: plugin/baseline.py
        path.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _record(report: pytest.TestReport, props: dict[str, Any]) -> dict[str, Any]:
    meta = entry(props["check_id"])
    return {
        "id": meta.id,
        "namespace": props.get("namespace") or _namespace_from_nodeid(report.nodeid),
        "outcome": "passed",
        "severity": meta.severities[0],
        "title": title(meta.id),
        "message": "",
        "findings": [],
        "unseen": [],
        "nodeid": report.nodeid,
    }


def _namespace_from_nodeid(nodeid: str) -> str | None:
    if nodeid.endswith("]") and "[" in nodeid:
        return nodeid.rsplit("[", 1)[1][:-1]
    return None


def _call_outcome(report: pytest.TestReport, props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "severity": props.get("severity"),
        "findings": findings_of(report),
        "unseen": unseen_of(report),
    }
    if report.failed:
        out.update(outcome=props.get("outcome", "failed"), message=report.longreprtext)
    elif report.skipped:
        out.update(outcome="skipped", message=_skip_reason(report))
    else:
        section = next((text for name, text in report.sections if name.startswith("vantiq-health")), "")
        out.update(outcome=props.get("outcome", "passed"), message=section)
    return out


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])
