"""The catalog is the contract: every check carries one known id, every implemented id has a check."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest

from vantiq_health.catalog import SEVERITIES, catalog
from vantiq_health.findings import Findings, finding

ROOT = Path(__file__).resolve().parents[2]
SPEC_IDS = {
    "WL": 4,
    "SEC": 3,
    "KC": 6,
    "VQ": 3,
    "MG": 4,
    "MT": 9,
    "NET": 5,
    "ST": 3,
    "HM": 2,
}


def _check_tests() -> dict[str, list[str]]:
    """test function -> the ids of its `check` marks, for every module under checks/."""
    found = {}
    for path in sorted((ROOT / "checks").glob("test_*.py")):
        module = importlib.import_module(f"checks.{path.stem}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_"):
                marks = [m for m in getattr(func, "pytestmark", []) if m.name == "check"]
                found[f"{path.stem}.{name}"] = [m.args[0] for m in marks]
    return found


def test_catalog_has_every_id_of_the_spec_with_a_known_severity() -> None:
    by_prefix: dict[str, int] = {}
    for check_id, entry in catalog().items():
        prefix = re.match(r"[A-Z]+", check_id).group(0)  # type: ignore[union-attr]
        by_prefix[prefix] = by_prefix.get(prefix, 0) + 1
        assert set(entry.severities) <= set(SEVERITIES)
        assert entry.title
        assert entry.remediation
        assert entry.source
    assert by_prefix == SPEC_IDS


def test_every_check_carries_exactly_one_known_id() -> None:
    tests = _check_tests()
    assert tests
    for name, ids in tests.items():
        assert len(ids) == 1, f"{name} carries {ids}"
        assert ids[0] in catalog(), f"{name}: {ids[0]} is not in the catalog"


def test_every_implemented_id_has_a_check_and_planned_ones_have_none() -> None:
    tested = {ids[0] for ids in _check_tests().values()}
    implemented = {check_id for check_id, e in catalog().items() if not e.planned}
    assert tested == implemented


def test_messages_start_with_the_id() -> None:
    found = Findings("SEC002", "prod")
    found.add(finding("SEC002", "Secret prod/keycloak key 'password' ends with a newline"))
    assert found.explain().startswith("[SEC002] ")
    assert found.severity == "error"


def test_a_finding_cannot_take_a_severity_its_check_does_not_have() -> None:
    with pytest.raises(ValueError, match="WL001 has no severity 'info'"):
        finding("WL001", "x", severity="info")
