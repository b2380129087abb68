"""Tier 2 for NET003/NET004 VQ001 and MT002/MT009: each broken variant fails its own check, live over HTTP and offline."""

from __future__ import annotations

import pytest

from tests.harness import run_live, run_snapshot
from tests.scenarios.broken import build
from tests.scenarios.broken_environment import VARIANTS
from tests.scenarios.kubectl import write_get_output
from tests.test_scenarios import _assert_verdicts


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_environment_variant_fails_its_check_live(pytester: pytest.Pytester, variant) -> None:
    run = run_live(pytester, build(variant), "-m", "network or vantiq or metrics")
    assert run.result.ret == 1, run.output()
    _assert_verdicts(run, variant)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_environment_variant_fails_its_check_offline(pytester: pytest.Pytester, variant) -> None:
    run = run_snapshot(
        pytester,
        write_get_output(build(variant), pytester.path / "snap"),
        "-m",
        "network or vantiq or metrics",
    )
    _assert_verdicts(run, variant)
