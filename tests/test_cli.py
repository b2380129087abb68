"""The command line as operators use it: namespaces, markers, help, targeted log reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import run_live, run_suite
from tests.kube.server import FakeCluster
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.installation import baseline


def test_comma_separated_namespaces_are_parametrized_once_each(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--collect-only", "-q", namespaces=("prod,shared", "prod"))
    ids = [line for line in run.result.outlines if "test_credentials_have_no_copy_paste_defects" in line]
    assert [line.rsplit("[", 1)[1] for line in ids] == ["prod]", "shared]"], ids


def test_default_namespace_comes_from_the_context_and_the_header_says_so(pytester: pytest.Pytester) -> None:
    with FakeCluster(baseline().objects) as fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kc", namespace="prod")
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig))
    assert "namespace prod: the kubeconfig context's namespace; pass --namespace to choose" in run.output()
    assert run.doc["namespaces"] == ["prod", "shared"]


def test_component_markers_select_checks(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "-m", "secrets")
    assert {check_id for check_id, _ in run.outcomes()} == {"SEC001", "SEC002", "SEC003"}


def test_help_lists_every_option_in_one_group(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess("--help")
    text = "\n".join(result.outlines)
    group = text.split("vantiq-health: checks of a Vantiq installation:", 1)[1].split("\n\n", 1)[0]
    for option in (
        "--namespace",
        "--system-namespace",
        "--kubeconfig",
        "--context",
        "--snapshot",
        "--save-snapshot",
        "--config",
        "--fail-on",
        "--results-json",
        "--request-timeout",
        "--target-version",
    ):
        assert option in group


def test_logs_are_read_only_for_the_container_a_check_asks_about(pytester: pytest.Pytester) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    run = run_live(pytester, build(variant))
    logs = [path for _, path in run.requests if "/log" in path]
    assert logs == [
        "/api/v1/namespaces/prod/pods/mongodb-2/log?container=bootstrap&previous=false&tailLines=10"
    ], logs


def test_project_tests_do_not_contact_a_cluster(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plugin is installed for every pytest run, but acts only on runs that collect checks/."""
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    pytester.makepyfile("def test_plain():\n    assert True\n")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1)
