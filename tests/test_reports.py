"""The three reports (HTML, results.json, JUnit), also under pytest-xdist."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.harness import run_live, run_snapshot
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.kubectl import write_get_output
from vantiq_health.plugin.summary import RunSummary, summary_lines

SEC002 = next(v for v in VARIANTS if v.name == "sec002-newline")
RECORD_KEYS = {"id", "namespace", "outcome", "severity", "title", "message", "findings", "unseen", "nodeid"}


@pytest.fixture(scope="module")
def sec002_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_get_output(build(SEC002), tmp_path_factory.mktemp("snap"))


def test_results_json_follows_the_documented_schema(pytester: pytest.Pytester, sec002_snapshot: Path) -> None:
    run = run_snapshot(pytester, sec002_snapshot)
    doc = run.doc
    assert set(doc) == {
        "schema_version",
        "suite_version",
        "generated_at",
        "source",
        "namespaces",
        "notes",
        "results",
        "lang",
    }
    assert doc["lang"] == "en"
    assert doc["source"]["mode"] == "snapshot"
    assert doc["source"]["server_version"] == "v1.29.4"
    assert doc["namespaces"] == ["prod", "shared"]
    for record in doc["results"]:
        assert set(record) == RECORD_KEYS
        assert record["outcome"] in {"passed", "failed", "warning", "skipped", "error"}
    failed = [r for r in doc["results"] if r["outcome"] == "failed"]
    assert [(r["id"], r["namespace"], r["severity"]) for r in failed] == [("SEC002", "prod", "error")]
    assert failed[0]["title"] == "Credential values are free of copy-paste defects"


def test_junit_carries_id_and_severity(pytester: pytest.Pytester, sec002_snapshot: Path) -> None:
    run_snapshot(pytester, sec002_snapshot, "--junitxml=junit.xml")
    cases = ET.parse(pytester.path / "junit.xml").getroot().iter("testcase")
    props = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in cases}
    failing = props["test_credentials_have_no_copy_paste_defects[prod]"]
    assert failing["check_id"] == "SEC002"
    assert failing["severity"] == "error"
    assert all("check_id" in p and "severity" in p for p in props.values())


def test_xdist_gives_the_same_results_and_one_report(
    pytester: pytest.Pytester, sec002_snapshot: Path
) -> None:
    single = run_snapshot(pytester, sec002_snapshot)
    parallel = run_snapshot(pytester, sec002_snapshot, "-n", "2")
    assert parallel.outcomes() == single.outcomes()
    assert "2 workers" in parallel.output()
    assert "pytest -n: every worker starts up, reads the cluster and judges it again" in parallel.output()
    assert "pytest -n:" not in single.output()
    # findings travel from the workers to the summary as data on the reports
    assert "findings by severity: 1 error" in parallel.output()
    assert re.search(
        r"^  SEC002\s+prod\s+Secret/prod/keycloak\s+error\s+Secret prod/keycloak", parallel.output(), re.M
    )
    assert (pytester.path / "report.html").exists()


def test_xdist_saved_snapshot_is_complete(pytester: pytest.Pytester) -> None:
    live = run_live(pytester, build(SEC002), "-n", "2", "--save-snapshot=saved")
    offline = run_snapshot(pytester, pytester.path / "saved")
    assert offline.outcomes() == live.outcomes()


def chromium_path() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    return found


def browser(chromium: str, *args: str) -> str:
    with tempfile.TemporaryDirectory() as profile:
        cmd = [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            *args,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout


@pytest.mark.slow
def test_html_report_renders_ids_severities_findings_and_cluster(
    pytester: pytest.Pytester, sec002_snapshot: Path
) -> None:
    chromium = chromium_path()
    run_snapshot(pytester, sec002_snapshot)
    report = pytester.path / "report.html"
    dom = browser(chromium, "--dump-dom", "--virtual-time-budget=3000", report.as_uri())
    assert "Vantiq health report" in dom
    assert '<td class="col-check">SEC002</td>' in dom
    assert '<td class="col-severity">error</td>' in dom
    assert "ends with a newline (LF)" in dom
    assert "kubectl rollout restart sts/vantiq -n prod" in dom
    assert f"snapshot {sec002_snapshot}" in dom
    assert "v1.29.4" in dom
    shot = pytester.path / "report.png"
    browser(chromium, f"--screenshot={shot}", "--window-size=1400,1000", report.as_uri())
    assert shot.stat().st_size > 10_000


def test_results_json_default_location(pytester: pytest.Pytester, sec002_snapshot: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    result = pytester.runpytest_subprocess(
        str(root / "checks"), f"--rootdir={root}", "--snapshot", str(sec002_snapshot)
    )
    assert result.ret == 1
    assert json.loads((pytester.path / "reports" / "results.json").read_text())["results"]
    assert (pytester.path / "reports" / "report.html").exists()
    assert (pytester.path / "reports" / "junit.xml").exists()


@pytest.mark.slow
def test_html_report_of_the_demo_says_so_and_shows_the_warning_whole(pytester: pytest.Pytester) -> None:
    chromium = chromium_path()
    demo = Path(__file__).resolve().parents[1] / "vantiq_health" / "demo"
    run_snapshot(pytester, demo)
    dom = browser(
        chromium, "--dump-dom", "--virtual-time-budget=3000", (pytester.path / "report.html").as_uri()
    )
    assert "This report is of the <b>bundled demo snapshot</b>, not of your cluster" in dom
    warning = dom[dom.index('<article class="vh-finding vh-finding--warning">') :]
    warning = warning[: warning.index("</article>")]
    assert "<b>ST001</b> No volume of the installation is left Released" in warning
    assert "Rebinding cannot work here" in warning
    assert "Why it matters: A Released volume holds data" in warning
    assert '<td class="col-verdict">warning</td>' in dom


def test_terminal_summary_ends_the_run_with_verdict_counts_and_one_line_per_finding(
    pytester: pytest.Pytester, sec002_snapshot: Path
) -> None:
    run = run_snapshot(pytester, sec002_snapshot)
    out = run.result.outlines
    start = out.index(next(line for line in out if "vantiq-health: findings" in line))
    assert out[start + 1].startswith("verdict: FINDINGS — ")
    assert " checks: 1 failed, 0 warned, " in out[start + 1]
    assert out[start + 2] == "findings by severity: 1 error"
    assert out[start + 3].split() == [
        "SEC002",
        "prod",
        "Secret/prod/keycloak",
        "error",
        "Secret",
        "prod/keycloak",
        "key",
        "'password'",
        *out[start + 3].split()[8:],
    ]
    assert "ends with a newline" in out[start + 3]
    rest = out[start + 4 :]
    skips = [line for line in rest if line.startswith("not checked: ")]  # live checks skip on a snapshot
    assert all("[" in line for line in skips)
    assert re.match(r"=+ 1 failed, \d+ passed", rest[len(skips)])  # the summary is the last block


def _record(check_id: str, ns: str | None, outcome: str, message: str = "") -> dict:
    return {"id": check_id, "namespace": ns, "outcome": outcome, "message": message, "nodeid": check_id}


def test_summary_verdicts_pass_findings_and_could_not_check() -> None:
    passed = [_record("WL001", "prod", "passed"), _record("WL002", "prod", "passed")]
    assert RunSummary(passed).verdict == "pass"
    skipped = [
        _record("ST001", "prod", "skipped", "cannot check: needs: list persistentvolumes (cluster scope)")
    ]
    assert RunSummary(skipped).verdict == "could not check"
    assert RunSummary([]).verdict == "could not check"
    assert RunSummary([*passed, _record("SEC001", "prod", "error")]).verdict == "could not check"
    warned = RunSummary([*passed, *skipped, _record("ST001", "shared", "warning")])
    warned.findings = [
        {
            "check_id": "ST001",
            "namespace": "shared",
            "severity": "warning",
            "diagnosis": "PersistentVolume pvc-1 (5Gi) is Released: it holds the old data of claim shared/grafana",
        }
    ]
    lines = summary_lines(warned)
    assert lines[0] == ("verdict: FINDINGS — 4 checks: 0 failed, 1 warned, 2 passed, 1 not checked, 0 errors")
    assert lines[1] == "findings by severity: 1 warning"
    assert lines[2].split()[:4] == ["ST001", "shared", "pv/pvc-1", "warning"]
    assert lines[3] == (
        "not checked: ST001 [prod]: cannot check: needs: list persistentvolumes (cluster scope)"
    )
