"""Tier 2 for ST and HM: the whole suite on storage and Helm variants, live and through snapshots."""

from __future__ import annotations

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.scenarios.broken_storage import VARIANTS, Variant, build
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_get_output

OURS = ("ST", "HM")
WARNING_VARIANTS = [v for v in VARIANTS if v.warns]


def _ours(keys: set[tuple[str, str | None]]) -> set[tuple[str, str | None]]:
    return {key for key in keys if key[0].startswith(OURS)}


def _assert_fragments(run: SuiteRun, verdicts: dict[tuple[str, str | None], tuple[str, ...]]) -> None:
    for (check_id, ns), fragments in verdicts.items():
        message = run.message(check_id, ns)
        assert message.startswith(f"[{check_id}]"), message
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in:\n{message}"


def _assert_verdicts(run: SuiteRun, variant: Variant) -> None:
    # Only ST/HM outcomes are pinned: the other checks belong to their own scenario tests.
    assert _ours(run.with_outcome("failed")) == set(variant.fails), run.output()
    assert _ours(run.with_outcome("warning")) == set(variant.warns), run.output()
    assert not run.with_outcome("error"), run.output()
    _assert_fragments(run, variant.fails)
    _assert_fragments(run, variant.warns)
    assert run.result.ret == (1 if run.with_outcome("failed") else 0), run.output()


def test_baseline_passes_st_and_hm(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    ours = {key: outcome for key, outcome in run.outcomes().items() if key[0].startswith(OURS)}
    expected = {(c, ns) for c in ("ST001", "ST002", "HM001", "HM002") for ns in ("prod", "shared")} | {
        ("ST003", None)
    }
    assert set(ours) == expected
    assert set(ours.values()) == {"passed"}, run.output()
    assert "encrypted by the platform (Azure managed, SSE)" in run.message("ST003", None)
    assert "Azure Database for PostgreSQL: encrypted by the platform" in run.message("ST003", None)


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
    assert _ours(run.with_outcome("failed")) == set(variant.fails) | set(variant.warns), run.output()


def test_target_version_is_what_breaks_the_release(pytester: pytest.Pytester) -> None:
    """The same release passes on 1.29 without --target-version: v1beta3 goes only in 1.32."""
    variant = next(v for v in VARIANTS if v.name == "hm001-target")
    run = run_live(pytester, build(variant))
    assert run.outcomes()[("HM001", "shared")] == "passed", run.output()


def test_without_permission_the_checks_skip_saying_what_they_need(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden = [("list", "persistentvolumes", None), ("list", "secrets", "shared")]
    run = run_live(pytester, sc)
    outcomes = run.outcomes()
    assert outcomes[("ST001", "prod")] == "skipped"
    assert "needs: list persistentvolumes (cluster scope)" in run.message("ST001", "prod")
    # unreadable is not empty: without the volumes a deleted database volume cannot be ruled out
    assert outcomes[("ST002", "prod")] == "skipped"
    assert "needs: list persistentvolumes (cluster scope)" in run.message("ST002", "prod")
    assert outcomes[("HM001", "shared")] == outcomes[("HM002", "shared")] == "skipped"
    assert "needs: list secrets in shared" in run.message("HM001", "shared")
    assert outcomes[("HM001", "prod")] == "passed"
