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
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig), "--no-live")  # no database here
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
    run = run_live(pytester, build(variant), "-m", "not keycloak")  # KC001 reads every keycloak log
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


def test_offline_without_namespace_finds_the_installation(pytester: pytest.Pytester) -> None:
    from tests.scenarios.kubectl import write_cluster_info_dump

    snap = write_cluster_info_dump(baseline(), pytester.path / "dump")
    (snap / "get" / "statefulsets.json").unlink()  # a dump alone has no StatefulSets: the pods tell
    run = run_suite(pytester, "--snapshot", str(snap))
    assert "namespaces running vantiq (found in the snapshot): prod" in run.output()
    assert run.doc["namespaces"] == ["prod", "shared"]


def test_a_saved_snapshot_remembers_its_namespaces(pytester: pytest.Pytester) -> None:
    sc = baseline()
    for obj in sc.objects:  # an installation whose shared components live in "platform"
        if obj["metadata"].get("namespace") == "shared":
            obj["metadata"]["namespace"] = "platform"
        elif obj["kind"] == "Namespace" and obj["metadata"]["name"] == "shared":
            obj["metadata"]["name"] = "platform"
    run_live(pytester, sc, "--system-namespace", "platform", "--save-snapshot=saved")
    offline = run_suite(pytester, "--snapshot", str(pytester.path / "saved"))
    assert offline.doc["namespaces"] == ["prod", "platform"]
    assert "namespaces: as saved in the snapshot" in offline.output()
