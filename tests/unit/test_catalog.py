"""The catalog is the contract: every check carries one known id, every implemented id has a check."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import yaml

from vantiq_health.catalog import SCOPES, SEVERITIES, catalog, implemented
from vantiq_health.findings import Findings, finding
from vantiq_health.view.base import KINDS

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
    assert tested == implemented()


def test_messages_start_with_the_id() -> None:
    found = Findings("SEC002", "prod")
    found.add(finding("SEC002", "Secret prod/keycloak key 'password' ends with a newline"))
    assert found.explain().startswith("[SEC002] ")
    assert found.severity == "error"


def test_a_finding_cannot_take_a_severity_its_check_does_not_have() -> None:
    with pytest.raises(ValueError, match="WL001 has no severity 'info'"):
        finding("WL001", "x", severity="info")


# -- where checks run and what they read ----------------------------------------------
SUBRESOURCES = {"pods/log"}  # read with `get`, not listed


def _section(title: str) -> str:
    text = (ROOT / "README.md").read_text()
    start = text.index(f"\n## {title}") if f"\n## {title}" in text else text.index(f"\n### {title}")
    end = text.find("\n## ", start + 4)
    return text[start : end if end != -1 else None]


def _block(section: str, lang: str) -> str:
    return section.split(f"```{lang}\n", 1)[1].split("```", 1)[0]


def _read_kinds() -> set[str]:
    return {kind for e in catalog().values() if not e.planned for kind in e.reads}


def test_every_implemented_check_says_where_it_runs_and_what_it_needs() -> None:
    for check_id, entry in catalog().items():
        if entry.planned:
            continue
        assert entry.scope in SCOPES, check_id
        assert entry.needs, f"{check_id} needs nothing?"
        for kind in entry.reads:
            assert kind in KINDS or kind in SUBRESOURCES, f"{check_id}: the view does not read {kind!r}"


def test_the_families_of_the_spec_run_over_both_kinds_of_namespace() -> None:
    """The catalog spec: WL, SEC, ST and HM run over each installation namespace and the system one."""
    both = {i for i, e in catalog().items() if e.scope == "installation+system"}
    assert {i for i in implemented() if i.startswith(("WL", "SEC", "HM"))} <= both
    assert catalog()["ST003"].scope == "cluster"


def test_the_readme_rbac_role_grants_every_kind_the_checks_read() -> None:
    role = yaml.safe_load(_block(_section("Permissions"), "yaml"))
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    for kind in _read_kinds():
        group = KINDS[kind.split("/")[0]].group
        verb = (
            "get" if "/" in kind else "list"
        )  # the view lists each kind; a subresource (pods/log) is per object
        assert (group, kind, verb) in granted, (
            f"the README's ClusterRole lacks {verb} {kind} ({group or 'core'})"
        )


def test_the_readme_capture_commands_capture_every_kind_the_checks_read() -> None:
    script = _block(_section("Offline: snapshots"), "sh")
    loops = re.findall(r"for k in (.*?); do(.*?)done", script, re.S)
    captured: dict[str, str] = {}
    for names, body in loops:
        for kind in names.replace("\\\n", " ").split():
            captured[kind] = body
    captured.update({m: line for line in script.splitlines() for m in re.findall(r"kubectl get (\w+)", line)})
    for kind in _read_kinds():
        if kind == "pods/log":
            assert "kubectl cluster-info dump" in script
            continue
        assert kind in captured, f"the README's capture commands miss {kind}"
        if KINDS[kind].namespaced:
            assert " -A " in captured[kind] or " -n " in captured[kind], kind
        if kind in {"secrets", "configmaps"}:
            assert "--show-managed-fields" in captured[kind], "SEC003 needs managedFields"
