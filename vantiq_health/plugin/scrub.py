"""The last line: no report text carries a value the run knows is secret.

Before any reporter (terminal, HTML, JUnit, results.json) sees a report, its
texts — traceback, captured output and logs, properties, HTML extras — go
through `sensitive.scrub`; log records are scrubbed by a filter on every
handler pytest writes (capture, --log-file, live logging). A check that
raised is a bug, not a finding: its report becomes one clean line (exception
type, the object it was looking at, file:line) without frame locals or
arguments, which may hold the values themselves (`-l`, `--tb=long`).

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import json
import logging
import types
from collections.abc import Generator
from pathlib import Path
from typing import Any

import pytest

from vantiq_health import sensitive
from vantiq_health.plugin.api import FINDINGS_KEY, check_id_of
from vantiq_health.plugin.setup import is_check_run

WORKER_KEY = "vh_fingerprint_key"
# Properties the plugin sets from names it chose; everything else is scrubbed.
_STRUCTURAL = {"check_id", "catalog_severity", "severity", "namespace", "outcome"}
_PACKAGE = Path(__file__).resolve().parents[1]


class ScrubFilter(logging.Filter):
    """Rewrites each record to its scrubbed text (message, exception, stack)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = f"{record.msg!s} {record.args!s}"
        record.msg, record.args = sensitive.scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = sensitive.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = sensitive.scrub(record.stack_info)
        return True


SCRUB_FILTER = ScrubFilter()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    # before pytest_configure, where the run starts reading: an xdist worker fingerprints with
    # its controller's key, so equal values look equal across the run
    worker_key = getattr(config, "workerinput", {}).get(WORKER_KEY)
    if worker_key:
        sensitive.use_key(bytes.fromhex(worker_key))


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    # the logging plugin exists by now, and has not yet attached its handlers
    if is_check_run(session.config):
        _install_log_filters(session.config)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    node.workerinput[WORKER_KEY] = sensitive.run_key().hex()


def _install_log_filters(config: pytest.Config) -> None:
    logging.getLogger().addFilter(SCRUB_FILTER)
    plugin = config.pluginmanager.get_plugin("logging-plugin")
    for attr in ("log_file_handler", "caplog_handler", "report_handler", "log_cli_handler"):
        handler = getattr(plugin, attr, None)
        if isinstance(handler, logging.Handler):
            handler.addFilter(SCRUB_FILTER)
    for handler in logging.getLogger().handlers:
        handler.addFilter(SCRUB_FILTER)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if check_id_of(item) is None or not is_check_run(item.config):
        return report
    if report.failed and call.when in ("setup", "call") and _raised(item, call):
        assert call.excinfo is not None
        report.longrepr = clean_error(item, call.excinfo.value, call.excinfo.tb)
    scrub_report(report)
    return report


def _raised(item: pytest.Item, call: pytest.CallInfo[None]) -> bool:
    """A failure that is no finding: the check (or its set-up) raised."""
    if call.excinfo is None or FINDINGS_KEY in item.stash:
        return False
    exc = call.excinfo.value
    return not (isinstance(exc, pytest.fail.Exception) and not exc.pytrace)


_REPORT_FIELDS = {
    "nodeid",
    "location",
    "keywords",
    "outcome",
    "when",
    "duration",
    "start",
    "stop",
    "longrepr",
    "sections",
    "user_properties",
    "extras",
}


def scrub_report(report: pytest.TestReport) -> None:
    """Every text of a report, scrubbed in place (the longrepr becomes its scrubbed text)."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        report.longrepr = (longrepr[0], longrepr[1], sensitive.scrub(str(longrepr[2])))
    elif longrepr is not None:
        report.longrepr = sensitive.scrub(str(longrepr))
    report.sections = [(name, sensitive.scrub(text)) for name, text in report.sections]
    report.user_properties = [
        (name, value if name in _STRUCTURAL else _scrub_property(value))
        for name, value in report.user_properties
    ]
    extras = getattr(report, "extras", None)
    if extras:
        report.extras = [sensitive.scrub_any(extra) for extra in extras]  # type: ignore[attr-defined]
    # any other data a plugin hung on the report (the summary's findings, say) is scrubbed too
    for name, value in list(vars(report).items()):
        if name not in _REPORT_FIELDS and isinstance(value, str | list | dict | tuple):
            setattr(report, name, sensitive.scrub_any(value))


def _scrub_property(value: Any) -> Any:
    """Findings travel as JSON text: scrubbed as data, so that a replacement cannot break an escape."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            doc = json.loads(value)
        except ValueError:
            return sensitive.scrub(value)
        return json.dumps(sensitive.scrub_any(doc), ensure_ascii=False)
    return sensitive.scrub_any(value)


def clean_error(item: pytest.Item, exc: BaseException, tb: types.TracebackType | None) -> str:
    """One line about a check that raised: what, where, on which object. No locals, no arguments."""
    frames = list(_frames(tb))
    where = _location(frames, item)
    obj = _object_of(frames)
    looking = f" while looking at {obj}" if obj else ""
    kind = type(exc).__qualname__
    module = type(exc).__module__
    name = kind if module == "builtins" else f"{module}.{kind}"
    return (
        f"{check_id_of(item)} could not run: {name} at {where}{looking}\n"
        "(a bug in vantiq-health, or an object it does not understand; the exception's text and "
        "the traceback's values are left out: they may hold secret values)"
    )


def _frames(tb: types.TracebackType | None) -> Generator[types.TracebackType, None, None]:
    while tb is not None:
        yield tb
        tb = tb.tb_next


def _location(frames: list[types.TracebackType], item: pytest.Item) -> str:
    root = item.config.rootpath.resolve()
    ours = [
        tb
        for tb in frames
        if (path := Path(tb.tb_frame.f_code.co_filename).resolve()).is_relative_to(root)
        or path.is_relative_to(_PACKAGE)
    ]
    chosen = (ours or frames)[-1:] or []
    if not chosen:
        return "(unknown place)"
    tb = chosen[0]
    path = Path(tb.tb_frame.f_code.co_filename).resolve()
    base = root if path.is_relative_to(root) else _PACKAGE.parent
    shown = path.relative_to(base) if path.is_relative_to(base) else path.name
    return f"{shown}:{tb.tb_lineno} ({tb.tb_frame.f_code.co_name})"


def _object_of(frames: list[types.TracebackType]) -> str | None:
    """kind namespace/name of the innermost Kubernetes object a frame was handling."""
    for tb in reversed(frames):
        for value in list(tb.tb_frame.f_locals.values()):
            described = _describe(value)
            if described:
                return described
    return None


def _describe(value: Any) -> str | None:
    if not isinstance(value, dict) or not isinstance(value.get("metadata"), dict):
        return None
    meta = value["metadata"]
    name = meta.get("name")
    if not isinstance(name, str):
        return None
    kind = value.get("kind") if isinstance(value.get("kind"), str) else "object"
    namespace = meta.get("namespace")
    return f"{kind} {namespace}/{name}" if isinstance(namespace, str) and namespace else f"{kind} {name}"
