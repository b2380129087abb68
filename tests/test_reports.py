"""The three reports (HTML, results.json, JUnit), also under pytest-xdist."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.harness import run_live, run_snapshot
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.kubectl import write_get_output

SEC002 = next(v for v in VARIANTS if v.name == "sec002-newline")
RECORD_KEYS = {"id", "namespace", "outcome", "severity", "title", "message", "findings", "unseen", "nodeid"}


@pytest.fixture(scope="module")
def sec002_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_get_output(build(SEC002), tmp_path_factory.mktemp("snap"))


def test_results_json_follows_the_documented_schema(pytester: pytest.Pytester, sec002_snapshot: Path) -> None:
    run = run_snapshot(pytester, sec002_snapshot)
    doc = run.doc
    assert set(doc) == {"schema_version", "suite_version", "generated_at", "source", "namespaces", "results"}
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
    assert (pytester.path / "report.html").exists()


def test_xdist_saved_snapshot_is_complete(pytester: pytest.Pytester) -> None:
    live = run_live(pytester, build(SEC002), "-n", "2", "--save-snapshot=saved")
    offline = run_snapshot(pytester, pytester.path / "saved")
    assert offline.outcomes() == live.outcomes()


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.skip("chromium is not installed (.ci/run installs it)")
    return found


def _browser(chromium: str, *args: str) -> str:
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
    chromium = _chromium()
    run_snapshot(pytester, sec002_snapshot)
    report = pytester.path / "report.html"
    dom = _browser(chromium, "--dump-dom", "--virtual-time-budget=3000", report.as_uri())
    assert "Vantiq health report" in dom
    assert '<td class="col-check">SEC002</td>' in dom
    assert '<td class="col-severity">error</td>' in dom
    assert "ends with a newline (LF)" in dom
    assert "kubectl rollout restart sts/vantiq -n prod" in dom
    assert f"snapshot {sec002_snapshot}" in dom
    assert "v1.29.4" in dom
    shot = pytester.path / "report.png"
    _browser(chromium, f"--screenshot={shot}", "--window-size=1400,1000", report.as_uri())
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
def test_html_summary_names_the_warnings(pytester: pytest.Pytester) -> None:
    chromium = _chromium()
    demo = Path(__file__).resolve().parents[1] / "vantiq_health" / "demo"
    run_snapshot(pytester, demo)
    dom = _browser(
        chromium, "--dump-dom", "--virtual-time-budget=3000", (pytester.path / "report.html").as_uri()
    )
    assert 'Warnings (passed, shown below with verdict "warning"): ST001 [shared]' in dom
    assert '<td class="col-verdict">warning</td>' in dom
