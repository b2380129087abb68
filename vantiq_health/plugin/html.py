"""The pytest-html hooks: title, the summary's warnings, Check/Severity/Verdict columns."""

from __future__ import annotations

import html
from typing import Any

import pytest


@pytest.hookimpl(optionalhook=True)
def pytest_html_report_title(report: Any) -> None:
    report.title = "Vantiq health report"


@pytest.hookimpl(optionalhook=True)
def pytest_html_results_summary(
    prefix: list[str], summary: list[str], postfix: list[str], session: pytest.Session
) -> None:
    reporter = session.config.pluginmanager.get_plugin("vantiq-health-reporter")
    if reporter is None:
        return
    warned = sorted(
        f"{r['id']} [{r['namespace'] or 'cluster'}]"
        for r in reporter.results.values()
        if r["outcome"] == "warning"
    )
    if warned:
        prefix.append(
            f'<p class="vh-warnings">Warnings (passed, shown below with verdict "warning"): {html.escape(", ".join(warned))}</p>'
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
    cells.insert(1, f'<td class="col-check">{props.get("check_id", "")}</td>')
    cells.insert(2, f'<td class="col-severity">{severity}</td>')
    cells.insert(3, f'<td class="col-verdict">{verdict}</td>')
