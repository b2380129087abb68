"""Snapshots captured by the real kubectl, with the README's commands, give the live verdicts."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.harness import run_live, run_snapshot
from tests.kube.server import FakeCluster
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.installation import Scenario, baseline

NAMESPACED = ("pods", "secrets", "configmaps", "services", "endpoints", "events", "persistentvolumeclaims",
              "statefulsets", "deployments", "daemonsets", "replicasets", "cronjobs", "jobs", "ingresses")
CLUSTER = ("nodes", "persistentvolumes", "storageclasses")


def capture(sc: Scenario, target: Path) -> Path:
    """The README's capture commands, run by kubectl against the scenario cluster."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    target.mkdir(parents=True)
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version) as fake:
        kc = str(fake.write_kubeconfig(target.parent / "capture-kubeconfig"))

        def kubectl_to(name: str, *args: str) -> None:
            out = subprocess.run([kubectl, "--kubeconfig", kc, *args], capture_output=True, text=True, timeout=60, check=True)
            (target / name).write_text(out.stdout)

        for kind in NAMESPACED:
            kubectl_to(f"{kind}.json", "get", kind, "-A", "-o", "json", "--show-managed-fields")
        for kind in CLUSTER:
            kubectl_to(f"{kind}.json", "get", kind, "-o", "json")
        kubectl_to("leases.json", "get", "leases", "-n", "kube-node-lease", "-o", "json")
        kubectl_to("version.json", "version", "-o", "json")
        subprocess.run([kubectl, "--kubeconfig", kc, "cluster-info", "dump", "--namespaces", "prod,shared",
                        "--output-directory", str(target / "dump")], capture_output=True, timeout=60, check=True)
    return target


@pytest.mark.parametrize("name", ["baseline", "wl003-bootstrap", "sec002-newline", "sec003-license"])
def test_kubectl_captured_snapshot_gives_the_live_verdicts(pytester: pytest.Pytester, name: str) -> None:
    sc = baseline() if name == "baseline" else build(next(v for v in VARIANTS if v.name == name))
    live = run_live(pytester, sc)
    offline = run_snapshot(pytester, capture(sc, pytester.path / "snap"))
    assert offline.outcomes() == live.outcomes(), offline.output()
    if name == "wl003-bootstrap":
        assert "i/o timeout" in offline.message("WL003", "prod")
