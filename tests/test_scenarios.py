"""Tier 2: the whole suite against scenario clusters, live over HTTP and through snapshots."""

from __future__ import annotations

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios.broken import VARIANTS, Variant, build
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_cluster_info_dump, write_get_output

IMPLEMENTED = {"WL001", "WL002", "WL003", "WL004", "SEC001", "SEC002", "SEC003"}


def live_skips(run: SuiteRun) -> set[tuple[str, str | None]]:
    """Live checks skip without live probes (--no-live, snapshots): tests/test_probes_* run them."""
    return {
        key
        for key in run.with_outcome("skipped")
        if "live probes are off" in run.message(*key) or "holds no live service" in run.message(*key)
    }


def _assert_verdicts(run: SuiteRun, variant: Variant) -> None:
    failed = run.with_outcome("failed")
    assert failed == set(variant.fails), run.output()
    for (check_id, ns), fragments in variant.fails.items():
        message = run.message(check_id, ns)
        assert message.startswith(f"[{check_id}]")
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert not run.with_outcome("error"), run.output()


def test_baseline_passes_every_check_live(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    assert run.result.ret == 0, run.output()
    ids = {check_id for check_id, _ in run.outcomes()}
    assert ids >= IMPLEMENTED
    assert run.with_outcome("passed") == set(run.outcomes()) - live_skips(run), run.output()
    assert {ns for _, ns in run.outcomes()} <= {"prod", "shared", None}  # None: cluster-scoped checks


def test_baseline_passes_through_a_kubectl_snapshot(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    run = run_snapshot(pytester, snap)
    assert run.result.ret == 0, run.output()
    assert run.with_outcome("passed") == set(run.outcomes()) - live_skips(run)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_broken_variant_fails_its_check_live(pytester: pytest.Pytester, variant: Variant) -> None:
    run = run_live(pytester, build(variant))
    assert run.result.ret == 1
    _assert_verdicts(run, variant)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_broken_variant_fails_its_check_through_a_snapshot(
    pytester: pytest.Pytester, variant: Variant
) -> None:
    snap = write_get_output(build(variant), pytester.path / "snap")
    run = run_snapshot(pytester, snap)
    _assert_verdicts(run, variant)


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
