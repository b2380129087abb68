"""results.json (schema 2) and JUnit carry each finding as data, the same data in both."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from tests.harness import run_live
from tests.scenarios import broken
from tests.scenarios.variants import build


def _junit_findings(path: str, test_name: str) -> list[dict[str, object]]:
    for case in ET.parse(path).getroot().iter("testcase"):
        if case.get("name") == test_name:
            return [
                json.loads(p.get("value", "")) for p in case.iter("property") if p.get("name") == "finding"
            ]
    raise KeyError(test_name)


def test_each_result_carries_its_findings_as_data(pytester: pytest.Pytester) -> None:
    variant = next(v for v in broken.VARIANTS if v.name == "sec001-missing")
    junit = str(pytester.path / "junit.xml")
    run = run_live(pytester, build(variant), f"--junitxml={junit}")
    assert run.doc["schema_version"] == 2
    record = next(r for r in run.records if (r["id"], r["namespace"]) == ("SEC001", "prod"))
    [found] = record["findings"]
    assert found["object"] == {"kind": "Secret", "namespace": "prod", "name": "dbbackup-creds"}
    assert found["severity"] == "critical"
    assert found["diagnosis"] == "Secret prod/dbbackup-creds does not exist"
    assert any("cronjob mongobackup" in line for line in found["evidence"])
    assert found["fix"]
    assert all(isinstance(line, str) for line in found["evidence"] + found["fix"])
    assert record["unseen"] == []
    assert found["diagnosis"] in record["message"]  # the message stays, rendered from the same finding
    passed = [r for r in run.records if r["outcome"] == "passed"]
    assert passed
    assert all(r["findings"] == [] for r in passed)
    assert _junit_findings(junit, "test_referenced_secrets_and_configmaps_exist[prod]") == [found]


def test_a_skip_for_unreadable_data_names_it_in_unseen(pytester: pytest.Pytester) -> None:
    variant = next(v for v in broken.VARIANTS if v.name == "sec001-missing")
    sc = build(variant)
    sc.failing = [("cronjobs", "prod")]
    run = run_live(pytester, sc)
    record = next(r for r in run.records if (r["id"], r["namespace"]) == ("SEC001", "prod"))
    assert record["outcome"] == "skipped"
    assert record["findings"] == []
    assert len(record["unseen"]) == 1
    assert "list cronjobs in prod: HTTP 500" in record["unseen"][0]
