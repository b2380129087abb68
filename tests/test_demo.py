"""The bundled demo snapshot and the README's main command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.scenarios.demo import write_demo
from vantiq_health.catalog import catalog

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "vantiq_health" / "demo"


def test_committed_demo_is_what_the_generator_writes(tmp_path: Path) -> None:
    fresh = write_demo(tmp_path / "demo")
    names = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(DEMO).as_posix() for p in DEMO.rglob("*") if p.is_file())
    for name in names:
        assert (fresh / name).read_text() == (DEMO / name).read_text(), (
            f"regenerate: python -m tests.scenarios.demo {DEMO.relative_to(ROOT)}"
        )


def test_main_command_without_a_cluster_runs_on_the_demo(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST")}
    env["HOME"] = str(tmp_path)
    out = tmp_path / "results.json"
    args = [
        sys.executable,
        "-m",
        "vantiq_health.report",
        "--results-json",
        str(out),
        "--html",
        str(tmp_path / "r.html"),
        "-p",
        "no:cacheprovider",
    ]
    result = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "running on the bundled demo snapshot" in result.stdout
    assert "Warning" not in result.stdout.replace("vantiq-health: 1 warning(s)", ""), result.stdout
    failed = {
        (r["id"], r["namespace"]) for r in json.loads(out.read_text())["results"] if r["outcome"] == "failed"
    }
    assert {("SEC002", "prod"), ("WL003", "prod"), ("WL004", "prod"), ("HM001", "shared")} <= failed
    assert (tmp_path / "r.html").exists()


def test_readme_lists_the_catalog_as_it_is() -> None:
    readme = (ROOT / "README.md").read_text()
    rows = re.findall(
        r"^\| ([A-Z]+\d{3}) \| ([a-z/]+) \| (.+?) \| (implemented|planned) \|$", readme, re.MULTILINE
    )
    expected = [
        (e.id, e.severity, e.title, "planned" if e.planned else "implemented") for e in catalog().values()
    ]
    assert rows == expected


@pytest.mark.parametrize("command", ["make report", "make test"])
def test_readme_names_the_two_commands(command: str) -> None:
    assert f"{command}" in (ROOT / "README.md").read_text()
    assert "make test" in (ROOT / ".ci" / "run").read_text()
