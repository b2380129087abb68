"""The benchmark script runs (on a small cluster): figures are only worth something if it works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_scale_benchmark_runs_and_reports_its_figures() -> None:
    args = [sys.executable, "-m", "benchmarks.scale", "--pods", "50", "--namespaces", "3", "--xdist", "2"]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "floor: raw listing of every pod" in result.stdout
    assert "suite (1 process)" in result.stdout
    assert "suite (-n 2)" in result.stdout
