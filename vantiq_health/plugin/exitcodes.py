"""The exit code of a check run, as the README's table says, and one closing line saying why.

pytest's codes mostly fit (1 failed, 2 interrupted, 3 internal error, 4
usage, 5 nothing collected); the suite adds what pytest cannot know: a run
whose every check was skipped checked nothing (5, not 0), and a run cut
short by -x/--maxfail is incomplete (2, as with -n, not 1), and a check
module that cannot be collected is a bug of the suite (3, not 2).

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator
from typing import Any

import pytest

from vantiq_health.i18n import msg, tr
from vantiq_health.plugin.api import RUN_KEY, check_id_of
from vantiq_health.plugin.selection import check_ids, planned_line, planned_matches
from vantiq_health.plugin.setup import option_adder

MEANINGS = {
    0: "nothing at the gating severity",
    1: "findings at the gating severity, or a check ended in error",
    2: "interrupted: only part of the checks ran",
    3: "internal error of the suite",
    4: "usage error",
    5: "nothing could be checked",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    add = option_adder(parser)
    add(
        "--allow-empty",
        action="store_true",
        dest="vh_allow_empty",
        default=False,
        help="exit 0 instead of 5 when nothing could be checked (every selected check skipped)",
    )


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    if RUN_KEY in config.stash and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ExitCodes(config), "vantiq-health-exitcodes")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Skip lines (`-rs`, JSON, HTML) start with the check id: `[SEC002] cannot check: ...`."""
    report = yield
    check_id = check_id_of(item) if RUN_KEY in item.config.stash else None
    if check_id and report.skipped and isinstance(report.longrepr, tuple):
        path, lineno, reason = report.longrepr
        text = reason.removeprefix("Skipped: ")
        if not text.startswith(f"[{check_id}]"):
            report.longrepr = (path, lineno, f"Skipped: [{check_id}] {text}")
    return report


class ExitCodes:
    """Counts the outcome of every check item from its reports and sets the session's exit status."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.outcomes: dict[str, str] = {}  # nodeid -> passed, failed, error, skipped
        self.names: dict[str, str] = {}  # nodeid -> "WL001 [prod]", as the closing line names it
        self.skip_reasons: Counter[str] = Counter()
        self.lines: list[str] = []
        self.broken_modules: list[str] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.broken_modules.append(report.nodeid or "?")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = {str(k): str(v) for k, v in report.user_properties}
        if "check_id" not in props:
            return
        namespace = props.get("namespace") or _namespace(report.nodeid)
        self.names[report.nodeid] = f"{props['check_id']} [{namespace}]" if namespace else props["check_id"]
        if report.failed:
            failed = report.when == "call" and props.get("outcome", "failed") == "failed"
            self.outcomes[report.nodeid] = "failed" if failed else "error"
        elif report.skipped:
            self.outcomes[report.nodeid] = "skipped"
            self.skip_reasons[_reason(report)] += 1
        elif report.when == "call":
            self.outcomes[report.nodeid] = "passed"

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.config.option.collectonly:
            return
        code, why = self._decide(session)
        if code == 5 and self.config.getoption("vh_allow_empty"):
            code, why = 0, msg("common.allow_empty", why=why)
        planned = [i for i in check_ids(self.config.getoption("vh_check")) if i in _planned_ids()]
        if planned and code != 5:
            self.lines.append(f"vantiq-health: {planned_line(planned, others_ran=True)}")
        session.exitstatus = code
        meaning = msg(f"common.exit_{code}") if code in MEANINGS else msg("common.exit_other")
        self.lines.append(tr("common.exit_line", code=code, meaning=meaning, why=why))

    def _decide(self, session: pytest.Session) -> tuple[int, str]:
        status = int(session.exitstatus)
        total = len(self.outcomes)
        count = Counter(self.outcomes.values())
        stopped = session.shouldfail or session.shouldstop
        if self.broken_modules:  # pytest says "interrupted"; a check module that does not import is a bug
            return 3, msg("common.cannot_collect", modules=", ".join(self.broken_modules))
        if status in (2, 3, 4) or status > 5:
            return status, ""
        if stopped and total < session.testscollected:
            return 2, msg("common.stopped", stopped=stopped, n=session.testscollected - total)
        if count["failed"] or count["error"]:
            errors = [self.names[n] for n, outcome in self.outcomes.items() if outcome == "error"]
            return 1, _failures(count["failed"], errors)
        if total == 0:
            planned = planned_matches(self.config)
            return 5, f": {planned_line(planned)}" if planned else msg("common.none_selected")
        if count["skipped"] == total:
            reason, times = self.skip_reasons.most_common(1)[0]
            return 5, msg("common.all_skipped", total=total, reason=reason, times=times)
        return status, ""

    @pytest.hookimpl(wrapper=True, tryfirst=True, specname="pytest_sessionfinish")
    def pytest_sessionfinish_closing_lines(self) -> Generator[None, None, None]:
        """The closing lines come after pytest's own summary: the last line says the exit code."""
        result = yield
        terminal: Any = self.config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            for line in self.lines:
                terminal.write_line(line, bold=True)
        return result


def _failures(failed: int, errors: list[str]) -> str:
    parts = [msg("common.n_failed", n=failed)] if failed else []
    if errors:
        parts.append(msg("common.n_errors", n=len(errors), checks=", ".join(errors)))
    return msg("common.failures", parts=tuple(parts))


def _namespace(nodeid: str) -> str | None:
    return nodeid.rsplit("[", 1)[1][:-1] if nodeid.endswith("]") and "[" in nodeid else None


def _planned_ids() -> set[str]:
    from vantiq_health.catalog import catalog

    return {e.id for e in catalog().values() if e.planned}


def _reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)
