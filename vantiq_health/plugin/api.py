"""What check modules import: `@check(ID)` and `expect(findings, namespace)`.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, TypeVar

import pytest

from vantiq_health.catalog import entry
from vantiq_health.findings import Finding, Findings
from vantiq_health.i18n import Text, msg, render, tr
from vantiq_health.session import Run

RUN_KEY = pytest.StashKey[Run]()
FINDINGS_KEY = pytest.StashKey[Findings]()
current_item: ContextVar[pytest.Item | None] = ContextVar("vantiq_health_item", default=None)

F = TypeVar("F", bound=Callable[..., Any])


def check(check_id: str) -> Callable[[F], F]:
    """Mark a test as the check `check_id` of the catalog (and its component marker)."""
    meta = entry(check_id)

    def mark(func: F) -> F:
        func = pytest.mark.check(check_id)(func)
        marked: F = getattr(pytest.mark, meta.component)(func)
        return marked

    return mark


def check_id_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("check")
    return str(marker.args[0]) if marker and marker.args else None


def expect(
    found: Iterable[Finding], namespace: str | None, facts: Iterable[Text] = (), unseen: Iterable[Text] = ()
) -> None:
    """The check's verdict: fail on critical/error findings, record warnings and facts.

    `unseen`: what the check could not read (one reason each, with how to get
    it). Findings in the rest still count, and the message names what was not
    seen; without a finding the check skips naming it: it never passes on part
    of the data.

    The check id comes from the test's `@check` marker, so a check cannot
    report under another id by mistake.
    """
    __tracebackhide__ = True
    item = current_item.get()
    check_id = check_id_of(item) if item is not None else None
    if item is None or check_id is None:
        raise RuntimeError("expect() is called from a test marked with @check(ID)")
    unseen = list(unseen)
    findings = Findings(
        check_id,
        namespace,
        facts=[*facts, *(msg("common.not_seen", reason=u) for u in unseen)],
        unseen=unseen,
    )
    findings.extend(found)
    item.stash[FINDINGS_KEY] = findings
    severity = findings.severity
    if severity is None:
        if unseen:
            pytest.skip(cannot_check(*unseen))
        return
    fail_on = item.config.getoption("vh_fail_on")
    if severity in ("critical", "error") or (severity == "warning" and fail_on == "warning"):
        pytest.fail(findings.explain(), pytrace=False)


def get_run(config: pytest.Config) -> Run:
    try:
        return config.stash[RUN_KEY]
    except KeyError:
        raise pytest.UsageError(tr("common.checks_folder_only")) from None


def cannot_check(*reasons: Text) -> str:
    """A skip reason in the run's language: `cannot check: <reasons>`."""
    return render(msg("common.cannot_check", reason="; ".join(render(r) for r in reasons)))
