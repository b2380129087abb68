"""An API server that misbehaves: every run ends in bounded time, reports written, no check passes unread.

The whole suite runs as operators run it, against FakeCluster with one fault (tests/kube/faults.py).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.harness import SuiteRun, run_suite
from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline

TIMEOUT = 2.0
# a check run's own start-up and reporting on two busy cores (8 s measured); a fault adds at most 4 timeouts
SLACK = 25.0


@dataclass
class FaultRun:
    run: SuiteRun
    seconds: float
    requests: list[tuple[str, str]]

    def hits(self, path_end: str) -> int:
        return sum(p.split("?")[0].endswith(path_end) for _, p in self.requests)


def _run(pytester: pytest.Pytester, faults: dict[str, str], *args: str, tls: bool = False) -> FaultRun:
    sc = baseline()
    tls_dir = pytester.path / "tls" if tls else None
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version, faults=faults, tls_dir=tls_dir) as fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig", with_ca=not tls)
        started = time.monotonic()
        run = run_suite(
            pytester,
            "--kubeconfig",
            str(kubeconfig),
            "--namespace=prod",
            f"--request-timeout={TIMEOUT}",
            *args,
        )
        seconds = time.monotonic() - started
        requests = fake.requests
    return FaultRun(run, seconds, requests)


def _assert_reports_written(
    pytester: pytest.Pytester, fr: FaultRun, bound: float = 4 * TIMEOUT + SLACK
) -> None:
    assert fr.seconds < bound, fr.run.output()
    for report in ("results.json", "report.html", "reports/junit.xml"):
        assert (pytester.path / report).is_file(), (report, fr.run.output())
    assert "Traceback" not in fr.run.output()


def _assert_not_passed(fr: FaultRun, checks: list[str], cause: str) -> None:
    outcomes = fr.run.outcomes()
    for check_id in checks:
        assert outcomes[(check_id, "prod")] in ("skipped", "error"), (check_id, fr.run.output())
        assert cause in fr.run.message(check_id, "prod"), (check_id, fr.run.message(check_id, "prod"))


def test_a_server_that_stalls_after_headers_is_waited_for_once(pytester: pytest.Pytester) -> None:
    fr = _run(pytester, {r"/namespaces/prod/pods$": "stall"})
    _assert_reports_written(pytester, fr)
    _assert_not_passed(fr, ["WL001", "WL002", "WL003", "WL004", "SEC001"], "the API server stopped answering")
    assert "within 2 s" in fr.run.message("WL001", "prod")
    assert fr.hits("/namespaces/prod/pods") == 1
    assert fr.seconds < TIMEOUT + SLACK


def test_a_connection_dropped_mid_body_is_retried_twice_then_unavailable(pytester: pytest.Pytester) -> None:
    fr = _run(pytester, {r"/namespaces/prod/secrets$": "drop"})
    _assert_reports_written(pytester, fr)
    _assert_not_passed(fr, ["SEC001", "SEC002", "SEC003", "HM001", "HM002"], "connection dropped mid-body")
    assert fr.hits("/namespaces/prod/secrets") == 3
    assert fr.run.outcomes()[("WL001", "prod")] == "passed"  # the server itself is not dead
    # the retries are visible: in results.json and in the run's closing summary
    assert sum("retried list secrets in prod" in n for n in fr.run.doc["notes"]) == 2, fr.run.doc["notes"]
    assert "during the run: retried list secrets in prod" in fr.run.output()


@pytest.mark.parametrize(
    ("resource", "status", "checks", "requests"),
    [
        ("cronjobs", "500", ["SEC001", "SEC002"], 3),  # optional kind: unreadable is not empty
        ("daemonsets", "401", ["WL004"], 1),  # optional kind, not retried
        ("events", "429", ["WL002"], 3),  # Retry-After: 1, twice
        ("statefulsets", "503", ["WL004"], 3),
    ],
)
def test_an_error_status_on_one_kind_skips_the_checks_that_read_it(
    pytester: pytest.Pytester, resource: str, status: str, checks: list[str], requests: int
) -> None:
    fr = _run(pytester, {rf"/namespaces/prod/{resource}$": status})
    _assert_reports_written(pytester, fr)
    _assert_not_passed(fr, checks, f"list {resource} in prod: HTTP {status}")
    assert fr.hits(f"/namespaces/prod/{resource}") == requests
    assert fr.run.outcomes()[("WL001", "prod")] == "passed"


def test_a_server_that_pages_forever_is_stopped_by_the_cap(pytester: pytest.Pytester) -> None:
    fr = _run(pytester, {r"/namespaces/prod/configmaps$": "pages"})
    _assert_reports_written(pytester, fr, bound=90)  # 2,000 quick requests, not timeouts
    _assert_not_passed(fr, ["SEC003", "HM001", "HM002"], "list configmaps in prod: stopped after 2,000 pages")
    assert fr.hits("/namespaces/prod/configmaps") == 2_000


def _one_line_error(fr: FaultRun) -> str:
    result = fr.run.result
    text = fr.run.output()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, text
    assert "Traceback" not in text
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR: vantiq-health:")]
    assert len(errors) == 1, text
    return errors[0]


def test_version_answering_html_is_one_line(pytester: pytest.Pytester) -> None:
    fr = _run(pytester, {r"^/version": "html"})
    assert "answered HTML, not the Kubernetes API — is this the API server URL?" in _one_line_error(fr)


def test_a_certificate_that_does_not_verify_is_one_line_naming_host_and_remedy(
    pytester: pytest.Pytester,
) -> None:
    fr = _run(pytester, {}, tls=True)
    line = _one_line_error(fr)
    assert "the certificate of host 127.0.0.1 did not verify (certificate verify failed: self-signed" in line
    assert "certificate-authority / certificate-authority-data" in line
    assert "SSLError" not in line


@pytest.mark.parametrize("value", ["-1", "0"])
def test_a_request_timeout_that_is_not_positive_is_one_line(pytester: pytest.Pytester, value: str) -> None:
    fr = _run(pytester, {}, f"--request-timeout={value}")
    assert "--request-timeout must be a positive number of seconds" in _one_line_error(fr)


def test_the_faults_are_only_the_fault(pytester: pytest.Pytester, tmp_path: Path) -> None:
    """The same run without a fault passes the checks the faults above turn into skips."""
    fr = _run(pytester, {})
    _assert_reports_written(pytester, fr)
    outcomes = fr.run.outcomes()
    for check_id in ("WL001", "WL002", "WL004", "SEC001", "SEC002", "SEC003", "HM001", "HM002"):
        assert outcomes[(check_id, "prod")] == "passed", (check_id, fr.run.output())
