"""The pytest-html hooks: a report a support engineer reads first.

The page opens with the verdict and the counts, then every failing and warning finding whole
(diagnosis, evidence, fix, advice), grouped by namespace and component; then what was not
checked (skips by cause, the catalog's planned checks) and the passes, collapsed. The table of
pytest-html stays below, with Check/Severity/Verdict columns. Everything is built from the same
records and findings as the terminal summary (`summary.run_summary`).

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

import pytest

from vantiq_health.catalog import SEVERITIES, catalog, entry
from vantiq_health.plugin.summary import NOT_CHECKED, RunSummary, ordered, run_summary, where
from vantiq_health.waivers import status_label

CLUSTER_FIRST = ("Cluster", "Kubernetes", "Namespaces", "System namespace", "Run at")
TOOLS_LAST = ("vantiq-health", "Python", "Platform", "Packages", "Plugins")


# The verdict opens the page (pytest-html puts the environment first), findings never scroll
# inside a box (pytest-html caps logs at 230px), and "N tests took X ms" gives way to the counts.
CSS = """
body { display: flex; flex-direction: column; }
body > h1#title { order: -3; } body > p:first-of-type { order: -2; } body > .summary { order: -1; }
.summary__data { flex: 1 1 auto; max-width: 1100px; } .summary__spacer { display: none; }
.run-count { display: none; }
.logwrapper { max-height: none; overflow: visible; } .logwrapper .logexpander { display: none; }
.logwrapper .log { top: 0; white-space: pre-wrap; overflow-wrap: anywhere; }
.vh-verdict { border: 2px solid; border-radius: 6px; padding: 8px 14px; margin: 8px 0 14px; }
.vh-verdict h2 { font-size: 22px; margin: 4px 0 8px; }
.vh-verdict--pass { border-color: #2e7d32; background: #eef7ee; }
.vh-verdict--findings { border-color: #c62828; background: #fdeeee; }
.vh-verdict--could-not-check { border-color: #b26a00; background: #fff6e5; }
.vh-verdict-word { text-transform: uppercase; }
.vh-demo { font-size: 14px; background: #fff3c4; padding: 4px 8px; }
.vh-counts { font-size: 13px; margin: 4px 0; } .vh-counts-label { display: inline-block; min-width: 150px; }
.vh-count { margin-right: 14px; } .vh-count--zero { color: #888; }
.vh-count--critical b, .vh-count--failed b, .vh-count--error b { color: #c62828; }
.vh-count--warning b { color: #b26a00; } .vh-count--passed b { color: #2e7d32; }
.vh-finding, .vh-planned, .vh-not-checked h3, .vh-namespace { color: #222; }
.vh-namespace { font-size: 16px; margin: 16px 0 4px; border-bottom: 1px solid #999; }
.vh-component { font-size: 13px; margin: 10px 0 4px; color: #555; text-transform: uppercase; }
.vh-finding { border-left: 6px solid #999; background: #fafafa; padding: 6px 12px; margin: 6px 0 12px; }
.vh-finding--critical, .vh-finding--error { border-left-color: #c62828; }
.vh-finding--warning { border-left-color: #e69500; }
.vh-finding p { margin: 4px 0; } .vh-diagnosis { font-size: 14px; font-weight: bold; }
.vh-badge { text-transform: uppercase; font-size: 11px; padding: 1px 6px; border-radius: 3px; background: #ddd; }
.vh-finding--critical .vh-badge, .vh-finding--error .vh-badge { background: #c62828; color: #fff; }
.vh-finding--warning .vh-badge { background: #e69500; color: #fff; }
.vh-evidence { margin: 4px 0; padding-left: 20px; font-family: monospace; }
.vh-label { font-weight: bold; margin-top: 8px; }
.vh-fix { background: #1e1e1e; color: #f0f0f0; padding: 8px 10px; margin: 2px 0 6px; font-size: 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; max-height: none; }
.vh-advice { font-style: italic; } .vh-why { color: #444; }
.vh-skip { margin: 6px 0; } .vh-skip-cause { font-weight: bold; margin: 2px 0; } .vh-skip-checks { margin: 2px 0 0 14px; }
.vh-planned { display: flex; flex-wrap: wrap; gap: 4px 24px; }
.vh-planned-group h4 { margin: 6px 0 2px; } .vh-planned-group ul { margin: 0; padding-left: 18px; }
.vh-passed { margin: 12px 0; font-size: 13px; } .vh-passed summary { cursor: pointer; font-weight: bold; }
"""


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = "Vantiq health report"


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    found = run_summary(session.config)
    if found is None:
        return
    prefix.append(f"<style>{CSS}</style>")
    prefix.append(_verdict(found))
    prefix.append(_findings(found))
    gate = session.config.pluginmanager.get_plugin("vantiq-health-gate")  # plugin/baseline.py
    prefix.append(gate.html() if gate is not None else "")
    prefix.append(_not_checked(found))
    prefix.append(_passed(found))


def pytest_sessionstart(session: pytest.Session) -> None:
    """The environment table starts with the cluster; interpreter and plugin versions come last."""
    try:
        from pytest_metadata.plugin import metadata_key
    except ImportError:  # pragma: no cover
        return
    metadata = session.config.stash.get(metadata_key, None)
    if not metadata or "Cluster" not in metadata:
        return
    first = [k for k in CLUSTER_FIRST if k in metadata]
    last = [k for k in TOOLS_LAST if k in metadata]
    middle = [k for k in metadata if k not in first and k not in last]
    items = [(k, metadata[k]) for k in (*first, *middle, *last)]
    metadata.clear()
    metadata.update(items)


def _verdict(found: RunSummary) -> str:
    kind = found.verdict.replace(" ", "-")
    done, sev = found.outcomes, found.severities
    outcomes = [
        ("failed", done["failed"]),
        ("warning", done["warning"]),
        ("passed", done["passed"]),
        ("not checked (skipped)", done["skipped"]),
        ("error", done["error"]),
    ]
    demo = (
        '<p class="vh-demo">This report is of the <b>bundled demo snapshot</b>, not of your cluster: '
        "its problems are there on purpose.</p>"
        if found.demo
        else ""
    )
    return (
        f'<section class="vh-verdict vh-verdict--{kind}"><h2>Verdict: <span class="vh-verdict-word">'
        f"{escape(found.verdict)}</span></h2>{demo}"
        f'<p class="vh-counts">{_counts("Findings by severity", [(s, sev[s]) for s in SEVERITIES])}</p>'
        f'<p class="vh-counts">{_counts("Checks by outcome", outcomes)}</p></section>'
    )


def _counts(label: str, pairs: list[tuple[str, int]]) -> str:
    cells = "".join(
        f'<span class="vh-count vh-count--{escape(name.split()[0]) if n else "zero"}"><b>{n}</b> {escape(name)}</span>'
        for name, n in pairs
    )
    return f'<span class="vh-counts-label">{escape(label)}:</span> {cells}'


def _findings(found: RunSummary) -> str:
    if not found.findings:
        return ""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in ordered(found.findings):
        groups[(item["namespace"] or "cluster", entry(item["check_id"]).component)].append(item)
    parts = ['<section class="vh-findings"><h2>Findings, worst first</h2>']
    for namespace in dict.fromkeys(ns for ns, _ in groups):
        parts.append(f'<h3 class="vh-namespace">namespace {escape(namespace)}</h3>')
        for (ns, component), items in groups.items():
            if ns == namespace:
                parts.append(f'<h4 class="vh-component">{escape(component)}</h4>')
                parts.extend(_finding(item) for item in items)
    parts.append("</section>")
    return "".join(parts)


def _finding(item: dict[str, Any]) -> str:
    meta = entry(item["check_id"])
    evidence = "".join(f"<li>{escape(e)}</li>" for e in item.get("evidence") or [])
    fix = escape("\n".join(item.get("fix") or []))
    advice = "".join(f'<p class="vh-advice">{escape(a)}</p>' for a in item.get("advice") or [])
    return (
        f'<article class="vh-finding vh-finding--{escape(item["severity"])}">'
        f'<p class="vh-finding-head"><span class="vh-badge">{escape(item["severity"])}</span> '
        f"<b>{escape(meta.id)}</b> {escape(meta.title)}{_status(item)}</p>"
        f'<p class="vh-diagnosis">{escape(item["diagnosis"])}</p>'
        + (f'<ul class="vh-evidence">{evidence}</ul>' if evidence else "")
        + (f'<p class="vh-label">Fix</p><pre class="vh-fix">{fix}</pre>' if fix else "")
        + advice
        + (f'<p class="vh-why">Why it matters: {escape(meta.why)}</p>' if meta.why else "")
        + "</article>"
    )


def _status(item: dict[str, Any]) -> str:
    """new / still present / waived (with its reason) / waiver expired: plugin/baseline.py."""
    label = status_label(item)
    waiver = item.get("waiver")
    reason = f": {waiver['reason']}" if waiver else ""
    return f' <span class="vh-status">[{escape(label + reason)}]</span>' if label else ""


def _not_checked(found: RunSummary) -> str:
    parts = ['<section class="vh-not-checked"><h2>What was not checked</h2>']
    causes = found.skipped_by_cause()
    errors = [where(r) for r in found.records if r["outcome"] == "error"]
    if not causes and not errors:
        parts.append("<p>Every selected check ran.</p>")
    for cause, checks in causes.items():
        parts.append(
            f'<div class="vh-skip"><p class="vh-skip-cause">{escape(cause)}</p>'
            f'<p class="vh-skip-checks">{escape(", ".join(checks))}</p></div>'
        )
    if errors:
        parts.append(
            '<div class="vh-skip"><p class="vh-skip-cause">ended in an error of the suite (not a finding: '
            f'see the row in the table below)</p><p class="vh-skip-checks">{escape(", ".join(errors))}</p></div>'
        )
    parts.append(_planned())
    parts.append("</section>")
    return "".join(parts)


def _planned() -> str:
    by_component: dict[str, list[str]] = defaultdict(list)
    for meta in catalog().values():
        if meta.planned:
            by_component[meta.component].append(f"<li><b>{escape(meta.id)}</b> {escape(meta.title)}</li>")
    rows = "".join(
        f'<div class="vh-planned-group"><h4>{escape(component)}</h4><ul>{"".join(items)}</ul></div>'
        for component, items in by_component.items()
    )
    return (
        '<h3 class="vh-planned-head">Not yet covered by this suite (planned checks): no finding here '
        f'does not mean these are fine</h3><div class="vh-planned">{rows}</div>'
    )


def _passed(found: RunSummary) -> str:
    passed = [r for r in found.records if r["outcome"] == "passed"]
    items = "".join(f"<li>{escape(where(r))} {escape(entry(r['id']).title)}</li>" for r in passed)
    note = "" if found.verdict != NOT_CHECKED or passed else "<p>No check passed.</p>"
    return (
        f'<details class="vh-passed"><summary>{len(passed)} checks passed</summary>'
        f"<ul>{items}</ul></details>{note}"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, '<th class="sortable" data-column-type="check">Check</th>')
    cells.insert(2, '<th class="sortable" data-column-type="severity">Severity</th>')
    cells.insert(3, '<th class="sortable" data-column-type="verdict">Verdict</th>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_row(report: pytest.TestReport, cells: list[str]) -> None:
    props = dict(report.user_properties)
    severity = props.get("severity") or props.get("catalog_severity", "")
    verdict = props.get("outcome") or report.outcome
    cells.insert(1, f'<td class="col-check">{escape(str(props.get("check_id", "")))}</td>')
    cells.insert(2, f'<td class="col-severity">{escape(str(severity))}</td>')
    cells.insert(3, f'<td class="col-verdict">{escape(str(verdict))}</td>')


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_html(report: pytest.TestReport, data: list[str]) -> None:
    """A skip's log is its reason as text, not the (path, line, reason) tuple pytest keeps."""
    if report.skipped and isinstance(report.longrepr, tuple):
        data[:] = [escape(str(report.longrepr[2]).removeprefix("Skipped: "))]
