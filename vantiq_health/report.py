"""`make report`: run the checks on the cluster of your kubeconfig, or on the bundled demo snapshot.

Everything after `make report ARGS="..."` goes to pytest as it is, so
`make report ARGS="--namespace prod --system-namespace shared"` works like
`pytest --namespace prod --system-namespace shared` in this folder.
"""

from __future__ import annotations

import os
import sys
from importlib import resources
from pathlib import Path

import pytest

from vantiq_health.view.live import kubeconfig_path


def demo_snapshot() -> Path:
    return Path(str(resources.files("vantiq_health").joinpath("demo")))


def _has_cluster(args: list[str]) -> bool:
    if any(a.startswith(("--kubeconfig", "--snapshot")) for a in args):
        return True
    return kubeconfig_path(None) is not None or bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def main(argv: list[str]) -> int:
    args = list(argv)
    demo = not _has_cluster(args)
    if demo:
        print(f"vantiq-health: no kubeconfig found; running on the bundled demo snapshot ({demo_snapshot()})")
        args = ["--snapshot", str(demo_snapshot()), *args]
    code = int(pytest.main(["checks", *args]))
    print("vantiq-health: reports in reports/report.html and reports/results.json")
    if demo and code == pytest.ExitCode.TESTS_FAILED:
        print("vantiq-health: the demo installation has problems on purpose; that is what the failures show")
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
