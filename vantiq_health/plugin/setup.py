"""Options, run set-up, namespace parametrization and the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from vantiq_health import __version__
from vantiq_health.config import ConfigError
from vantiq_health.plugin.api import RUN_KEY
from vantiq_health.plugin.results import Reporter
from vantiq_health.session import RunOptions, SetupError, start

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
