"""The suite against the floor for the same work, live and offline, on large installations.

    .venv/bin/python -m benchmarks.scale --sizes 1000,5000 [--shapes one,many] [--rounds 3] [--xdist 2]

For each shape and size: live, the whole suite (`pytest --namespace ...`, a
fresh process) against the scenario API server served here, and the floor:
a fresh process that replays the GETs the suite issued (the server's request
log) and json.loads each body. Offline, the suite on a snapshot of the same
cluster (`kubectl get -A -o json` files) and a fresh process that json.loads
every file. After one warm-up run each, suite and floor alternate for
--rounds rounds; the table shows medians. CPU is user + system time of each
process from wait4 (the server's excluded): steadier than wall on a shared
machine. Peak RSS is the suite process's own (VmHWM), startup the time from
launching it to the start of its first check.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from benchmarks import cluster, runs
from benchmarks.serve import make_cheap
from tests.kube.server import FakeCluster


@dataclass
class Row:
    shape: str
    pods: int
    mode: str
    suite: list[runs.Run]
    floor: list[runs.Run]
    requests: Counter[tuple[str, str]]

    def cells(self) -> list[str]:
        wall = statistics.median(r.wall for r in self.suite)
        floor = statistics.median(r.wall for r in self.floor)
        cpu = statistics.median(r.cpu for r in self.suite)
        floor_cpu = statistics.median(r.cpu for r in self.floor)
        startups = [r.startup for r in self.suite if r.startup is not None]
        peak = max(r.peak_kib for r in self.suite) / 1024
        total = max(r.total_kib for r in self.suite) / 1024
        memory = f"{peak:.0f}" if total <= peak + 1 else f"{peak:.0f} ({total:.0f} all)"
        return [
            self.shape,
            str(self.pods),
            self.mode,
            f"{wall:.2f}",
            f"{floor:.2f}",
            f"{wall / floor:.1f}x",
            f"{cpu:.2f}",
            f"{floor_cpu:.2f}",
            f"{cpu / floor_cpu:.1f}x",
            str(sum(self.requests.values())) if self.requests else "-",
            memory,
            f"{statistics.median(startups):.2f}" if startups else "-",
            " ".join(f"{k}={v}" for k, v in sorted(self.suite[-1].outcomes.items())),
        ]


HEADER = [
    "shape",
    "pods",
    "mode",
    "wall s",
    "floor s",
    "ratio",
    "cpu s",
    "floor cpu",
    "cpu ratio",
    "requests",
    "peak MiB",
    "startup s",
    "results",
]


def alternate(
    suite: Callable[[], runs.Run], floor: Callable[[], runs.Run], rounds: int
) -> tuple[list[runs.Run], list[runs.Run]]:
    suites, floors = [], []
    for _ in range(rounds):
        floors.append(floor())
        suites.append(suite())
        suite_run, floor_run = suites[-1], floors[-1]
        print(
            f"  suite {suite_run.wall:.2f} s (cpu {suite_run.cpu:.2f}), floor {floor_run.wall:.2f} s "
            f"(cpu {floor_run.cpu:.2f})",
            file=sys.stderr,
        )
    return suites, floors


def live_rows(sc: cluster.Scenario, shape: str, pods: int, work: Path, opts: argparse.Namespace) -> list[Row]:
    spaces = cluster.namespaces(shape)
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version) as fake:
        make_cheap(fake)
        source = ["--kubeconfig", str(fake.write_kubeconfig(work / "kubeconfig"))]
        before = len(fake.requests)
        runs.suite(
            source, spaces, work, opts.extra
        )  # warm-up: renders every reply once, and logs the requests
        issued = fake.requests[before:]
        replay = work / "requests.json"
        replay.write_text(json.dumps([path for method, path in issued if method == "GET"]))

        def floor() -> runs.Run:
            return runs.floor(["live", fake.url, str(replay)])

        suites, floors = alternate(lambda: runs.suite(source, spaces, work, opts.extra), floor, opts.rounds)
        rows = [Row(shape, pods, "live", suites, floors, runs.request_kinds(issued))]
        if opts.xdist:
            before = len(fake.requests)
            xdist = [*opts.extra, "-n", opts.xdist]
            suites, floors = alternate(lambda: runs.suite(source, spaces, work, xdist), floor, opts.rounds)
            per_run = Counter(
                {k: v // opts.rounds for k, v in runs.request_kinds(fake.requests[before:]).items()}
            )
            rows.append(Row(shape, pods, f"live -n {opts.xdist}", suites, floors, per_run))
    return rows


def offline_rows(
    sc: cluster.Scenario, shape: str, pods: int, work: Path, opts: argparse.Namespace
) -> list[Row]:
    spaces, snapshot = cluster.namespaces(shape), cluster.write_snapshot(sc, work / "snapshot")
    source = ["--snapshot", str(snapshot)]

    def floor() -> runs.Run:
        return runs.floor(["offline", str(snapshot)])

    floor()  # warm-up: the files in the page cache for both
    suites, floors = alternate(lambda: runs.suite(source, spaces, work, opts.extra), floor, opts.rounds)
    rows = [Row(shape, pods, "offline", suites, floors, Counter())]
    if opts.xdist:
        xdist = [*opts.extra, "-n", opts.xdist]
        suites, floors = alternate(lambda: runs.suite(source, spaces, work, xdist), floor, opts.rounds)
        rows.append(Row(shape, pods, f"offline -n {opts.xdist}", suites, floors, Counter()))
    return rows


def print_table(rows: list[Row]) -> None:
    table = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
    print()
    for row in rows:
        if row.requests:
            kinds = ", ".join(f"{verb} {res} {n}" for (verb, res), n in sorted(row.requests.items()))
            print(f"requests {row.shape} {row.pods} {row.mode}: {kinds}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,5000", help="extra pods, comma list (1000,5000,20000,50000)")
    parser.add_argument("--shapes", default="one,many", help=f"comma list of {','.join(cluster.SHAPES)}")
    parser.add_argument("--modes", default="live,offline")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--xdist", default="", help="also run the suite with pytest -n XDIST")
    parser.add_argument(
        "--suite-args", default="", help="more pytest arguments for the suite, e.g. '-p no:kmock'"
    )
    opts = parser.parse_args(argv)
    opts.extra = shlex.split(opts.suite_args)
    rows: list[Row] = []
    for shape in opts.shapes.split(","):
        for pods in (int(size) for size in opts.sizes.split(",")):
            print(f"{shape} namespace(s), {pods} pods:", file=sys.stderr)
            sc = cluster.build(shape, pods)
            with tempfile.TemporaryDirectory(prefix="vh-bench-") as tmp:
                if "live" in opts.modes:
                    rows += live_rows(sc, shape, pods, Path(tmp), opts)
                if "offline" in opts.modes:
                    rows += offline_rows(sc, shape, pods, Path(tmp), opts)
            print_table(rows)  # so far: a long run shows its figures as they come
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{len(rows)} rows; medians of {opts.rounds} alternating rounds; load average at the end {load}")
    print(f"machine: {os.cpu_count()} CPUs, {_cpu_model()}")


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


if __name__ == "__main__":
    main()
