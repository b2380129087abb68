"""The command line as operators use it: namespaces, markers, help, targeted log reads."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.harness import SuiteRun, run_live, run_suite
from tests.kube.server import FakeCluster
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.installation import baseline
from vantiq_health.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]


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
    # the workload checks read a log only for what they found; KC001 and MT005 read their components' logs
    run = run_live(pytester, build(variant), "-m", "workloads")
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


DEMO = ROOT / "vantiq_health" / "demo"


def _closing_line(run: SuiteRun) -> str:
    return [line for line in run.result.outlines if line.startswith("vantiq-health: ")][-1]


@pytest.mark.parametrize(
    ("args", "ids"),
    [
        (("-k", "WL001"), {"WL001"}),
        (("-k", "SEC00"), {"SEC001", "SEC002", "SEC003"}),
        (("-k", "sec002 or HM"), {"SEC002", "HM001", "HM002"}),
        (("--check", "WL001,sec002", "--check", "HM001"), {"WL001", "SEC002", "HM001"}),
    ],
)
def test_checks_are_selected_by_id(pytester: pytest.Pytester, args: tuple[str, ...], ids: set[str]) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), *args)
    assert {check_id for check_id, _ in run.outcomes()} == ids, run.output()


def test_skip_check_leaves_those_out(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), "--skip-check", "HM002", "--skip-check", "WL001,WL002")
    ran = {check_id for check_id, _ in run.outcomes()}
    assert ran, run.output()
    assert not ran & {"HM002", "WL001", "WL002"}, run.output()


def test_an_unknown_check_id_is_a_usage_error_naming_it(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), "--check", "WL001,WL099", "--skip-check", "XX1")
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR, run.output()
    errors = [line for line in run.result.errlines if line.startswith("ERROR: vantiq-health:")]
    assert errors == [
        "ERROR: vantiq-health: unknown check id WL099, XX1 (the ids: README, section The catalog)"
    ]


# planned ids change as checks are built: the first two still planned stand for any
P1, P2 = sorted(i for i, e in catalog().items() if e.planned)[:2]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (("--check", P1), f"{P1} is planned, not implemented yet: nothing to run"),
        (("-k", f"{P1} or {P2}"), f"{P1}, {P2} are planned, not implemented yet"),
        (("-k", "NET005"), "NET005 is planned, not implemented yet: nothing to run"),
    ],
)
def test_a_selection_of_planned_checks_says_so(
    pytester: pytest.Pytester, args: tuple[str, ...], line: str
) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), *args)
    assert run.result.ret == 5, run.output()
    assert line in _closing_line(run)
    assert _closing_line(run).startswith("vantiq-health: exit 5, nothing could be checked: ")


def test_planned_ids_among_implemented_ones_are_named(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), "--check", f"{P1},WL001")
    assert {check_id for check_id, _ in run.outcomes()} == {"WL001"}
    assert f"vantiq-health: {P1} is planned, not implemented yet: not run" in run.result.outlines


def test_exit_0_when_nothing_reaches_the_gating_severity(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline())
    assert run.result.ret == 0, run.output()
    assert _closing_line(run) == "vantiq-health: exit 0, nothing at the gating severity"


def test_exit_1_names_failed_and_errored_checks(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO))
    assert run.result.ret == 1, run.output()
    assert _closing_line(run).startswith("vantiq-health: exit 1, findings at the gating severity")
    assert "4 check(s) failed" in _closing_line(run)
    assert run.result.outlines[-1] == _closing_line(run), "the exit line is the last line"


def test_exit_2_when_x_stops_the_run_early(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", str(DEMO), "-x")
    assert run.result.ret == 2, run.output()
    assert "stopping after 1 failures" in _closing_line(run)
    assert "check(s) did not run" in _closing_line(run)


def _everything_forbidden() -> Any:
    sc = baseline()
    sc.forbidden = [("list", "*", "*")]  # the server answers /version, then refuses every list
    return sc


def test_exit_5_when_every_check_was_skipped_and_the_line_says_why(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, _everything_forbidden(), "-rs")
    assert run.result.ret == 5, run.output()
    line = _closing_line(run)
    assert line.startswith("vantiq-health: exit 5, nothing could be checked: all "), line
    assert "cannot check" in line
    assert "forbidden" in line or "needs" in line, line
    skips = [line for line in run.result.outlines if line.startswith("SKIPPED")]
    assert skips
    assert all(re.search(r"\.py:\d+: \[[A-Z]+\d{3}\] ", s) for s in skips), skips


def test_allow_empty_makes_nothing_checked_pass(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, _everything_forbidden(), "--allow-empty")
    assert run.result.ret == 0, run.output()
    assert _closing_line(run).endswith("(--allow-empty: exit 0)")


def _make_report(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["HOME"] = str(tmp_path)
    reports = ["--results-json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")]
    command = [sys.executable, "-m", "vantiq_health.report", *reports, "--junitxml", str(tmp_path / "j.xml")]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_make_report_on_the_demo_says_so_and_lists_what_it_wrote(tmp_path: Path) -> None:
    result = _make_report(tmp_path)
    lines = result.stdout.splitlines()
    assert "DEMO: the bundled demo snapshot, not your cluster; its findings are there on purpose" in lines
    assert (
        f"vantiq-health: reports written: {tmp_path / 'r.html'}, {tmp_path / 'r.json'}, {tmp_path / 'j.xml'}"
        in lines
    )
    assert lines[-1].startswith("vantiq-health: DEMO run on the bundled snapshot, not your cluster: exit 1, ")


def test_make_report_never_claims_reports_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "r.html").write_text("yesterday's report")
    result = _make_report(tmp_path, "--snapshot", str(tmp_path / "missing"))
    lines = result.stdout.splitlines()
    assert result.returncode == 4
    assert "vantiq-health: no report was written" in lines
    assert lines[-1].startswith("vantiq-health: exit 4, usage error")
    assert not (tmp_path / "r.html").exists()


def test_exit_1_names_a_check_that_ended_in_error(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nvantiq_health_checks = "checks"\ntestpaths = ["checks"]\n'
    )
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_bug.py").write_text(
        "from vantiq_health.plugin import check, expect\n\n"
        "@check('WL001')\ndef test_bug():\n    raise RuntimeError('a bug in the check')\n\n"
        "@check('WL002')\ndef test_fine():\n    expect([], None)\n"
    )
    result = pytester.runpytest_subprocess("--snapshot", str(DEMO), "--namespace", "prod")
    assert result.ret == 1, result.outlines
    assert result.outlines[-1] == (
        "vantiq-health: exit 1, findings at the gating severity, or a check ended in error: "
        "1 ended in error (a bug in the suite or a failing fixture): WL001"
    )


def test_readme_has_one_exit_code_table_with_every_code() -> None:
    from vantiq_health.plugin.exitcodes import MEANINGS

    section = (ROOT / "README.md").read_text().split("### Exit codes", 1)[1].split("\n### ", 1)[0]
    assert re.findall(r"^\| (\d) \|", section, re.MULTILINE) == [str(code) for code in sorted(MEANINGS)]
    assert "--allow-empty" in section
    assert "call `pytest` directly" in (ROOT / "README.md").read_text()


def test_exit_3_when_a_check_module_does_not_import(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml(
        '[tool.pytest.ini_options]\nvantiq_health_checks = "checks"\ntestpaths = ["checks"]\n'
    )
    pytester.mkdir("checks")
    (pytester.path / "checks" / "test_broken.py").write_text("import no_such_module\n")
    result = pytester.runpytest_subprocess("--snapshot", str(DEMO), "--namespace", "prod")
    assert result.ret == 3, result.outlines
    assert (
        result.outlines[-1]
        == "vantiq-health: exit 3, internal error of the suite: cannot collect checks/test_broken.py"
    )
