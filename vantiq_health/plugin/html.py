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
from pathlib import Path
from typing import Any

import pytest

from vantiq_health.catalog import SEVERITIES, catalog, entry
from vantiq_health.i18n import catalog_text, language, tr
from vantiq_health.plugin.html_labels import localize
from vantiq_health.plugin.summary import NOT_CHECKED, RunSummary, ordered, run_summary, where
from vantiq_health.render import title
from vantiq_health.waivers import status_label

CLUSTER_FIRST = ("Cluster", "Kubernetes", "Namespaces", "System namespace", "Run at")
TOOLS_LAST = ("vantiq-health", "Python", "Platform", "Packages", "Plugins")


# The verdict opens the page (pytest-html puts the environment first), findings never scroll
# inside a box (pytest-html caps logs at 230px), and "N tests took X ms" gives way to the counts.
# Japanese needs a font that has its glyphs: Noto Sans CJK JP (Debian fonts-noto-cjk), then the
# system fonts of macOS and Windows; Latin text keeps pytest-html's look.
FONTS = (
    'Helvetica, Arial, "Noto Sans CJK JP", "Noto Sans JP", "Hiragino Kaku Gothic ProN", "Hiragino Sans", '
    '"Yu Gothic", Meiryo, sans-serif'
)
MONO_FONTS = '"Courier New", Courier, "Noto Sans Mono CJK JP", "Noto Sans CJK JP", monospace'
CSS = (
    (f"body {{ font-family: {FONTS}; }}\npre, .log, .vh-evidence, .vh-fix {{ font-family: {MONO_FONTS}; }}\n")
    + """
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
.vh-evidence { margin: 4px 0; padding-left: 20px; }
.vh-label { font-weight: bold; margin-top: 8px; }
.vh-fix { background: #1e1e1e; color: #f0f0f0; padding: 8px 10px; margin: 2px 0 6px; font-size: 12px;
  white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; max-height: none; }
.vh-advice { font-style: italic; } .vh-why { color: #444; }
.vh-skip { margin: 6px 0; } .vh-skip-cause { font-weight: bold; margin: 2px 0; } .vh-skip-checks { margin: 2px 0 0 14px; }
.vh-planned { display: flex; flex-wrap: wrap; gap: 4px 24px; }
.vh-planned-group h4 { margin: 6px 0 2px; } .vh-planned-group ul { margin: 0; padding-left: 18px; }
.vh-passed { margin: 12px 0; font-size: 13px; } .vh-passed summary { cursor: pointer; font-weight: bold; }
"""
)


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = tr("common.html_title")


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
    outcomes = [(name, done[name]) for name in ("failed", "warning", "passed", "skipped", "error")]
    demo = f'<p class="vh-demo">{tr("common.html_demo")}</p>' if found.demo else ""
    return (
        f'<section class="vh-verdict vh-verdict--{kind}">'
        f'<h2>{escape(tr("common.html_verdict"))} <span class="vh-verdict-word">'
        f"{escape(found.verdict_text)}</span></h2>{demo}"
        f'<p class="vh-counts">{_counts(tr("common.html_by_severity"), "severity", [(s, sev[s]) for s in SEVERITIES])}</p>'
        f'<p class="vh-counts">{_counts(tr("common.html_by_outcome"), "outcome", outcomes)}</p></section>'
    )


def _counts(label: str, group: str, pairs: list[tuple[str, int]]) -> str:
    """Counts by machine name (the CSS class), labelled in the run's language."""
    cells = "".join(
        f'<span class="vh-count vh-count--{escape(name) if n else "zero"}"><b>{n}</b> '
        f"{escape(tr(f'common.{group}_{name}'))}</span>"
        for name, n in pairs
    )
    return f'<span class="vh-counts-label">{escape(label)}:</span> {cells}'


def _findings(found: RunSummary) -> str:
    if not found.findings:
        return ""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for item in ordered(found.findings):
        groups[(item["namespace"] or tr("common.where_cluster"), entry(item["check_id"]).component)].append(
            item
        )
    parts = [f'<section class="vh-findings"><h2>{escape(tr("common.html_findings"))}</h2>']
    for namespace in dict.fromkeys(ns for ns, _ in groups):
        parts.append(
            f'<h3 class="vh-namespace">{escape(tr("common.html_namespace", namespace=namespace))}</h3>'
        )
        for (ns, component), items in groups.items():
            if ns == namespace:
                parts.append(f'<h4 class="vh-component">{escape(component)}</h4>')
                parts.extend(_finding(item) for item in items)
    parts.append("</section>")
    return "".join(parts)


def _finding(item: dict[str, Any]) -> str:
    meta = entry(item["check_id"])
    why = catalog_text(meta.id, "why", meta.why)
    badge = tr(f"common.severity_{item['severity']}")
    evidence = "".join(f"<li>{escape(e)}</li>" for e in item.get("evidence") or [])
    fix = escape("\n".join(item.get("fix") or []))
    advice = "".join(f'<p class="vh-advice">{escape(a)}</p>' for a in item.get("advice") or [])
    return (
        f'<article class="vh-finding vh-finding--{escape(item["severity"])}">'
        f'<p class="vh-finding-head"><span class="vh-badge">{escape(badge)}'
        f"</span> <b>{escape(meta.id)}</b> {escape(title(meta.id))}{_status(item)}</p>"
        f'<p class="vh-diagnosis">{escape(item["diagnosis"])}</p>'
        + (f'<ul class="vh-evidence">{evidence}</ul>' if evidence else "")
        + (
            f'<p class="vh-label">{escape(tr("common.html_fix"))}</p><pre class="vh-fix">{fix}</pre>'
            if fix
            else ""
        )
        + advice
        + (f'<p class="vh-why">{escape(tr("common.why_it_matters", why=why))}</p>' if why else "")
        + "</article>"
    )


def _status(item: dict[str, Any]) -> str:
    """new / still present / waived (with its reason) / waiver expired: plugin/baseline.py."""
    label = status_label(item)
    waiver = item.get("waiver")
    reason = f": {waiver['reason']}" if waiver else ""
    return f' <span class="vh-status">[{escape(label + reason)}]</span>' if label else ""


def _not_checked(found: RunSummary) -> str:
    parts = [f'<section class="vh-not-checked"><h2>{escape(tr("common.html_not_checked"))}</h2>']
    causes = found.skipped_by_cause()
    errors = [where(r) for r in found.records if r["outcome"] == "error"]
    if not causes and not errors:
        parts.append(f"<p>{escape(tr('common.html_all_ran'))}</p>")
    for cause, checks in causes.items():
        parts.append(
            f'<div class="vh-skip"><p class="vh-skip-cause">{escape(cause)}</p>'
            f'<p class="vh-skip-checks">{escape(", ".join(checks))}</p></div>'
        )
    if errors:
        parts.append(
            f'<div class="vh-skip"><p class="vh-skip-cause">{escape(tr("common.html_errors"))}</p>'
            f'<p class="vh-skip-checks">{escape(", ".join(errors))}</p></div>'
        )
    parts.append(_planned())
    parts.append("</section>")
    return "".join(parts)


def _planned() -> str:
    by_component: dict[str, list[str]] = defaultdict(list)
    for meta in catalog().values():
        if meta.planned:
            by_component[meta.component].append(f"<li><b>{escape(meta.id)}</b> {escape(title(meta.id))}</li>")
    rows = "".join(
        f'<div class="vh-planned-group"><h4>{escape(component)}</h4><ul>{"".join(items)}</ul></div>'
        for component, items in by_component.items()
    )
    return (
        f'<h3 class="vh-planned-head">{escape(tr("common.html_planned"))}</h3>'
        f'<div class="vh-planned">{rows}</div>'
    )


def _passed(found: RunSummary) -> str:
    passed = [r for r in found.records if r["outcome"] == "passed"]
    items = "".join(f"<li>{escape(where(r))} {escape(title(r['id']))}</li>" for r in passed)
    note = "" if found.verdict != NOT_CHECKED or passed else f"<p>{escape(tr('common.html_none_passed'))}</p>"
    return (
        f'<details class="vh-passed"><summary>{escape(tr("common.html_passed", n=len(passed)))}</summary>'
        f"<ul>{items}</ul></details>{note}"
    )


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_table_header(cells: list[str]) -> None:
    cells.insert(1, f'<th class="sortable" data-column-type="check">{escape(tr("common.col_check"))}</th>')
    cells.insert(
        2, f'<th class="sortable" data-column-type="severity">{escape(tr("common.col_severity"))}</th>'
    )
    cells.insert(
        3, f'<th class="sortable" data-column-type="verdict">{escape(tr("common.col_verdict"))}</th>'
    )


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


def declare_language(path: str | Path, lang: str | None = None) -> None:
    """The report's `<html>` says its language (pytest-html's template has no attribute for it)."""
    report = Path(path)
    if not report.is_file():
        return
    text = report.read_text(encoding="utf-8")
    lang = lang or language()
    tagged = localize(text.replace("<html>", f'<html lang="{lang}">', 1), lang)
    if tagged != text:
        report.write_text(tagged, encoding="utf-8")


@pytest.hookimpl(tryfirst=True)  # pytest-html wrote it at session finish; the language is reset last
def pytest_unconfigure(config: pytest.Config) -> None:
    html = getattr(config.option, "htmlpath", None)
    if (
        html
        and not hasattr(config, "workerinput")
        and config.pluginmanager.has_plugin("vantiq-health-reporter")
    ):
        declare_language(html)
