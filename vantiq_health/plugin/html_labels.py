"""pytest-html's own labels in the run's language, replaced in the written report.

pytest-html 4 writes its headings, its summary line and its table headers in English and has
no hook for most of them; the report is rewritten after it is written (as its `lang` attribute
is). The machine values its script sorts and filters by (`data-test-result`, the result cells)
are left as they are. In English nothing changes.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import re
from html import escape

from vantiq_health.i18n import DEFAULT, tr

# (pytest-html's text, message key): exact strings of its template (index.jinja2, report_data.py)
_FIXED = (
    ("<h2>Environment</h2>", "html_environment"),
    ("<h2>Summary</h2>", "html_summary"),
    ('<p class="filter">(Un)check the boxes to filter the results.</p>', "html_filter"),
    ("No results found. Check the filters.", "html_no_results"),
    ('<button id="show_all_details">Show all details</button>', "html_show_all"),
    ('<button id="hide_all_details">Hide all details</button>', "html_hide_all"),
    ('data-column-type="result">Result</th>', "html_col_result"),
    ('data-column-type="testId">Test</th>', "html_col_test"),
    ('data-column-type="duration">Duration</th>', "html_col_duration"),
    ("<th>Links</th>", "html_col_links"),
    ("No log output captured.", "html_no_log"),
    ("There are still tests running. <br />Reload this page to get the latest results!", "html_running"),
)
_GENERATED = re.compile(
    r"<p>Report generated on (?P<date>[^<]+?) at (?P<time>[^<]+?) by "
    r'(?P<link><a href="[^"]*">pytest-html</a>)\s*v(?P<version>[^<\s]+)</p>'
)
_RUN_COUNT = re.compile(r'<p class="run-count">(?P<n>\d+) tests? took (?P<duration>[^<]+?)\.</p>')
_OUTCOME = re.compile(
    r'<span class="(?P<cls>\w+)">(?P<n>\d+) '
    r"(?P<label>Failed|Passed|Skipped|Expected failures|Unexpected passes|Errors|Reruns)(?P<comma>,?)</span>"
)
_OUTCOME_KEYS = {
    "Failed": "outcome_failed",
    "Passed": "outcome_passed",
    "Skipped": "outcome_skipped",
    "Expected failures": "html_outcome_xfailed",
    "Unexpected passes": "html_outcome_xpassed",
    "Errors": "outcome_error",
    "Reruns": "html_outcome_rerun",
}


def localize(text: str, lang: str) -> str:
    """The report's text with pytest-html's labels in `lang` (unchanged in English)."""
    if lang == DEFAULT:
        return text
    for english, key in _FIXED:
        text = text.replace(english, english.replace(_label(english), escape(tr(f"common.{key}", lang)), 1))
    text = _GENERATED.sub(lambda m: _generated(m, lang), text, count=1)
    text = _RUN_COUNT.sub(lambda m: _run_count(m, lang), text, count=1)
    return _OUTCOME.sub(lambda m: _outcome(m, lang), text)


def _generated(m: re.Match[str], lang: str) -> str:
    said = escape(tr("common.html_generated", lang, date=m["date"], time=m["time"], version=m["version"]))
    return f"<p>{said.replace('pytest-html', m['link'], 1)}</p>"


def _run_count(m: re.Match[str], lang: str) -> str:
    said = tr("common.html_run_count", lang, n=int(m["n"]), duration=m["duration"])
    return f'<p class="run-count">{escape(said)}</p>'


def _outcome(m: re.Match[str], lang: str) -> str:
    label = escape(tr(f"common.{_OUTCOME_KEYS[m['label']]}", lang))
    return f'<span class="{m["cls"]}">{m["n"]} {label}{"、" if m["comma"] else ""}</span>'


def _label(english: str) -> str:
    """The human words of a template fragment: the text between its tags, or all of it."""
    found = re.search(r">([^<>]+)<", english)
    return found.group(1) if found else english
