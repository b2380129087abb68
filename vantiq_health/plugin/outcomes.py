"""From findings to pytest outcomes, and the properties every report reads.

Each report carries `check_id`, `catalog_severity`, `severity`, `namespace`,
`outcome`, one `finding` property per finding (its JSON: `findings_of()`)
and one `unseen` property per kind the check could not read.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import json
from collections.abc import Generator

import pytest

from vantiq_health.catalog import entry
from vantiq_health.i18n import reason_of
from vantiq_health.plugin.api import FINDINGS_KEY, cannot_check, check_id_of, current_item
from vantiq_health.view.base import Unavailable

FINDING_PROPERTY = "finding"  # a JSON object: object, severity, diagnosis, evidence[], fix[]
UNSEEN_PROPERTY = "unseen"  # what the check could not read, one reason each


def namespace_of(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    ns: str | None = params.get("namespace")
    return ns


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
        raise pytest.skip.Exception(cannot_check(reason_of(exc)), _use_item_location=True) from None
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
    for found in findings or ():
        # one property per finding, as data: results.json, JUnit and the HTML report read the same
        prop(FINDING_PROPERTY, json.dumps(found.to_dict(), ensure_ascii=False))
    for reason in findings.unseen if findings is not None else ():
        prop(UNSEEN_PROPERTY, reason)
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


def findings_of(report: pytest.TestReport) -> list[dict[str, object]]:
    """The structured findings of a check's report (what results.json and the HTML report render)."""
    return [json.loads(str(value)) for name, value in report.user_properties if name == FINDING_PROPERTY]


def unseen_of(report: pytest.TestReport) -> list[str]:
    return [str(value) for name, value in report.user_properties if name == UNSEEN_PROPERTY]
