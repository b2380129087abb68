"""From findings to pytest outcomes, and the properties every report reads."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from vantiq_health.catalog import entry
from vantiq_health.plugin.api import FINDINGS_KEY, check_id_of, current_item
from vantiq_health.view.base import Unavailable


def namespace_of(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return params.get("namespace") or params.get("installation_namespace")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        check_id = check_id_of(item)
        if check_id:
            item.user_properties.append(("check_id", check_id))
            item.user_properties.append(("catalog_severity", entry(check_id).severity))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    token = current_item.set(item)
    try:
        return (yield)
    except Unavailable as exc:
        raise pytest.skip.Exception(f"cannot check: {exc}", _use_item_location=True) from None
    finally:
        current_item.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    check_id = check_id_of(item)
    if check_id is None or call.when != "call":
        return report
    findings = item.stash.get(FINDINGS_KEY, None)
    severity = (findings.severity if findings else None) or entry(check_id).severities[0]

    def prop(name: str, value: str) -> None:
        # the call report feeds HTML and JSON; the item's list reaches JUnit (it reads the teardown report)
        report.user_properties.append((name, value))
        item.user_properties.append((name, value))

    prop("severity", severity)
    prop("namespace", namespace_of(item) or "")
    if report.passed and findings is not None and (findings or findings.facts):
        text = findings.explain() if findings else findings.summary()
        outcome = "warning" if findings.severity == "warning" else "passed"
        prop("outcome", outcome)
        report.sections.append((f"vantiq-health {outcome}", text))
        _add_html_extra(report, text, "Finding" if findings else "Facts")
    elif report.failed:
        # a check that raised before reaching its verdict is a bug in the suite, not a finding
        prop("outcome", "failed" if findings is not None else "error")
    return report


def _add_html_extra(report: pytest.TestReport, text: str, name: str) -> None:
    try:
        from pytest_html import extras
    except ImportError:  # pragma: no cover
        return
    report.extras = [*getattr(report, "extras", []), extras.text(text, name=name)]  # type: ignore[attr-defined]
