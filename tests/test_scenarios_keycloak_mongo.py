"""Tier 2 for KC and MG beyond the variants (tests/test_scenarios.py runs those): baseline facts, secrets, dumps."""

from __future__ import annotations

import pytest

from tests.harness import run_live, run_snapshot
from tests.scenarios.broken_keycloak_mongo import VARIANTS
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_cluster_info_dump
from tests.scenarios.variants import build
from tests.test_scenarios import _assert_verdicts

STATIC = {"KC001", "KC003", "KC006", "MG003", "MG004"}


def test_baseline_passes_the_static_kc_and_mg_checks(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    ours = {key: outcome for key, outcome in run.outcomes().items() if key[0] in STATIC}
    assert set(ours) == {
        ("KC001", "shared"),
        ("KC003", "shared"),
        ("KC006", "prod"),
        ("MG003", "prod"),
        ("MG004", "prod"),
    }
    assert set(ours.values()) == {"passed"}, run.output()
    assert "3 keycloak pod(s) running" in run.message("KC001", "shared")
    assert "successfulJobsHistoryLimit 3 (keeps 3" in run.message("MG003", "prod")
    assert "kubectl create job userdbrestore --from=cronjob/userdbrestore -n prod" not in run.message(
        "MG004", "prod"
    )


def test_backup_credentials_are_judged_without_showing_them(pytester: pytest.Pytester) -> None:
    variant = next(v for v in VARIANTS if v.name == "mg003-azure-key-not-exported")
    run = run_live(pytester, build(variant))
    assert "vantiqbackup" not in run.output() + run.message("MG003", "prod")


def test_keycloak_logs_judged_from_a_cluster_info_dump(pytester: pytest.Pytester) -> None:
    variant = next(v for v in VARIANTS if v.name == "kc001-wrong-password")
    snap = write_cluster_info_dump(build(variant), pytester.path / "dump")
    _assert_verdicts(run_snapshot(pytester, snap), variant)
