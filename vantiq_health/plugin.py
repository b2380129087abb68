"""The pytest plugin: options, namespace parametrization, outcomes and reports.

Installed as a `pytest11` entry point so that its options are known before
pytest parses the command line. It only acts on runs that collect the
checks (`checks/`); the project's own tests load it and stay untouched.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Generator, Iterable
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from vantiq_health import __version__
from vantiq_health.catalog import entry
from vantiq_health.config import ConfigError
from vantiq_health.findings import Finding, Findings
from vantiq_health.session import Run, RunOptions, SetupError, describe, start
from vantiq_health.view.base import Unavailable

RUN_KEY = pytest.StashKey[Run]()
FINDINGS_KEY = pytest.StashKey[Findings]()
_current_item: ContextVar[pytest.Item | None] = ContextVar("vantiq_health_item", default=None)

DEFAULT_HTML = "reports/report.html"
DEFAULT_JSON = "reports/results.json"
DEFAULT_JUNIT = "reports/junit.xml"
COMPONENT_MARKERS = (
    "workloads",
    "secrets",
    "keycloak",
    "vantiq",
    "mongodb",
    "metrics",
    "network",
    "storage",
    "helm",
)

F = TypeVar("F", bound=Callable[..., Any])


# -- the checks' side ---------------------------------------------------------
def check(check_id: str) -> Callable[[F], F]:
    """Mark a test as the check `check_id` of the catalog (and its component marker)."""
    meta = entry(check_id)

    def mark(func: F) -> F:
        func = pytest.mark.check(check_id)(func)
        marked: F = getattr(pytest.mark, meta.component)(func)
        return marked

    return mark


def expect(found: Iterable[Finding], namespace: str | None, facts: Iterable[str] = ()) -> None:
    """The check's verdict: fail on critical/error findings, record warnings and facts.

    The check id comes from the test's `@check` marker, so a check cannot
    report under another id by mistake.
    """
    __tracebackhide__ = True
    item = _current_item.get()
    if item is None or _check_id(item) is None:
        raise RuntimeError("expect() is called from a test marked with @check(ID)")
    findings = Findings(str(_check_id(item)), namespace, facts=list(facts))
    findings.extend(found)
    item.stash[FINDINGS_KEY] = findings
    severity = findings.severity
    if severity is None:
        return
    fail_on = item.config.getoption("vh_fail_on")
    if severity in ("critical", "error") or (severity == "warning" and fail_on == "warning"):
        pytest.fail(findings.explain(), pytrace=False)


# -- options and set-up -------------------------------------------------------
def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vantiq-health", "vantiq-health: checks of a Vantiq installation")
    add = group.addoption
    add(
        "--namespace",
        action="append",
        dest="vh_namespace",
        metavar="NS",
        help="installation namespace to check (repeatable, comma lists ok); default: the context's",
    )
    add(
        "--system-namespace",
        dest="vh_system_namespace",
        metavar="NS",
        help="namespace of the shared components (keycloak, grafana, influxdb, telegraf); default: shared",
    )
    add(
        "--kubeconfig",
        dest="vh_kubeconfig",
        metavar="PATH",
        help="kubeconfig file; default: $KUBECONFIG, ~/.kube/config, or the in-cluster config",
    )
    add("--context", dest="vh_context", metavar="NAME", help="kubeconfig context to use")
    add(
        "--snapshot",
        dest="vh_snapshot",
        metavar="DIR",
        help="run offline on saved kubectl output (-o json|yaml, cluster-info dump) in DIR",
    )
    add(
        "--save-snapshot",
        dest="vh_save_snapshot",
        metavar="DIR",
        help="write what this run read to DIR in the snapshot format, secret values redacted",
    )
    add(
        "--config",
        dest="vh_config",
        metavar="FILE",
        help="suite config (names, thresholds); default: ./vantiq-health.toml if present",
    )
    add(
        "--fail-on",
        dest="vh_fail_on",
        choices=("error", "warning"),
        default="error",
        help="lowest severity that fails the run: error (default) or warning",
    )
    add(
        "--results-json",
        dest="vh_results_json",
        metavar="PATH",
        default=DEFAULT_JSON,
        help=f"where to write the JSON summary (default {DEFAULT_JSON})",
    )
    add(
        "--request-timeout",
        dest="vh_request_timeout",
        metavar="SECONDS",
        type=float,
        default=30.0,
        help="read timeout of each API request (connect: 5 s); a dead server costs it once",
    )
    add(
        "--target-version",
        dest="vh_target_version",
        metavar="X.Y",
        help="judge Helm releases against Kubernetes X.Y: would the upgrade break them?",
    )


def _checks_dir(config: pytest.Config) -> Path:
    return (config.rootpath / "checks").resolve()


def is_check_run(config: pytest.Config) -> bool:
    """True when the run collects the health checks (not the project's own tests)."""
    checks = _checks_dir(config)
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == checks or checks in path.parents:
            return True
    return False


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id): a health check of the catalog, by id")
    for name in COMPONENT_MARKERS:
        config.addinivalue_line("markers", f"{name}: checks of the {name} component")
    if not is_check_run(config) or config.option.help or getattr(config.option, "markers", False):
        return
    opts = RunOptions(
        namespaces=config.getoption("vh_namespace") or [],
        system_namespace=config.getoption("vh_system_namespace"),
        kubeconfig=config.getoption("vh_kubeconfig"),
        context=config.getoption("vh_context"),
        snapshot=config.getoption("vh_snapshot"),
        config=config.getoption("vh_config"),
        target_version=config.getoption("vh_target_version"),
        request_timeout=config.getoption("vh_request_timeout"),
    )
    try:
        config.stash[RUN_KEY] = start(opts, default_system_namespace="shared")
    except (SetupError, ConfigError) as exc:
        raise pytest.UsageError(f"vantiq-health: {exc}") from None
    config.pluginmanager.register(Reporter(config), "vantiq-health-reporter")
    if getattr(config.option, "htmlpath", "unset") is None:
        config.option.htmlpath = DEFAULT_HTML
        config.option.self_contained_html = True
    if not config.option.xmlpath:
        config.option.xmlpath = DEFAULT_JUNIT


def get_run(config: pytest.Config) -> Run:
    try:
        return config.stash[RUN_KEY]
    except KeyError:
        raise pytest.UsageError(
            "vantiq-health: the checks run from the project's checks/ folder: pytest checks/ ..."
        ) from None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    lines = [
        f"vantiq-health {__version__}: {run.source_line()}, Kubernetes {run.server_version()}",
        f"namespaces: {', '.join(run.namespaces)}; system namespace: {run.system_namespace}",
    ]
    if run.namespace_note:
        lines.append(run.namespace_note)
    lines.extend(run.notes)
    return lines


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    for name, values in (
        ("namespace", run.all_namespaces),
        ("installation_namespace", run.namespaces),
    ):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, values, ids=values, indirect=True, scope="session")


# -- outcomes -----------------------------------------------------------------
def _check_id(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("check")
    return str(marker.args[0]) if marker and marker.args else None


def _namespace(item: pytest.Item) -> str | None:
    params = getattr(getattr(item, "callspec", None), "params", {})
    return params.get("namespace") or params.get("installation_namespace")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        check_id = _check_id(item)
        if check_id:
            item.user_properties.append(("check_id", check_id))
            item.user_properties.append(("catalog_severity", entry(check_id).severity))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    token = _current_item.set(item)
    try:
        return (yield)
    except Unavailable as exc:
        raise pytest.skip.Exception(f"cannot check: {exc}", _use_item_location=True) from None
    finally:
        _current_item.reset(token)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    check_id = _check_id(item)
    if check_id is None or call.when != "call":
        return report
    findings = item.stash.get(FINDINGS_KEY, None)
    severity = (findings.severity if findings else None) or entry(check_id).severities[0]

    def prop(name: str, value: str) -> None:
        # the call report feeds HTML and JSON; the item's list reaches JUnit (it reads the teardown report)
        report.user_properties.append((name, value))
        item.user_properties.append((name, value))

    prop("severity", severity)
    prop("namespace", _namespace(item) or "")
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


class Reporter:
    """Collects one record per check run and writes results.json (never on xdist workers)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.results: dict[str, dict[str, Any]] = {}

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """The cluster context in the HTML report's environment table (pytest-metadata)."""
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pragma: no cover
            return
        metadata = self.config.stash.get(metadata_key, None)
        if metadata is None:
            return
        run = get_run(self.config)
        metadata["Cluster"] = run.source_line()
        metadata["Kubernetes"] = run.server_version()
        metadata["Namespaces"] = ", ".join(run.namespaces)
        metadata["System namespace"] = run.system_namespace
        metadata["vantiq-health"] = __version__
        metadata["Run at"] = datetime.now(UTC).isoformat(timespec="seconds")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if "check_id" not in props:
            return
        rec = self.results.setdefault(report.nodeid, _record(report, props))
        if report.when == "call":
            rec.update(_call_outcome(report, props))
        elif report.failed:
            rec.update(outcome="error", message=_tail(report.longreprtext))
        elif report.skipped:
            rec.update(outcome="skipped", message=_skip_reason(report))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        warned = [r for r in self.results.values() if r["outcome"] == "warning"]
        if warned:
            terminalreporter.write_sep("=", f"vantiq-health: {len(warned)} warning(s)", yellow=True)
            for rec in warned:
                terminalreporter.write_line(rec["message"])
                terminalreporter.write_line("")

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        config = self.config
        run = get_run(config)
        save_dir = config.getoption("vh_save_snapshot")
        worker = getattr(config, "workerinput", {}).get("workerid")
        if save_dir:
            from vantiq_health.view.save import save_snapshot

            target = Path(save_dir) / worker if worker else Path(save_dir)
            save_snapshot(run.view, target, run.namespaces, run.system_namespace)
        if worker:
            return
        path = Path(config.getoption("vh_results_json"))
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "suite_version": __version__,
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": describe(run),
            "namespaces": run.all_namespaces,
            "results": sorted(self.results.values(), key=lambda r: r["nodeid"]),
        }
        path.write_text(json.dumps(doc, indent=2) + "\n")


def _record(report: pytest.TestReport, props: dict[str, Any]) -> dict[str, Any]:
    meta = entry(props["check_id"])
    return {
        "id": meta.id,
        "namespace": props.get("namespace") or _namespace_from_nodeid(report.nodeid),
        "outcome": "passed",
        "severity": meta.severities[0],
        "title": meta.title,
        "message": "",
        "nodeid": report.nodeid,
    }


def _namespace_from_nodeid(nodeid: str) -> str | None:
    if nodeid.endswith("]") and "[" in nodeid:
        return nodeid.rsplit("[", 1)[1][:-1]
    return None


def _call_outcome(report: pytest.TestReport, props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"severity": props.get("severity")}
    if report.failed:
        out.update(outcome=props.get("outcome", "failed"), message=report.longreprtext)
    elif report.skipped:
        out.update(outcome="skipped", message=_skip_reason(report))
    else:
        section = next((text for name, text in report.sections if name.startswith("vantiq-health")), "")
        out.update(outcome=props.get("outcome", "passed"), message=section)
    return out


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# -- the HTML report ----------------------------------------------------------
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
