"""One timed run of the suite or of the floor, each in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Run:
    wall: float
    cpu: float  # user + system of the process and its children (xdist workers), not of the server
    startup: float | None = None  # process start to the first check's call (probe)
    peak_kib: int = 0  # the suite's own process (with -n: the largest worker)
    total_kib: int = 0  # all its processes together
    outcomes: Counter[str] = field(default_factory=Counter)


def suite(source: list[str], namespaces: list[str], work: Path, extra: list[str]) -> Run:
    args = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "checks"),
        f"--rootdir={ROOT}",
        "-q",
        "-p",
        "no:cacheprovider",
        "-p",
        "benchmarks.probe",
        *source,
        "--namespace",
        ",".join(namespaces),
        "--results-json",
        str(work / "results.json"),
        "--html",
        str(work / "report.html"),
        "--junitxml",
        str(work / "junit.xml"),
        "--no-live",  # the cluster view's cost: the scenario's services are not on this machine
        *extra,
    ]
    with tempfile.TemporaryDirectory(dir=work) as probes:
        env = _env() | {"VH_BENCH_PROBE": probes}
        started_at = time.time()
        code, wall, cpu, output = _timed(args, work, env)
        if code not in (0, 1):
            raise SystemExit(f"suite exited {code}:\n{output[-6000:]}")
        records = [json.loads(p.read_text()) for p in Path(probes).glob("*.json")]
    firsts = [r["first_check"] for r in records if r["first_check"]]
    doc = json.loads((work / "results.json").read_text())
    return Run(
        wall,
        cpu,
        startup=min(firsts) - started_at if firsts else None,
        peak_kib=max((r["vmhwm_kib"] for r in records), default=0),
        total_kib=sum(r["vmhwm_kib"] for r in records),
        outcomes=Counter(r["outcome"] for r in doc.get("results", [])),
    )


def floor(args: list[str]) -> Run:
    env = _env()
    code, wall, cpu, output = _timed([sys.executable, "-m", "benchmarks.floor", *args], ROOT, env)
    if code != 0:
        raise SystemExit(f"floor exited {code}:\n{output[-3000:]}")
    return Run(wall, cpu)


def _env() -> dict[str, str]:
    """The children's environment as on an operator's machine: Python writes its bytecode cache.

    Some CI images and sandboxes set PYTHONDONTWRITEBYTECODE; with it, every run compiles the
    suite's modules again (and pytest re-rewrites them), about 0.5 s that no operator pays twice.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPATH": str(ROOT)}


def _timed(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, float, float, str]:
    """Exit code, wall and CPU seconds (this child's own rusage, from wait4), and its output."""
    with tempfile.TemporaryFile() as out:
        started = time.perf_counter()
        proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        output = out.read().decode(errors="replace")
    return proc.returncode, wall, usage.ru_utime + usage.ru_stime, output


def request_kinds(requests: list[tuple[str, str]]) -> Counter[tuple[str, str]]:
    """(verb, resource) of each logged request: ("list", "pods"), ("get", "pods/log"), ..."""
    found: Counter[tuple[str, str]] = Counter()
    for method, logged in requests:
        parts = [p for p in logged.partition("?")[0].split("/") if p]
        if parts[:1] == ["api"]:
            rest = parts[2:]
        elif parts[:1] == ["apis"]:
            rest = parts[3:]
        else:
            found[(method.lower(), "/".join(parts) or "/")] += 1
            continue
        if len(rest) >= 3 and rest[0] == "namespaces":
            rest = rest[2:]
        if not rest:
            found[(method.lower(), "discovery")] += 1
        elif len(rest) == 1:
            found[("list" if method == "GET" else method.lower(), rest[0])] += 1
        else:
            found[(method.lower(), "/".join([rest[0], *rest[2:]]))] += 1
    return found
