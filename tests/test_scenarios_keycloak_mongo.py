"""Tier 2 for KC and MG: the whole suite on Keycloak and MongoDB variants, live and through snapshots."""

from __future__ import annotations

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios.broken_keycloak_mongo import VARIANTS, Variant, build
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_cluster_info_dump, write_get_output

OURS = ("KC", "MG")
STATIC = {"KC001", "KC003", "KC006", "MG003", "MG004"}


def _ours(keys: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    return {key for key in keys if key[0].startswith(OURS)}


def _assert_fragments(run: SuiteRun, verdicts: dict[tuple[str, str | None], tuple[str, ...]]) -> None:
    for (check_id, ns), fragments in verdicts.items():
        message = run.message(check_id, ns)
        assert message.startswith(f"[{check_id}]"), message
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in:\n{message}"


def _assert_verdicts(run: SuiteRun, variant: Variant) -> None:
    # Only KC/MG outcomes are pinned: the other checks belong to their own scenario tests.
    assert _ours(run.with_outcome("failed")) == set(variant.fails), run.output()
    assert _ours(run.with_outcome("warning")) == set(variant.warns), run.output()
    assert not run.with_outcome("error"), run.output()
    _assert_fragments(run, variant.fails)
    _assert_fragments(run, variant.warns)


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


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_live(pytester: pytest.Pytester, variant: Variant) -> None:
    _assert_verdicts(run_live(pytester, build(variant), *variant.args), variant)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_through_a_snapshot(pytester: pytest.Pytester, variant: Variant) -> None:
    snap = write_get_output(build(variant), pytester.path / "snap")
    _assert_verdicts(run_snapshot(pytester, snap, *variant.args), variant)


def test_keycloak_logs_judged_from_a_cluster_info_dump(pytester: pytest.Pytester) -> None:
    variant = next(v for v in VARIANTS if v.name == "kc001-wrong-password")
    snap = write_cluster_info_dump(build(variant), pytester.path / "dump")
    _assert_verdicts(run_snapshot(pytester, snap), variant)
