"""The benchmark script runs (on a small cluster): figures are only worth something if it works."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.floor import encoded
from benchmarks.runs import request_kinds

ROOT = Path(__file__).resolve().parents[1]


def test_scale_benchmark_prints_suite_and_floor_for_the_same_work() -> None:
    args = [sys.executable, "-m", "benchmarks.scale", "--sizes", "30", "--shapes", "one", "--rounds", "1"]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:6] == ["shape", "pods", "mode", "wall", "s", "floor"]
    live = next(line.split() for line in lines if line.startswith("one ") and " live " in line)
    offline = next(line.split() for line in lines if line.startswith("one ") and " offline " in line)
    assert float(live[4]) > 0
    assert live[5].endswith("x")
    assert float(live[10]) > 0
    assert float(offline[4]) > 0
    assert any(token.startswith("passed=") for token in offline)
    assert any(line.startswith("requests one 30 live: ") and "list pods 2" in line for line in lines)


def test_logged_requests_go_back_on_the_wire_and_count_by_verb_and_resource() -> None:
    assert encoded("/api/v1/pods?labelSelector=app in (a,b)&limit=500") == (
        "/api/v1/pods?labelSelector=app%20in%20%28a%2Cb%29&limit=500"
    )
    logged = [
        ("GET", "/version"),
        ("GET", "/api"),
        ("GET", "/api/v1/namespaces/prod"),
        ("GET", "/api/v1/namespaces/prod/pods?limit=500"),
        ("GET", "/apis/apps/v1/namespaces/prod/statefulsets?limit=500"),
        ("GET", "/api/v1/namespaces/prod/pods/vantiq-0/log?container=vantiq&tailLines=50"),
        ("GET", "/api/v1/nodes?limit=500"),
    ]
    assert request_kinds(logged) == {
        ("get", "version"): 1,
        ("get", "discovery"): 1,
        ("get", "namespaces"): 1,
        ("list", "pods"): 1,
        ("list", "statefulsets"): 1,
        ("get", "pods/log"): 1,
        ("list", "nodes"): 1,
    }
