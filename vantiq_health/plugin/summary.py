"""The one-screen summary at the end of every check run, and the findings as data for the reports.

The summary is plain text on stdout (no colour needed), so an in-cluster Job's log holds
the same verdict an operator sees in the terminal: the verdict, counts by severity, each
finding as id, namespace, object and one line, and what could not be checked, by cause.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from vantiq_health import sensitive
from vantiq_health.catalog import SEVERITIES
from vantiq_health.i18n import msg, tr
from vantiq_health.plugin.api import FINDINGS_KEY, RUN_KEY
from vantiq_health.render import object_of, one_line

FINDINGS_ATTR = "vh_findings"  # on call reports; plain data, so it crosses from xdist workers
MAX_LINES = 25  # one screen
PASS, FINDINGS, NOT_CHECKED = "pass", "findings", "could not check"
VERDICT_KEYS = {
    PASS: "common.verdict_pass",
    FINDINGS: "common.verdict_findings",
    NOT_CHECKED: "common.verdict_not_checked",
}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    found = item.stash.get(FINDINGS_KEY, None)
    if call.when == "call" and found:
        data = []
        for f in found:  # rendered in the run's language: plain data that crosses from xdist workers
            data.append({"check_id": f.check_id, **f.to_dict(), "namespace": found.namespace})
        setattr(report, FINDINGS_ATTR, data)
    return report


@dataclass
class RunSummary:
    """What a run found, from the reporter's records and the findings on the call reports."""

    records: list[dict[str, Any]]
    findings: list[dict[str, Any]] = field(default_factory=list)
    demo: bool = False

    @property
    def outcomes(self) -> Counter[str]:
        return Counter(r["outcome"] for r in self.records)

    @property
    def severities(self) -> Counter[str]:
        return Counter(f["severity"] for f in self.findings)

    @property
    def verdict(self) -> str:
        done = self.outcomes
        if done["failed"] or done["warning"]:
            return FINDINGS
        if done["error"] or not done["passed"]:
            return NOT_CHECKED
        return PASS

    def skipped_by_cause(self) -> dict[str, list[str]]:
        causes: dict[str, list[str]] = defaultdict(list)
        for r in self.records:
            if r["outcome"] == "skipped":
                causes[r["message"] or tr("common.no_reason")].append(where(r))
        return dict(causes)

    @property
    def verdict_text(self) -> str:
        """The verdict in the run's language (`verdict` stays the machine word)."""
        return tr(VERDICT_KEYS[self.verdict])

    def counts_line(self) -> str:
        done = self.outcomes
        return tr(
            "common.counts_line",
            n=len(self.records),
            failed=done["failed"],
            warned=done["warning"],
            passed=done["passed"],
            skipped=done["skipped"],
            errors=done["error"],
        )

    def severity_line(self) -> str:
        counts = self.severities
        shown = [
            msg("common.severity_count", n=counts[s], severity=msg(f"common.severity_{s}"))
            for s in SEVERITIES
            if counts[s]
        ]
        joined = msg("common.joined_comma", items=tuple(shown)) if shown else msg("common.severity_none")
        return tr("common.severity_line", shown=joined)


def where(record: dict[str, Any]) -> str:
    return f"{record['id']} [{record['namespace'] or tr('common.where_cluster')}]"


def ordered(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Worst first, then by namespace and check id."""
    return sorted(
        findings, key=lambda f: (SEVERITIES.index(f["severity"]), f["namespace"] or "", f["check_id"])
    )


def summary_lines(summary: RunSummary) -> list[str]:
    lines = [tr("common.verdict_line", verdict=summary.verdict_text.upper(), counts=summary.counts_line())]
    if summary.demo:
        lines.append(tr("common.summary_demo"))
    lines.append(summary.severity_line())
    rows = [
        (
            f["check_id"],
            f["namespace"] or tr("common.where_cluster"),
            object_of(f),
            f["severity"],
            _status(f),
            f["diagnosis"],
        )
        for f in ordered(summary.findings)
    ]
    widths = [max((len(r[i]) for r in rows), default=0) for i in range(5)]
    for row in rows[:MAX_LINES]:
        cells = [cell.ljust(width) for cell, width in zip(row[:5], widths, strict=True) if width]
        lines.append("  " + "  ".join(cells) + "  " + one_line(row[5], 140))
    if len(rows) > MAX_LINES:
        lines.append(tr("common.summary_more", n=len(rows) - MAX_LINES))
    for cause, checks in summary.skipped_by_cause().items():
        lines.append(tr("common.summary_not_checked", checks=", ".join(checks), cause=one_line(cause, 200)))
    for r in summary.records:
        if r["outcome"] == "error":
            lines.append(tr("common.summary_error", where=where(r)))
    return lines


def _status(finding: dict[str, Any]) -> str:
    """new / still present (--baseline), waived / waiver expired (waivers): plugin/baseline.py."""
    from vantiq_health.waivers import status_label

    label = status_label(finding)
    waiver = finding.get("waiver")
    return f"[{label}: {waiver['reason']}]" if waiver else f"[{label}]" if label else ""


def run_summary(config: pytest.Config) -> RunSummary | None:
    """The run's summary, or None when this run did not check anything (not a check run)."""
    reporter = config.pluginmanager.get_plugin("vantiq-health-reporter")
    if reporter is None:
        return None
    records = sorted(reporter.results.values(), key=lambda r: r["nodeid"])
    findings: list[dict[str, Any]] = []
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    for reports in terminal.stats.values() if terminal else []:
        for report in reports:
            if getattr(report, "when", None) == "call":
                findings.extend(getattr(report, FINDINGS_ATTR, None) or [])
    return RunSummary(records, findings, is_demo(config))


def is_demo(config: pytest.Config) -> bool:
    run = config.stash.get(RUN_KEY, None)
    snapshot = run.view.describe().get("snapshot") if run else None
    if not snapshot:
        return False
    from vantiq_health.session import demo_snapshot

    return Path(snapshot).resolve() == demo_snapshot().resolve()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> Generator[None, None, None]:
    # the outermost wrapper: printed after pytest's short test summary, the last thing before the totals
    try:
        return (yield)
    finally:
        summary = run_summary(config)
        if summary is not None and not getattr(config, "workerinput", None):
            _write_warnings(terminalreporter, summary)
            markup = {PASS: {"green": True}, FINDINGS: {"red": True}, NOT_CHECKED: {"yellow": True}}
            terminalreporter.write_sep(
                "=", tr("common.summary_sep", verdict=summary.verdict_text), **markup[summary.verdict]
            )
            for line in summary_lines(summary):
                terminalreporter.write_line(line)
            for note in run_notes(config):
                terminalreporter.write_line(sensitive.scrub(tr("common.during_the_run", note=note)))
            gate = config.pluginmanager.get_plugin("vantiq-health-gate")  # plugin/baseline.py
            for line in gate.lines() if gate is not None else []:
                terminalreporter.write_line(sensitive.scrub(line))


def run_notes(config: pytest.Config) -> list[str]:
    """What the cluster view noted while the checks ran (retries, objects it could not use)."""
    run = config.stash.get(RUN_KEY, None)
    notes = list(getattr(run.view, "notes", [])) if run is not None else []
    return [n for n in notes if n not in (run.notes if run is not None else [])]


def _write_warnings(terminalreporter: Any, summary: RunSummary) -> None:
    """Warnings pass, so pytest shows no failure text for them: their findings in full, with the fix."""
    for record in summary.records:
        if record["outcome"] == "warning":
            terminalreporter.write_sep(
                "-", tr("common.summary_warning_sep", where=where(record)), yellow=True
            )
            terminalreporter.write_line(record["message"])
