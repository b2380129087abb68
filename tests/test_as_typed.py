"""The check commands exactly as operators type them: `pytest` in a copy of the project, no test path.

pytest picks its rootdir from every argument naming an existing path, option
values included, before the plugin's options are known (testing-notes.md).
These runs give only the operator's arguments -- no test path, no
--rootdir -- in a fresh copy of the project whose own tests/ would fail the
run if it were collected.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import pinned_locale
from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "vantiq_health" / "demo"
PYTEST = Path(sys.executable).with_name("pytest")
SENTINEL = "def test_sentinel():\n    raise AssertionError('the project tests were collected')\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A fresh clone as far as the checks go: checks/, fixtures/, conftest.py, pyproject.toml, tests/."""
    dest = tmp_path / "project"
    dest.mkdir()
    for name in ("checks", "fixtures"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("conftest.py", "pyproject.toml"):
        shutil.copy(ROOT / name, dest / name)
    (dest / "tests").mkdir()
    (dest / "tests" / "test_project.py").write_text(SENTINEL)
    shutil.copytree(DEMO, dest / "snap")  # a snapshot inside the project
    shutil.copytree(DEMO, tmp_path / "snap")  # ../snap from the project
    shutil.copytree(DEMO, tmp_path / "outside" / "snap")
    (tmp_path / "outside" / "vh.toml").write_text("[thresholds]\nrestart_count = 5\n")
    (dest / "vh.toml").write_text("[thresholds]\nrestart_count = 5\n")
    return dest


def pytest_as_typed(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "KUBE"))}
    clean = pinned_locale(clean)  # the results CI gets, whatever the developer's locale
    clean["HOME"] = str(cwd.parent / "home")
    clean.update(env or {})
    return subprocess.run(
        [str(PYTEST), *args], cwd=cwd, env=clean, capture_output=True, text=True, timeout=300, check=False
    )


def assert_ran_the_checks_only(
    result: subprocess.CompletedProcess[str], project: Path, code: int = 1, results: Path | None = None
) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    assert f"rootdir: {project}" in out, out
    assert "test_sentinel" not in out, out
    doc = json.loads((results or project / "reports" / "results.json").read_text())
    assert doc["results"], out
    assert all(r["nodeid"].startswith("checks/") for r in doc["results"]), out
    # test-only plugins stay out of check runs
    assert "asyncio" not in out, out
    assert "kmock" not in out, out
    assert "PytestDeprecationWarning" not in out, out
    assert "Warning" not in out, out  # an operator's run shows no pytest warnings (assert rewriting, plugins)


def both_forms(option: str, value: str) -> list[list[str]]:
    return [[option, value], [f"{option}={value}"]]


@pytest.mark.parametrize("form", ["space", "equals"])
@pytest.mark.parametrize("where", ["outside", "inside", "relative-inside", "parent"])
def test_snapshot_path(project: Path, where: str, form: str) -> None:
    path = {
        "outside": str(project.parent / "outside" / "snap"),
        "inside": str(project / "snap"),
        "relative-inside": "snap",
        "parent": "../snap",
    }[where]
    args = both_forms("--snapshot", path)[form == "equals"]
    assert_ran_the_checks_only(pytest_as_typed(project, *args, "--namespace", "prod"), project)


@pytest.mark.parametrize("form", ["space", "equals"])
@pytest.mark.parametrize("where", ["outside", "inside"])
def test_config_path(project: Path, where: str, form: str) -> None:
    path = str(project.parent / "outside" / "vh.toml") if where == "outside" else str(project / "vh.toml")
    args = both_forms("--config", path)[form == "equals"]
    result = pytest_as_typed(project, "--snapshot", str(project.parent / "snap"), *args)
    assert_ran_the_checks_only(result, project)


@pytest.mark.parametrize("form", ["space", "equals"])
@pytest.mark.parametrize("where", ["outside", "inside"])
def test_save_snapshot_path_that_exists(project: Path, where: str, form: str) -> None:
    target = (project.parent / "outside" / "saved") if where == "outside" else (project / "saved")
    target.mkdir()
    args = both_forms("--save-snapshot", str(target))[form == "equals"]
    result = pytest_as_typed(project, "--snapshot", str(project.parent / "snap"), *args)
    assert_ran_the_checks_only(result, project)
    assert any(target.rglob("*.json"))


@pytest.mark.parametrize("option", ["--results-json", "--html", "--junitxml"])
def test_report_paths_left_by_an_earlier_run(project: Path, option: str) -> None:
    """A report file from yesterday is an existing path too."""
    old = project.parent / "outside" / "old-report"
    old.write_text("yesterday")
    result = pytest_as_typed(project, "--snapshot", str(project.parent / "snap"), option, str(old))
    assert_ran_the_checks_only(result, project, results=old if option == "--results-json" else None)
    assert old.read_text() != "yesterday"


@pytest.mark.parametrize("form", ["space", "equals"])
@pytest.mark.parametrize("where", ["outside", "inside"])
def test_kubeconfig_path(project: Path, where: str, form: str) -> None:
    with FakeCluster(baseline().objects) as fake:
        folder = project.parent / "outside" if where == "outside" else project
        kubeconfig = fake.write_kubeconfig(folder / "kc")
        args = both_forms("--kubeconfig", str(kubeconfig))[form == "equals"]
        result = pytest_as_typed(project, *args, "--namespace", "prod")
    assert_ran_the_checks_only(result, project, code=0)


def test_from_another_folder_with_the_checks_path(project: Path) -> None:
    outside = project.parent / "outside"
    result = pytest_as_typed(outside, str(project / "checks"), "--snapshot", str(outside / "snap"))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert f"rootdir: {project}" in out, out
    assert "test_sentinel" not in out, out
    assert json.loads((outside / "reports" / "results.json").read_text())["results"]


@pytest.mark.parametrize("paths", [("tests",), ("checks", "tests"), (".",)])
def test_the_options_on_a_run_of_other_tests_are_refused(project: Path, paths: tuple[str, ...]) -> None:
    result = pytest_as_typed(project, *paths, "--snapshot", str(project / "snap"))
    out = result.stdout + result.stderr
    assert result.returncode == 4, out
    assert f"--snapshot given, but this run collects {' '.join(paths)}, not the checks" in out, out
    assert "test_sentinel" not in out, out


def test_a_failed_run_leaves_no_report_that_looks_current(project: Path) -> None:
    reports = project / "reports"
    reports.mkdir()
    for name in ("report.html", "results.json", "junit.xml"):
        (reports / name).write_text("the previous run")
    result = pytest_as_typed(project, "--snapshot", str(project.parent / "missing"))
    assert result.returncode == 4, result.stdout + result.stderr
    assert not list(reports.iterdir())


def test_an_unrelated_project_with_a_checks_folder_is_left_alone(tmp_path: Path) -> None:
    """The plugin is installed for every pytest run of the virtualenv; it acts only where declared."""
    other = tmp_path / "other"
    (other / "checks").mkdir(parents=True)
    (other / "checks" / "test_disk.py").write_text("def test_disk():\n    assert True\n")
    (other / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["checks"]\n')
    with socket.socket() as server:  # a cluster that would notice a connection
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        kubeconfig = tmp_path / "kc"
        kubeconfig.write_text(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: "
            f"{{server: 'http://127.0.0.1:{server.getsockname()[1]}'}}\n"
            "users:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
            "current-context: x\n"
        )
        for args in ((), ("checks",)):
            result = pytest_as_typed(other, *args, env={"KUBECONFIG": str(kubeconfig)})
            assert result.returncode == 0, result.stdout + result.stderr
            assert "1 passed" in result.stdout
            assert not [line for line in result.stdout.splitlines() if line.startswith("vantiq-health")]
        with pytest.raises(BlockingIOError):
            server.accept()
    assert not (other / "reports").exists()
