"""`make report`: run the checks on the cluster of your kubeconfig, or on the bundled demo snapshot.

Everything after `make report ARGS="..."` goes to pytest as it is, so
`make report ARGS="--namespace prod --system-namespace shared"` works like
`pytest --namespace prod --system-namespace shared` in this folder.

make ends with its own code 2 whenever a recipe fails, so the suite's exit
code cannot reach a caller through it: the last line printed here states it
(pipelines call pytest directly).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import pytest

from vantiq_health.session import demo_snapshot

# The plugin's modules are imported by pytest.main, not before: imported here first,
# pytest could not rewrite their asserts and would warn about each.


def _has_cluster(args: list[str]) -> bool:
    if any(a.startswith(("--kubeconfig", "--snapshot")) for a in args):
        return True
    from vantiq_health.view.live import kubeconfig_path

    return kubeconfig_path(None) is not None or bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def report_paths(args: list[str]) -> list[Path]:
    """Where this run writes its reports: the defaults unless the arguments name others."""
    from vantiq_health.plugin.setup import DEFAULT_HTML, DEFAULT_JSON, DEFAULT_JUNIT

    paths = {"--html": DEFAULT_HTML, "--results-json": DEFAULT_JSON, "--junitxml": DEFAULT_JUNIT}
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        name = "--junitxml" if name == "--junit-xml" else name
        if name in paths:
            paths[name] = value if eq else (args[i + 1] if i + 1 < len(args) else paths[name])
    return [Path(p) for p in paths.values()]


def written_since(paths: list[Path], started: float) -> list[Path]:
    # mtimes may have a one-second granularity; the plugin removes stale reports at start anyway
    return [p for p in paths if p.is_file() and p.stat().st_mtime >= math.floor(started)]


def closing_line(code: int, demo: bool) -> str:
    from vantiq_health.plugin.exitcodes import MEANINGS

    meaning = MEANINGS.get(code, "see pytest's exit codes")
    if demo:
        return f"vantiq-health: DEMO run on the bundled snapshot, not your cluster: exit {code}, {meaning} (on purpose)"
    return (
        f"vantiq-health: exit {code}, {meaning} (make's own code says only pass/fail: pipelines run pytest)"
    )


def main(argv: list[str]) -> int:
    args = list(argv)
    demo = not _has_cluster(args)
    if demo:
        print(f"vantiq-health: no kubeconfig found; running on the bundled demo snapshot ({demo_snapshot()})")
        args = ["--snapshot", str(demo_snapshot()), *args]
    started = time.time()
    code = int(pytest.main(["checks", *args]))
    written = written_since(report_paths(args), started)
    if written:
        print(f"vantiq-health: reports written: {', '.join(str(p) for p in written)}")
    else:
        print("vantiq-health: no report was written")
    print(closing_line(code, demo))
    if demo and code == pytest.ExitCode.TESTS_FAILED:
        return 0  # the demo's findings are deliberate: the command worked
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
