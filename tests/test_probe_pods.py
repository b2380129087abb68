"""Probe pods against the scenario API server: created with the expected spec, always deleted.

The API server's request log is the evidence: one POST per run with the
spec, a DELETE of the same pod — also when the pod never finishes, when the
run is interrupted (SIGINT, SIGTERM), and when creating is forbidden. A
kubelet stand-in runs the pod's real code (`netrun.execute`) locally with the
pod IPs mapped to loopback ports, to see the verdicts come back through the log.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.harness import CHECKS, ROOT, SuiteRun, run_snapshot, run_suite
from tests.kube.server import FakeCluster
from tests.scenarios.installation import Scenario, baseline
from vantiq_health.probes.netrun import MARK, Plan, execute

IMAGE = "registry.example.com/vantiq-health:0.1"
PODS = "/api/v1/namespaces/prod/pods"
NETWORK = "--check=NET001,NET002,NET005,VQ003"


def _fake(sc: Scenario) -> FakeCluster:
    return FakeCluster(
        sc.objects, logs=sc.logs, version=sc.version, forbidden=sc.forbidden, node_docs=sc.node_docs
    )


def _run(pytester: pytest.Pytester, fake: FakeCluster, *args: str) -> SuiteRun:
    kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
    return run_suite(pytester, "--kubeconfig", str(kubeconfig), "--namespace=prod", *args)


def _created(fake: FakeCluster) -> list[dict[str, Any]]:
    return [body for method, path, body in fake.writes if (method, path) == ("POST", PODS)]


def _deleted(fake: FakeCluster) -> list[str]:
    return [path.split("?")[0].rsplit("/", 1)[1] for method, path in fake.requests if method == "DELETE"]


def test_a_pod_that_never_finishes_is_created_as_specified_and_deleted(pytester: pytest.Pytester) -> None:
    with _fake(baseline()) as fake:
        run = _run(
            pytester, fake, NETWORK, "--allow-probe-pods", f"--probe-image={IMAGE}", "--probe-timeout=0.25"
        )
    [pod] = _created(fake)  # one pod for every check that needs the pod network
    meta, spec = pod["metadata"], pod["spec"]
    assert meta["name"].startswith("vantiq-health-probe-")
    assert meta["namespace"] == "prod"
    assert meta["labels"]["app.kubernetes.io/name"] == "vantiq-health-probe"
    assert meta["labels"]["vantiq-health/run"] in meta["name"]
    [container] = spec["containers"]
    assert container["image"] == IMAGE
    assert container["command"] == ["python", "-m", "vantiq_health.probes.netrun"]
    plan = Plan.from_json(container["args"][0])
    assert plan.dns == {"prod": "mongodb.prod.svc.cluster.local."}
    assert plan.tcp["node:aks-nodepool1-1"] == ("10.244.1.21", 8080)  # vantiq-1, its readiness port
    assert plan.tcp["vq:prod:10.244.2.22:8080"] == ("10.244.2.22", 8080)
    assert spec["restartPolicy"] == "Never"
    assert spec["automountServiceAccountToken"] is False
    assert spec["nodeSelector"] == {"kubernetes.io/hostname": "aks-nodepool1-0"}
    assert spec["activeDeadlineSeconds"] == 4
    assert container["securityContext"]["runAsNonRoot"] is True
    assert _deleted(fake) == [meta["name"]]
    assert f"probe pods: allowed ({IMAGE}), in prod" in run.output()  # the header says so
    assert [m for m, p in fake.requests if m not in ("GET",)] == ["POST", "DELETE"]  # nothing else written
    assert run.outcomes()[("NET005", None)] == "skipped", run.output()
    assert "did not finish within 12 x --probe-timeout = 3 s (last phase Pending)" in run.message(
        "NET005", None
    )
    assert "not run: probe pod prod/vantiq-health-probe-" in run.message("NET001", "prod")


class _Kubelet:
    """Runs each created probe pod's plan here: pod IPs in `blocked` get a closed port, others an open one."""

    def __init__(self, fake: FakeCluster, blocked: set[str], search: str, tmp: Path) -> None:
        self.fake, self.blocked, self.tmp = fake, blocked, tmp
        self.resolv = tmp / "resolv.conf"
        self.resolv.write_text(f"search {search}\nnameserver 127.0.0.1\n")
        self.listener = socket.create_server(("127.0.0.1", 0))
        closed = socket.create_server(("127.0.0.1", 0))
        self.ports = (self.listener.getsockname()[1], closed.getsockname()[1])
        closed.close()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> _Kubelet:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.listener.close()

    def _loop(self) -> None:
        done: set[str] = set()
        while not self._stop.is_set():
            for pod in _created(self.fake):
                name = pod["metadata"]["name"]
                if name not in done:
                    done.add(name)
                    self._run(name, Plan.from_json(pod["spec"]["containers"][0]["args"][0]))
            time.sleep(0.05)

    def _run(self, name: str, plan: Plan) -> None:
        open_, closed = self.ports
        tcp = {k: ("127.0.0.1", closed if ip in self.blocked else open_) for k, (ip, _) in plan.tcp.items()}
        doc = execute(Plan({}, tcp, plan.timeout), "probe pod", str(self.resolv))
        doc["node"] = "aks-nodepool1-0"
        self.fake.pod_finished("prod", name, "probe", f"starting\n{MARK}{json.dumps(doc)}\n")


@pytest.fixture
def kubelet_run(pytester: pytest.Pytester, tmp_path: Path) -> Any:
    def go(sc: Scenario, blocked: set[str], search: str, *args: str) -> tuple[SuiteRun, FakeCluster]:
        with _fake(sc) as fake, _Kubelet(fake, blocked, search, tmp_path):
            run = _run(
                pytester,
                fake,
                NETWORK,
                "--allow-probe-pods",
                f"--probe-image={IMAGE}",
                "--probe-timeout=1",
                *args,
            )
        return run, fake

    return go


def test_a_healthy_pod_network_passes_from_a_probe_pod(kubelet_run: Any) -> None:
    run, fake = kubelet_run(baseline(), set(), "prod.svc.cluster.local svc.cluster.local cluster.local")
    outcomes = run.outcomes()
    assert {k: outcomes[k] for k in [("NET002", None), ("NET005", None), ("VQ003", "prod")]} == {
        ("NET002", None): "passed",
        ("NET005", None): "passed",
        ("VQ003", "prod"): "passed",
    }, run.output()
    assert "to pod prod/vantiq-1 on node aks-nodepool1-1 (10.244.1.21:8080): connected" in run.message(
        "NET005", None
    )
    assert "resolv.conf search path (probe pod prod/vantiq-health-probe-" in run.message("NET002", None)
    assert len(_created(fake)) == 1
    assert _deleted(fake) == [_created(fake)[0]["metadata"]["name"]]


def test_blocked_pod_traffic_to_one_node_fails_net005_and_vq003(
    kubelet_run: Any, pytester: pytest.Pytester
) -> None:
    sc = baseline()
    sc.node_docs.clear()  # the domain comes from the probe pod's resolv.conf alone
    search = "prod.svc.example.internal svc.example.internal example.internal"
    run, _ = kubelet_run(sc, {"10.244.2.22"}, search, "--save-snapshot=saved")
    assert run.with_outcome("failed") == {("NET002", None), ("NET005", None), ("VQ003", "prod")}, run.output()
    net005 = run.message("NET005", None)
    assert (
        "pod prod/vantiq-2 on node aks-nodepool1-2 (10.244.2.22:8080) is not reachable from probe pod"
        in net005
    )
    vq003 = run.message("VQ003", "prod")
    assert "Vantiq endpoint pod vantiq-2 (10.244.2.22:8080) is not reachable" in vq003
    assert "Keycloak is routed through an ExternalName Service" in vq003
    assert "the cluster DNS domain is example.internal, not cluster.local" in run.message("NET002", None)
    # the saved snapshot carries the pod-network run's record: the same verdicts offline, no pod created
    offline = run_snapshot(pytester, pytester.path / "saved", NETWORK)
    assert offline.with_outcome("failed") == run.with_outcome("failed"), offline.output()
    assert offline.message("VQ003", "prod") == vq003


def test_without_the_flag_the_network_checks_name_it(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden.append(("get", "nodes/proxy", None))  # the read-only role alone
    with _fake(sc) as fake:
        run = _run(pytester, fake, NETWORK)
    assert not _created(fake)
    assert run.outcomes()[("NET005", None)] == "skipped"
    assert "--allow-probe-pods --probe-image IMAGE" in run.message("NET005", None)
    net002 = run.message("NET002", None)
    assert net002.startswith("[NET002] cannot check: kubelet configz: needs: get nodes/proxy (cluster scope)")
    assert "a pod's resolv.conf: needs the cluster's pod network" in net002
    assert "--allow-probe-pods --probe-image IMAGE" in net002
    assert "TCP to each endpoint's pod IP not tried" in run.message("VQ003", "prod")


def test_a_forbidden_create_skips_naming_the_permission(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden.append(("create", "pods", "prod"))
    with _fake(sc) as fake:
        run = _run(pytester, fake, "--check=NET005", "--allow-probe-pods", f"--probe-image={IMAGE}")
    assert run.outcomes() == {("NET005", None): "skipped"}, run.output()
    assert "needs: create/delete pods in prod for probe pods" in run.message("NET005", None)
    assert len(_deleted(fake)) == 1  # asked to delete anyway: never assume a pod is not there


def test_allow_probe_pods_without_an_image_is_a_usage_error(pytester: pytest.Pytester) -> None:
    with _fake(baseline()) as fake:
        run = _run(pytester, fake, "--allow-probe-pods")
    assert run.result.ret == 4
    assert "vantiq-health: --allow-probe-pods needs --probe-image IMAGE" in run.output()
    assert not fake.writes


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_an_interrupted_run_deletes_its_probe_pod(tmp_path: Path, signum: int) -> None:
    with _fake(baseline()) as fake:
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
        args = [sys.executable, "-m", "pytest", str(CHECKS), f"--rootdir={ROOT}", "-p", "no:cacheprovider"]
        args += ["--kubeconfig", str(kubeconfig), "--namespace=prod", "--check=NET005"]
        args += ["--allow-probe-pods", f"--probe-image={IMAGE}", "--probe-timeout=5"]
        proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not _created(fake) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert _created(fake), proc.communicate()[0].decode()
        time.sleep(0.3)  # waiting for the pod to finish
        proc.send_signal(signum)
        out = proc.communicate(timeout=30)[0].decode()
        name = _created(fake)[0]["metadata"]["name"]
        assert _deleted(fake) == [name], out
    assert proc.returncode != 0, out


def test_a_japanese_run_says_the_pod_network_verdicts_in_japanese(
    kubelet_run: Any, pytester: pytest.Pytester
) -> None:
    """The connect errors travel from the probe pod as message keys: the workstation renders them."""
    sc = baseline()
    sc.node_docs.clear()
    search = "prod.svc.example.internal svc.example.internal example.internal"
    run, _ = kubelet_run(sc, {"10.244.2.22"}, search, "--lang=ja", "--save-snapshot=saved")
    assert run.with_outcome("failed") == {("NET002", None), ("NET005", None), ("VQ003", "prod")}, run.output()
    net005 = run.message("NET005", None)
    assert "ノード aks-nodepool1-2 の Pod prod/vantiq-2（10.244.2.22:8080） に" in net005, net005
    assert "から到達できません: refused" in net005, net005
    assert ": 接続が拒否されました" in net005, net005  # the probe pod's error, rendered here
    assert "ノード間の Pod IP の通信を許可してください" in net005
    vq003 = run.message("VQ003", "prod")
    assert "Vantiq のエンドポイント Pod vantiq-2（10.244.2.22:8080） に" in vq003, vq003
    assert "Vantiq だけがタイムアウトし" in vq003
    net002 = run.message("NET002", None)
    assert "クラスターの DNS ドメインが cluster.local ではなく example.internal です" in net002, net002
    for english in ("is not reachable", "connection refused", "Keycloak is routed", "waits forever"):
        assert english not in net005 + vq003 + net002, english
    offline = run_snapshot(pytester, pytester.path / "saved", NETWORK, "--lang=ja")
    assert offline.message("NET005", None) == net005


def test_a_japanese_run_names_the_flag_in_japanese(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden.append(("get", "nodes/proxy", None))
    with _fake(sc) as fake:
        run = _run(pytester, fake, NETWORK, "--lang=ja")
    net005 = run.message("NET005", None)
    assert "クラスターの Pod ネットワークが必要です" in net005, net005
    assert "--allow-probe-pods --probe-image IMAGE" in net005
    assert "Pod の resolv.conf: クラスターの Pod ネットワークが必要です" in run.message("NET002", None)
    assert "各エンドポイントの Pod IP への TCP は試していません" in run.message("VQ003", "prod")
