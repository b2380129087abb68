"""A pytest plugin the benchmark loads into the suite process (`-p benchmarks.probe`).

It writes, per process, when the first check started (wall clock) and the
process's own peak RSS (VmHWM of /proc/self/status, which exec resets: the
benchmark process that built the cluster does not count) to
$VH_BENCH_PROBE/<pid>.json. It observes; it changes nothing the suite does.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

_first_check: list[float] = []


def _vmhwm_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    if not _first_check:
        _first_check.append(time.time())


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    folder = os.environ.get("VH_BENCH_PROBE")
    if not folder:
        return
    record = {"first_check": _first_check[0] if _first_check else None, "vmhwm_kib": _vmhwm_kib()}
    (Path(folder) / f"{os.getpid()}.json").write_text(json.dumps(record))
