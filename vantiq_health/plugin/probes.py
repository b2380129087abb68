"""Options of the live probes, the `system_namespace` parametrization and the `live` marker.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import pytest

from vantiq_health.i18n import reason_of, render, tr
from vantiq_health.plugin.api import RUN_KEY
from vantiq_health.probes.endpoints import EndpointError, Endpoints, in_cluster, parse_endpoints
from vantiq_health.probes.probe_pods import PodOptions

ENDPOINTS_KEY = pytest.StashKey[object]()
HUB_KEY = pytest.StashKey[object]()  # the session's Probes, set by the `probes` fixture
PODS_KEY = pytest.StashKey[PodOptions]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vantiq-health", "vantiq-health: checks of a Vantiq installation")
    group.addoption(
        "--endpoint",
        action="append",
        dest="vh_endpoint",
        metavar="NAME[@NS]=HOST:PORT|URL",
        default=[],
        help="reach a service there (repeatable): postgres, mongodb, keycloak, influxdb, grafana, grafanadb, "
        "ingress, dns (the cluster DNS: never port-forwarded); e.g. mongodb@prod=10.0.0.5:27017",
    )
    group.addoption(
        "--no-live",
        action="store_true",
        dest="vh_no_live",
        default=False,
        help="run only the checks that need no service connection (no database or HTTP probes)",
    )
    group.addoption(
        "--probe-timeout",
        dest="vh_probe_timeout",
        metavar="SECONDS",
        type=float,
        default=5.0,
        help="bound of every probe's connect and query (default 5); a dead target costs it once",
    )
    group.addoption(
        "--allow-probe-pods",
        action="store_true",
        dest="vh_allow_probe_pods",
        default=False,
        help="from a workstation, run the pod-network checks (NET001 live, NET002, NET005, VQ003) from a "
        "short-lived probe pod in the first --namespace (needs create/delete pods there; deleted at the end)",
    )
    group.addoption(
        "--probe-image",
        dest="vh_probe_image",
        metavar="IMAGE",
        default=None,
        help="the image of the probe pods (required with --allow-probe-pods): one with vantiq-health installed",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "live: a check that connects to a service (off with --no-live)")
    try:
        config.stash[ENDPOINTS_KEY] = parse_endpoints(config.getoption("vh_endpoint") or [])
    except EndpointError as exc:
        raise pytest.UsageError(f"vantiq-health: {render(reason_of(exc))}") from None
    allowed, image = config.getoption("vh_allow_probe_pods"), config.getoption("vh_probe_image")
    if allowed and not image:
        raise pytest.UsageError(tr("common.probe_pods_need_image"))
    config.stash[PODS_KEY] = PodOptions(bool(allowed), image)
    timeout = config.getoption("vh_probe_timeout")
    if timeout is not None and timeout <= 0:
        raise pytest.UsageError(tr("common.probe_timeout_usage"))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        return None
    if config.getoption("vh_no_live"):
        return ["live probes: off (--no-live): checks that connect to a service skip"]
    if run.view.mode == "snapshot":
        return ["live probes: none on a snapshot: checks that connect to a service skip"]
    how = (
        "in-cluster, Service DNS names"
        if in_cluster()
        else "from this workstation: port-forward to the pods of in-cluster Services"
    )
    lines = [f"live probes: on ({how}); --probe-timeout {config.getoption('vh_probe_timeout'):g} s"]
    pods = config.stash.get(PODS_KEY, None)
    if pods is not None and pods.allowed and not in_cluster():
        lines.append(f"probe pods: allowed ({pods.image}), in {run.namespaces[0] if run.namespaces else '?'}")
    endpoints = config.stash.get(ENDPOINTS_KEY, None)
    if isinstance(endpoints, Endpoints) and endpoints.items:
        lines.append(f"endpoints: {endpoints.describe()}")
    return lines


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    hub = terminalreporter.config.stash.get(HUB_KEY, None)
    results = hub.results() if hub is not None else []  # type: ignore[attr-defined]
    if results:
        terminalreporter.section("vantiq-health live probes")
        for result in results:
            terminalreporter.line(result.describe())
