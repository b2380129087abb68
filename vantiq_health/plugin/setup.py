"""Options, run set-up, namespace parametrization and the header.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from vantiq_health import __version__, i18n
from vantiq_health.config import ConfigError
from vantiq_health.plugin.api import RUN_KEY
from vantiq_health.plugin.results import Reporter
from vantiq_health.plugin.rootdir import PROJECT_KEY
from vantiq_health.session import RunOptions, SetupError, demo_snapshot, start

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


OPTION_DEFAULTS: dict[str, tuple[str, Any]] = {}  # dest -> (option, default): what "given" means


def option_adder(parser: pytest.Parser) -> Any:
    """`addoption` of the suite's group, remembering each option's default."""
    group = parser.getgroup("vantiq-health", "vantiq-health: checks of a Vantiq installation")

    def add(*names: str, **attrs: Any) -> None:
        group.addoption(*names, **attrs)
        OPTION_DEFAULTS[attrs["dest"]] = (names[0], attrs.get("default"))

    return add


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(PROJECT_KEY, "the folder of the health checks (declares a vantiq-health project)")
    add = option_adder(parser)
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
        "--lang",
        dest="vh_lang",
        choices=i18n.LANGS,
        default=None,
        help="language of the reports and messages: ja or en; default: lang in the config file, "
        "else ja when the locale is ja_* (LC_ALL, LC_MESSAGES, LANG), else en",
    )
    add(
        "--target-version",
        dest="vh_target_version",
        metavar="X.Y",
        help="judge Helm releases against Kubernetes X.Y: would the upgrade break them?",
    )


def checks_dir(config: pytest.Config) -> Path | None:
    """The checks folder the project's ini file declares; None outside a vantiq-health project."""
    name = config.getini(PROJECT_KEY)
    if not name:
        return None
    base = config.inipath.parent if config.inipath else config.rootpath
    return (base / name).resolve()


def is_check_run(config: pytest.Config) -> bool:
    """True when the run collects the health checks of a declared project, and nothing else."""
    checks = checks_dir(config)
    if checks is None:
        return False
    paths = [Path(config.invocation_params.dir, arg.split("::")[0]).resolve() for arg in config.args]
    return all(path == checks or checks in path.parents for path in paths)


def given_options(config: pytest.Config) -> list[str]:
    return [name for dest, (name, default) in OPTION_DEFAULTS.items() if config.getoption(dest) != default]


def _refuse_options_outside_the_checks(config: pytest.Config) -> None:
    """The suite's options on a run of other tests in the project: say so rather than run those."""
    checks = checks_dir(config)
    given = given_options(config)
    if checks is not None and given and not config.option.help:
        raise pytest.UsageError(
            i18n.tr(
                "common.options_outside_checks",
                given=", ".join(given),
                collects=" ".join(config.args),
                checks=str(checks),
                first=given[0],
            )
        )


def _remove_stale_reports(config: pytest.Config) -> None:
    """A run that fails before writing must not leave the previous run's reports looking current."""
    if hasattr(config, "workerinput"):
        return
    html = getattr(config.option, "htmlpath", None)
    for path in (html, config.option.xmlpath, config.getoption("vh_results_json")):
        if path:
            Path(path).unlink(missing_ok=True)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(id): a health check of the catalog, by id")
    for name in COMPONENT_MARKERS:
        config.addinivalue_line("markers", f"{name}: checks of the {name} component")
    if not is_check_run(config):
        _refuse_options_outside_the_checks(config)
        return
    if config.option.help or getattr(config.option, "markers", False):
        return
    i18n.set_language(config.getoption("vh_lang") or i18n.locale_language())  # usage errors before the config
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
    if getattr(config.option, "htmlpath", "unset") is None:
        config.option.htmlpath = DEFAULT_HTML
        config.option.self_contained_html = True
    if not config.option.xmlpath:
        config.option.xmlpath = DEFAULT_JUNIT
    _remove_stale_reports(config)
    _check_save_target(config.getoption("vh_save_snapshot"))
    try:
        config.stash[RUN_KEY] = run = start(opts, default_system_namespace="shared")
    except (SetupError, ConfigError) as exc:
        raise pytest.UsageError(f"vantiq-health: {i18n.render(i18n.reason_of(exc))}") from None
    i18n.set_language(config.getoption("vh_lang") or run.config.lang or i18n.locale_language())
    if is_demo(opts.snapshot):
        run.notes.insert(0, i18n.tr("common.demo_note"))
    config.pluginmanager.register(Reporter(config), "vantiq-health-reporter")


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    i18n.set_language(i18n.DEFAULT)  # a later run in the same process chooses again


def _check_save_target(target: str | None) -> None:
    """--save-snapshot must name a folder this run may fill: said before the run, not as a traceback after it."""
    if not target:
        return
    from vantiq_health.view.snapshot import META_FILE

    path = Path(target)
    if path.exists() and not path.is_dir():
        raise pytest.UsageError(i18n.tr("common.save_target_not_folder", target=target))
    if path.is_dir() and any(path.iterdir()) and not (path / META_FILE).exists():
        raise pytest.UsageError(i18n.tr("common.save_target_not_empty", target=target))
    parent = path if path.is_dir() else next((p for p in path.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise pytest.UsageError(i18n.tr("common.save_target_not_writable", target=target, parent=str(parent)))


DEMO_NOTE = (
    "DEMO: the bundled demo snapshot, not your cluster; its findings are there on purpose"  # common.demo_note
)


def is_demo(snapshot: str | None) -> bool:
    """True when the run reads the bundled demo snapshot (the header and reports say so)."""
    return bool(snapshot) and Path(str(snapshot)).resolve() == demo_snapshot().resolve()


XDIST_NOTE = (
    "pytest -n: every worker starts up, reads the cluster and judges it again, so a serial run is faster "
    "(README, Performance)"
)


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    lines = [
        f"vantiq-health {__version__}: {run.source_line()}, Kubernetes {run.server_version()}",
        i18n.tr(
            "common.header_namespaces", namespaces=", ".join(run.namespaces), system=run.system_namespace
        ),
    ]
    if run.namespace_note:
        lines.append(run.namespace_note)
    lines.extend(i18n.render(n) for n in run.notes)  # the view's notes are Msgs: the run's language
    if config.getoption("numprocesses", None):
        lines.append(XDIST_NOTE)
    return lines
