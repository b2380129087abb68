"""VQ002 through the whole suite beyond the variants: a license newer than the pods, and its content never shown."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.harness import run_live, run_snapshot
from tests.scenarios import broken
from tests.scenarios.broken_tls import LICENSE_CANARY, license_file
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import b64
from tests.scenarios.variants import build


def test_a_license_newer_than_the_pods_points_to_sec003_without_failing_twice(
    pytester: pytest.Pytester,
) -> None:
    sc = build(next(v for v in broken.VARIANTS if v.name == "sec003-license"))
    sc.find("Secret", "prod", "vantiq-license")["data"]["license.key"] = b64(
        license_file(sc.clock.now + timedelta(days=200))
    )
    run = run_live(pytester, sc, "-k", "license or current_secret_values")
    assert run.outcomes() == {
        ("VQ002", "prod"): "passed",
        ("SEC003", "prod"): "failed",
        ("SEC003", "shared"): "passed",
    }
    message = run.message("VQ002", "prod")
    assert "the new license is not in effect until they restart (see SEC003)" in message
    assert "the license expires on" in message
    assert "the pods still run with the one before it" in message
    assert "[SEC003]" not in message


def test_the_license_content_never_reaches_a_report(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.find("Secret", "prod", "vantiq-license")["data"]["license.key"] = b64(
        license_file(sc.clock.now + timedelta(days=5), armour=False)
    )
    snap = write_get_output(sc, pytester.path / "snap")
    run = run_snapshot(pytester, snap, "-k", "license", "-rA", "--save-snapshot=saved")
    assert run.outcomes() == {("VQ002", "prod"): "warning"}, run.output()
    assert "expires in 5 day(s)" in run.message("VQ002", "prod")
    assert "read from the license file license.key" in run.message("VQ002", "prod")
    assert LICENSE_CANARY not in run.output()
    for path in [p for p in (pytester.path / "saved").rglob("*") if p.is_file()] + [
        pytester.path / "results.json"
    ]:
        assert LICENSE_CANARY.encode() not in path.read_bytes(), path
