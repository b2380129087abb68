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

NAMESPACED = (
    "pods",
    "secrets",
    "configmaps",
    "services",
    "endpoints",
    "events",
    "persistentvolumeclaims",
    "statefulsets",
    "deployments",
    "daemonsets",
    "replicasets",
    "cronjobs",
    "jobs",
    "ingresses",
)
CLUSTER = ("nodes", "persistentvolumes", "storageclasses", "clusterroles", "clusterrolebindings")


def capture(sc: Scenario, target: Path) -> Path:
    """The README's capture commands, run by kubectl against the scenario cluster."""
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed")
    target.mkdir(parents=True)
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version, node_docs=sc.node_docs) as fake:
        kc = str(fake.write_kubeconfig(target.parent / "capture-kubeconfig"))

        def kubectl_to(name: str, *args: str) -> None:
            out = subprocess.run(
                [kubectl, "--kubeconfig", kc, *args], capture_output=True, text=True, timeout=60, check=True
            )
            (target / name).write_text(out.stdout)

        for kind in NAMESPACED:
            kubectl_to(f"{kind}.json", "get", kind, "-A", "-o", "json", "--show-managed-fields")
        for kind in CLUSTER:
            kubectl_to(f"{kind}.json", "get", kind, "-o", "json")
        kubectl_to("leases.json", "get", "leases", "-n", "kube-node-lease", "-o", "json")
        kubectl_to("version.json", "version", "-o", "json")
        for node, path in sorted(
            sc.node_docs
        ):  # the README's `kubectl get --raw` loop, for the nodes that answer
            stem = "stats-summary" if path == "stats/summary" else "configz"
            kubectl_to(f"{stem}-{node}.json", "get", "--raw", f"/api/v1/nodes/{node}/proxy/{path}")
        subprocess.run(
            [
                kubectl,
                "--kubeconfig",
                kc,
                "cluster-info",
                "dump",
                "--namespaces",
                "prod,shared",
                "--output-directory",
                str(target / "dump"),
            ],
            capture_output=True,
            timeout=60,
            check=True,
        )
    return target


@pytest.mark.parametrize("name", ["baseline", "wl003-bootstrap", "sec002-newline", "sec003-license"])
def test_kubectl_captured_snapshot_gives_the_live_verdicts(pytester: pytest.Pytester, name: str) -> None:
    sc = baseline() if name == "baseline" else build(next(v for v in VARIANTS if v.name == name))
    live = run_live(pytester, sc)
    offline = run_snapshot(pytester, capture(sc, pytester.path / "snap"))
    assert offline.outcomes() == live.outcomes(), offline.output()
    if name == "wl003-bootstrap":
        assert "i/o timeout" in offline.message("WL003", "prod")


def test_cluster_info_dump_saved_from_stdout_gives_the_live_verdicts(pytester: pytest.Pytester) -> None:
    """`kubectl cluster-info dump > dump.txt`: one file of JSON documents and log blocks."""
    sc = build(next(v for v in VARIANTS if v.name == "wl003-bootstrap"))
    snap = capture(sc, pytester.path / "snap")
    shutil.rmtree(snap / "dump")
    kubectl = shutil.which("kubectl")
    assert kubectl is not None
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version) as fake:
        kc = str(fake.write_kubeconfig(pytester.path / "kc"))
        out = subprocess.run(
            [kubectl, "--kubeconfig", kc, "cluster-info", "dump", "--namespaces", "prod,shared"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
    (snap / "cluster-dump.txt").write_text(out.stdout)
    live = run_live(pytester, sc)
    offline = run_snapshot(pytester, snap)
    assert offline.outcomes() == live.outcomes()
    assert "i/o timeout" in offline.message("WL003", "prod")


def test_redacted_capture_skips_the_value_checks_instead_of_raising_false_alarms(
    pytester: pytest.Pytester,
) -> None:
    sc = baseline()
    for obj in sc.objects:
        if obj["kind"] == "Secret" and obj.get("type") != "helm.sh/release.v1":
            obj["data"] = dict.fromkeys(obj["data"], "***")
    snap = capture(sc, pytester.path / "snap")
    run = run_snapshot(pytester, snap)
    assert run.outcomes()[("SEC002", "prod")] == "skipped"
    assert "redacted" in run.message("SEC002", "prod")
    assert not run.with_outcome("failed", "error"), run.output()
