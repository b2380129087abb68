"""Tier 2: the whole suite against scenario clusters, live over HTTP and through snapshots.

Every broken variant of every family runs here, with one set of assertions:
exactly the checks it names fail or warn, with the fragments it names.
"""

from __future__ import annotations

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios import (
    broken,
    broken_environment,
    broken_influx,
    broken_keycloak_mongo,
    broken_storage,
    broken_tls,
)
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_cluster_info_dump, write_get_output
from tests.scenarios.variants import Variant, Verdicts, build
from vantiq_health.catalog import catalog, implemented

VARIANTS = [
    *broken.VARIANTS,
    *broken_storage.VARIANTS,
    *broken_environment.VARIANTS,
    *broken_keycloak_mongo.VARIANTS,
    *broken_influx.VARIANTS,
    *broken_tls.VARIANTS,
]
WARNING_VARIANTS = [v for v in VARIANTS if v.warns]
SCOPE_NAMESPACES: dict[str, tuple[str | None, ...]] = {
    "installation": ("prod",),
    "system": ("shared",),
    "installation+system": ("prod", "shared"),
    "cluster": (None,),
}


def every_check_run() -> set[tuple[str, str | None]]:
    """(id, namespace) of every implemented check, from the catalog's scopes (prod, system shared)."""
    return {
        (check_id, ns) for check_id in implemented() for ns in SCOPE_NAMESPACES[catalog()[check_id].scope]
    }


def _assert_fragments(run: SuiteRun, verdicts: Verdicts) -> None:
    for (check_id, ns), fragments in verdicts.items():
        message = run.message(check_id, ns)
        assert message.startswith(f"[{check_id}]"), message
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in:\n{message}"


def live_skips(run: SuiteRun) -> set[tuple[str, str | None]]:
    """Live checks skip without live probes (--no-live, snapshots): tests/test_probes_* run them."""
    return {
        key
        for key in run.with_outcome("skipped")
        if "live probes are off" in run.message(*key) or "holds no live service" in run.message(*key)
    }


def _assert_verdicts(run: SuiteRun, variant: Variant) -> None:
    assert run.with_outcome("failed") == set(variant.fails), run.output()
    assert run.with_outcome("warning") == set(variant.warns), run.output()
    assert not run.with_outcome("error"), run.output()
    _assert_fragments(run, variant.fails)
    _assert_fragments(run, variant.warns)
    assert run.result.ret == (1 if variant.fails else 0), run.output()


def test_baseline_passes_every_check_live(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    assert run.result.ret == 0, run.output()
    assert set(run.outcomes()) == every_check_run()
    assert run.with_outcome("passed") == set(run.outcomes()) - live_skips(run), run.output()
    assert "encrypted by the platform (Azure managed, SSE)" in run.message("ST003", None)
    assert "Azure Database for PostgreSQL: encrypted by the platform" in run.message("ST003", None)


def test_baseline_passes_through_a_kubectl_snapshot(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    run = run_snapshot(pytester, snap)
    assert run.result.ret == 0, run.output()
    assert set(run.outcomes()) == every_check_run()
    assert run.with_outcome("passed") == set(run.outcomes()) - live_skips(run), run.output()


def test_baseline_would_survive_1_32(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--target-version", "1.32")
    assert run.outcomes()[("HM001", "prod")] == "passed"
    assert run.outcomes()[("HM001", "shared")] == "passed"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_live(pytester: pytest.Pytester, variant: Variant) -> None:
    _assert_verdicts(run_live(pytester, build(variant), *variant.args), variant)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_variant_through_a_snapshot(pytester: pytest.Pytester, variant: Variant) -> None:
    snap = write_get_output(build(variant), pytester.path / "snap")
    _assert_verdicts(run_snapshot(pytester, snap, *variant.args), variant)


@pytest.mark.parametrize("variant", WARNING_VARIANTS, ids=lambda v: v.name)
def test_warnings_fail_the_run_with_fail_on_warning(pytester: pytest.Pytester, variant: Variant) -> None:
    run = run_live(pytester, build(variant), "--fail-on=warning", *variant.args)
    assert run.result.ret == 1
    assert run.with_outcome("failed") == set(variant.fails) | set(variant.warns), run.output()


def test_target_version_is_what_breaks_the_release(pytester: pytest.Pytester) -> None:
    """The same release passes on 1.29 without --target-version: v1beta3 goes only in 1.32."""
    variant = next(v for v in VARIANTS if v.name == "hm001-target")
    run = run_live(pytester, build(variant))
    assert run.outcomes()[("HM001", "shared")] == "passed", run.output()


def test_cluster_info_dump_gives_the_same_verdicts(pytester: pytest.Pytester) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    snap = write_cluster_info_dump(build(variant), pytester.path / "dump")
    run = run_snapshot(pytester, snap)
    _assert_verdicts(run, variant)


def test_snapshot_without_managed_fields_skips_sec003_saying_why(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap", managed_fields=False)
    run = run_snapshot(pytester, snap)
    assert run.outcomes()[("SEC003", "prod")] == "skipped"
    assert "--show-managed-fields" in run.message("SEC003", "prod")


def test_without_permission_the_checks_skip_saying_what_they_need(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden = [("list", "persistentvolumes", None), ("list", "secrets", "shared")]
    run = run_live(pytester, sc)
    outcomes = run.outcomes()
    assert outcomes[("ST001", "prod")] == "skipped"
    assert "needs: list persistentvolumes (cluster scope)" in run.message("ST001", "prod")
    assert outcomes[("ST002", "prod")] == "passed"  # judged from the claims and StorageClasses
    assert outcomes[("HM001", "shared")] == outcomes[("HM002", "shared")] == "skipped"
    assert "needs: list secrets in shared" in run.message("HM001", "shared")
    assert outcomes[("HM001", "prod")] == "passed"
