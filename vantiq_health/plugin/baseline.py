"""--baseline, waivers and --report-dir: what gates a run in a pipeline.

Each finding of a check is marked (`vantiq_health.waivers`): new / still present against
`--baseline`, waived (with the reason) or waiver expired by the config's `[[waivers]]`.
A failing check none of whose findings gates (all still present, or waived) stays
`failed` in every report, with each finding marked, but passes for pytest and the exit
code: only new, unwaived findings fail the run. Resolved findings (in the baseline, not
found again by a check that ran) and stale waivers (matching nothing) are listed in the
terminal summary, the HTML report, results.json (`baseline`, `waivers`) and JUnit (global
properties).

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from vantiq_health.i18n import reason_of, render
from vantiq_health.plugin.api import RUN_KEY, check_id_of
from vantiq_health.plugin.outcomes import FINDING_PROPERTY, namespace_of
from vantiq_health.plugin.setup import DEFAULT_JSON, option_adder
from vantiq_health.plugin.summary import FINDINGS_ATTR
from vantiq_health.render import object_of
from vantiq_health.waivers import Baseline, Key, Waiver, WaiverError, finding_key, judge, resolved

PLUGIN = "vantiq-health-gate"


def pytest_addoption(parser: pytest.Parser) -> None:
    add = option_adder(parser)
    add(
        "--baseline",
        dest="vh_baseline",
        metavar="PATH",
        help="an earlier results.json: only findings new since then fail the run",
    )
    add(
        "--report-dir",
        dest="vh_report_dir",
        metavar="DIR",
        help="write report.html, results.json and junit.xml to DIR (one per cluster in a CI matrix)",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """--report-dir, before the set-up fills in the default report paths."""
    folder = config.getoption("vh_report_dir", None)
    if not folder:
        return
    if getattr(config.option, "htmlpath", "unset") is None:
        config.option.htmlpath = str(Path(folder, "report.html"))
        config.option.self_contained_html = True
    if not config.option.xmlpath:
        config.option.xmlpath = str(Path(folder, "junit.xml"))
    if config.getoption("vh_results_json") == DEFAULT_JSON:
        config.option.vh_results_json = str(Path(folder, "results.json"))


@pytest.hookimpl(trylast=True, specname="pytest_configure")
def pytest_configure_gate(config: pytest.Config) -> None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return
    given = config.getoption("vh_baseline")
    try:
        baseline = Baseline.load(Path(given)) if given else None
    except WaiverError as exc:
        raise pytest.UsageError(f"vantiq-health: {render(reason_of(exc))}") from None
    config.pluginmanager.register(Gate(baseline, list(run.config.waivers)), PLUGIN)


class Gate:
    def __init__(self, baseline: Baseline | None, waivers: list[Waiver]) -> None:
        self.baseline, self.waivers = baseline, waivers
        self.today = datetime.now(UTC).date()
        self.current: set[Key] = set()
        self.judged: set[tuple[str, str | None]] = set()
        self.used: set[Waiver] = set()
        self.resolved: list[dict[str, Any]] = []

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        check_id = check_id_of(item)
        if check_id is None or call.when != "call" or report.skipped:
            return report
        namespace = namespace_of(item)
        gates = self._mark(check_id, namespace, report.user_properties)
        self._mark(check_id, namespace, item.user_properties)  # what JUnit reads
        for f in getattr(report, FINDINGS_ATTR, None) or []:
            judge(check_id, namespace, f.get("object"), self.baseline, self.waivers, self.today).annotate(f)
        if report.failed and gates is False:
            report.sections.append(("vantiq-health failed, not gating", report.longreprtext))
            report.outcome, report.longrepr = "passed", None
        return report

    def _mark(self, check_id: str, namespace: str | None, props: list[tuple[str, object]]) -> bool | None:
        """Annotates each finding property in place; whether any finding gates (None: no finding)."""
        gates: bool | None = None
        for i, (name, value) in enumerate(props):
            if name != FINDING_PROPERTY:
                continue
            finding = json.loads(str(value))
            judgement = judge(
                check_id, namespace, finding.get("object"), self.baseline, self.waivers, self.today
            )
            judgement.annotate(finding)
            props[i] = (name, json.dumps(finding, ensure_ascii=False))
            gates = bool(gates) or judgement.gates
        return gates

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """What the run found, from the reports (with xdist they arrive here from the workers)."""
        props = dict(report.user_properties)
        if report.when != "call" or report.skipped or "check_id" not in props:
            return
        check_id, namespace = str(props["check_id"]), str(props.get("namespace") or "") or None
        self.judged.add((check_id, namespace))
        for name, value in report.user_properties:
            if name == FINDING_PROPERTY:
                finding = json.loads(str(value))
                self.current.add(finding_key(check_id, namespace, finding.get("object")))
                waiver = finding.get("waiver") or {}
                self.used.update(
                    w
                    for w in self.waivers
                    if w.to_dict() == {k: v for k, v in waiver.items() if k != "state"}
                )

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Before results.json and JUnit are written: resolved findings and stale waivers."""
        if self.baseline is not None:
            self.resolved = resolved(self.baseline, self.current, self.judged)
        xml = _logxml(session.config)
        if xml is not None:
            for f in self.resolved:
                xml.add_global_property("resolved", json.dumps(f, ensure_ascii=False))
            for w in self.stale():
                xml.add_global_property("stale_waiver", json.dumps(w.to_dict()))

    def stale(self) -> list[Waiver]:
        return [w for w in self.waivers if w not in self.used]

    def expired(self) -> list[Waiver]:
        return [w for w in self.used if w.expired(self.today)]

    def doc(self) -> dict[str, Any]:
        """results.json: what the run was compared with, and the waivers' state."""
        out: dict[str, Any] = {}
        if self.baseline is not None:
            out["baseline"] = {
                "path": str(self.baseline.path),
                "generated_at": self.baseline.generated_at,
                "resolved": self.resolved,
            }
        if self.waivers:
            out["waivers"] = {
                "stale": [w.to_dict() for w in self.stale()],
                "expired": [w.to_dict() for w in self.expired()],
            }
        return out

    def lines(self) -> list[str]:
        """The terminal summary's closing lines."""
        out = []
        if self.baseline is not None:
            out.append(
                f"baseline {self.baseline.path} ({self.baseline.generated_at}): {len(self.resolved)} resolved"
            )
            out += [f"  resolved: {_where(f)}  {f.get('diagnosis', '')}" for f in self.resolved]
        out += [
            f"waiver expired on {w.until.isoformat()}, its findings count again: {w.describe()}"
            for w in self.expired()
        ]
        out += [f"stale waiver, matches no finding: {w.describe()}" for w in self.stale()]
        return out

    def html(self) -> str:
        if not self.lines():
            return ""
        items = "".join(f"<li>{escape(line.strip())}</li>" for line in self.lines())
        return f'<section class="vh-gate"><h2>Since the baseline, and waivers</h2><ul>{items}</ul></section>'


def _where(f: dict[str, Any]) -> str:
    return f"{f['check_id']} [{f['namespace'] or 'cluster'}] {object_of(f)}"


def _logxml(config: pytest.Config) -> Any:
    try:
        from _pytest.junitxml import xml_key
    except ImportError:  # pragma: no cover
        return None
    return config.stash.get(xml_key, None)


def gate_of(config: pytest.Config) -> Gate | None:
    gate: Gate | None = config.pluginmanager.get_plugin(PLUGIN)
    return gate
