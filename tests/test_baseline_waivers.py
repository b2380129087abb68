"""--baseline and waivers, end to end on the demo snapshot (its findings are there on purpose).

The demo's findings: HM001 [shared] (critical), SEC002, WL003, WL004 [prod] (error),
VQ001 [prod] and ST001 [shared] (warnings). Every report of the run (terminal summary,
results.json, JUnit, HTML) must mark them, and only new, unwaived ones fail the run.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.harness import SuiteRun, run_snapshot
from vantiq_health.session import demo_snapshot
from vantiq_health.waivers import Waiver, WaiverError, parse_waivers

DEMO_FAILS = {("HM001", "shared"), ("SEC002", "prod"), ("WL003", "prod"), ("WL004", "prod")}


def _run(pytester: pytest.Pytester, *args: str) -> SuiteRun:
    return run_snapshot(pytester, demo_snapshot(), *args, "--junitxml", str(pytester.path / "junit.xml"))


def _findings(run: SuiteRun) -> dict[tuple[str, str | None], list[dict[str, Any]]]:
    return {(r["id"], r["namespace"]): r["findings"] for r in run.records if r["findings"]}


def _junit(pytester: pytest.Pytester) -> tuple[dict[str, list[str]], list[tuple[str, str]]]:
    """JUnit: test case name -> its finding properties; and the suite's global properties."""
    root = ET.parse(pytester.path / "junit.xml").getroot()
    cases = {
        case.get("name", ""): [
            p.get("value", "") for p in case.iter("property") if p.get("name") == "finding"
        ]
        for case in root.iter("testcase")
    }
    suite = root.find("testsuite")
    props = suite.find("properties") if suite is not None else None
    return cases, [(p.get("name", ""), p.get("value", "")) for p in (props if props is not None else [])]


@pytest.fixture
def first(pytester: pytest.Pytester) -> dict[str, Any]:
    run = _run(pytester)
    assert run.result.ret == 1, run.output()
    assert run.with_outcome("failed") == DEMO_FAILS
    return run.doc


def _baseline(pytester: pytest.Pytester, doc: dict[str, Any]) -> Path:
    """An earlier run's results.json, edited the way time edits a cluster."""
    for record in doc["results"]:
        if record["id"] == "WL003":  # not found then: new now
            record["findings"], record["outcome"] = [], "passed"
        if (record["id"], record["namespace"]) == ("SEC002", "prod"):  # reworded, other evidence: the same
            for f in record["findings"]:
                f["diagnosis"], f["evidence"] = (
                    "an older wording of the defect",
                    ["seen 2026-01-01T00:00:00Z"],
                )
        if (record["id"], record["namespace"]) == ("WL001", "prod"):  # found then, gone now: resolved
            record["findings"] = [
                {
                    "object": {"kind": "Pod", "namespace": "prod", "name": "vantiq-0"},
                    "severity": "critical",
                    "diagnosis": "pod prod/vantiq-0 is crash-looping",
                    "evidence": [],
                    "fix": [],
                    "advice": [],
                }
            ]
    path = pytester.path / "baseline" / "results.json"
    path.parent.mkdir()
    path.write_text(json.dumps(doc))
    return path


def test_only_new_findings_fail_and_each_is_marked(pytester: pytest.Pytester, first: dict[str, Any]) -> None:
    run = _run(pytester, "--baseline", str(_baseline(pytester, first)))
    assert run.result.ret == 1, run.output()
    assert (
        "exit 1, findings at the gating severity, or a check ended in error: 1 check(s) failed"
        in run.output()
    )
    found = _findings(run)
    assert [f["baseline"] for f in found[("WL003", "prod")]] == ["new"]
    for key in [("SEC002", "prod"), ("WL004", "prod"), ("HM001", "shared"), ("VQ001", "prod")]:
        assert {f["baseline"] for f in found[key]} == {"still present"}, key
    # every report still shows the known findings as failed: nothing is dropped
    assert run.with_outcome("failed") == DEMO_FAILS
    resolved = run.doc["baseline"]["resolved"]
    assert [(f["check_id"], f["namespace"], f["object"]["name"], f["baseline"]) for f in resolved] == [
        ("WL001", "prod", "vantiq-0", "resolved")
    ]
    run.result.stdout.fnmatch_lines(
        [
            "*SEC002*Secret/prod/keycloak*[[]still present[]]*",
            "*WL003*Pod/prod/mongodb-2*[[]new[]]*",
            "baseline *results.json (*): 1 resolved",
            "  resolved: WL001 [[]prod[]] Pod/prod/vantiq-0  pod prod/vantiq-0 is crash-looping",
        ]
    )
    cases, suite_props = _junit(pytester)
    wl003 = next(v for name, v in cases.items() if "init_container" in name and name.endswith("[prod]"))
    assert json.loads(wl003[0])["baseline"] == "new"
    assert [json.loads(v)["object"]["name"] for k, v in suite_props if k == "resolved"] == ["vantiq-0"]
    html = (pytester.path / "report.html").read_text()
    assert "[new]" in html
    assert "[still present]" in html
    assert "resolved: WL001 [prod] Pod/prod/vantiq-0" in html


def test_an_unchanged_cluster_passes_against_its_own_baseline(
    pytester: pytest.Pytester, first: dict[str, Any]
) -> None:
    path = pytester.path / "previous.json"
    path.write_text(json.dumps(first))
    run = _run(pytester, "--baseline", str(path))
    assert run.result.ret == 0, run.output()
    assert run.with_outcome("failed") == DEMO_FAILS  # reported as they are, not gating
    assert {f["baseline"] for fs in _findings(run).values() for f in fs} == {"still present"}
    assert run.doc["baseline"]["resolved"] == []


def test_waivers_waived_expired_and_stale(pytester: pytest.Pytester) -> None:
    config = pytester.path / "vantiq-health.toml"
    config.write_text(
        "[[waivers]]\n"
        'id = "SEC002"\nnamespace = "prod"\nobject = "Secret/keycloak"\n'
        'reason = "password rotated in OPS-12"\nuntil = 2099-12-31\n'
        "[[waivers]]\n"
        'id = "WL003"\nnamespace = "prod"\nreason = "DNS fix scheduled"\nuntil = "2099-12-31"\n'
        "[[waivers]]\n"
        'id = "WL004"\nnamespace = "prod"\nreason = "waiting for the MongoDB upgrade"\nuntil = 2020-06-30\n'
        "[[waivers]]\n"
        'id = "HM001"\nnamespace = "shared"\nobject = "vantiq"\nreason = "old chart"\nuntil = 2099-01-01\n'
    )
    run = _run(pytester, "--config", str(config))
    assert run.result.ret == 1, run.output()
    # WL004's waiver expired and HM001's waiver names another object: those two fail the run
    assert "2 check(s) failed" in run.output()
    found = _findings(run)
    assert found[("SEC002", "prod")][0]["waiver"] == {
        "id": "SEC002",
        "namespace": "prod",
        "object": "Secret/keycloak",
        "reason": "password rotated in OPS-12",
        "until": "2099-12-31",
        "state": "active",
    }
    assert found[("WL004", "prod")][0]["waiver"]["state"] == "expired"
    assert "waiver" not in found[("HM001", "shared")][0]
    assert run.with_outcome("failed") == DEMO_FAILS  # waived findings are reported, never dropped
    assert run.doc["waivers"]["stale"] == [
        {
            "id": "HM001",
            "namespace": "shared",
            "object": "vantiq",
            "reason": "old chart",
            "until": "2099-01-01",
        }
    ]
    assert [w["id"] for w in run.doc["waivers"]["expired"]] == ["WL004"]
    run.result.stdout.fnmatch_lines(
        [
            "*SEC002*[[]waived: password rotated in OPS-12[]]*",
            "*WL004*[[]waiver expired 2020-06-30: waiting for the MongoDB upgrade[]]*",
            "waiver expired on 2020-06-30, its findings count again: WL004 [[]prod[]] until 2020-06-30: *",
            "stale waiver, matches no finding: HM001 [[]shared[]] vantiq until 2099-01-01: old chart",
        ]
    )
    _, suite_props = _junit(pytester)
    assert [json.loads(v)["id"] for k, v in suite_props if k == "stale_waiver"] == ["HM001"]
    html = (pytester.path / "report.html").read_text()
    assert "[waived: password rotated in OPS-12]" in html
    assert "stale waiver, matches no finding: HM001" in html


def test_a_bad_waiver_or_baseline_is_a_usage_error(pytester: pytest.Pytester) -> None:
    config = pytester.path / "vantiq-health.toml"
    config.write_text('[[waivers]]\nid = "SEC002"\nnamespace = "prod"\nreason = "x"\nuntill = 2099-01-01\n')
    run = _run(pytester, "--config", str(config))
    assert run.result.ret == 4
    assert "unknown key waivers.untill in waiver 1" in run.output()
    config.unlink()
    run = _run(pytester, "--baseline", str(pytester.path / "nowhere.json"))
    assert run.result.ret == 4
    assert "--baseline" in run.output()
    assert "nowhere.json: cannot read it" in run.output()


def test_report_dir_holds_every_report(pytester: pytest.Pytester) -> None:
    target = pytester.path / "reports" / "prod-aks"
    result = pytester.runpytest_subprocess(
        str(Path(__file__).resolve().parents[1] / "checks"),
        f"--rootdir={Path(__file__).resolve().parents[1]}",
        "--snapshot",
        str(demo_snapshot()),
        "--report-dir",
        str(target),
    )
    assert result.ret == 1
    assert sorted(p.name for p in target.iterdir()) == ["junit.xml", "report.html", "results.json"]


def test_waiver_matching() -> None:
    (w,) = parse_waivers(
        [
            {
                "id": "ST001",
                "namespace": "cluster",
                "object": "PersistentVolume/pv-1",
                "reason": "r",
                "until": "2027-01-31",
            }
        ]
    )
    assert w == Waiver("ST001", None, "r", date(2027, 1, 31), "PersistentVolume/pv-1")
    pv = {"kind": "PersistentVolume", "namespace": None, "name": "pv-1"}
    assert w.covers("ST001", None, pv)
    assert not w.covers("ST001", None, {**pv, "kind": "Pod"})
    assert not w.covers("ST001", "prod", pv)
    assert not w.expired(date(2027, 1, 31))
    assert w.expired(date(2027, 2, 1))
    with pytest.raises(WaiverError, match="waiver 1 needs reason"):
        parse_waivers([{"id": "X", "namespace": "prod", "until": "2027-01-01"}])


def test_with_xdist_the_controller_knows_what_was_found(
    pytester: pytest.Pytester, first: dict[str, Any]
) -> None:
    """Findings are marked on the workers; resolved and stale are decided from their reports."""
    run = _run(pytester, "-n", "2", "--baseline", str(_baseline(pytester, first)))
    assert run.result.ret == 1, run.output()
    assert [f["object"]["name"] for f in run.doc["baseline"]["resolved"]] == ["vantiq-0"]
    assert [f["baseline"] for f in _findings(run)[("WL003", "prod")]] == ["new"]
