"""How the suite scales: wall time, peak memory and API requests on a large cluster.

    python -m benchmarks.scale --pods 5000 --namespaces 50

Builds the baseline installation plus filler namespaces full of pods, Secrets
and events, serves it over HTTP (kmock, as the tests do), and runs the whole
suite against it in a subprocess. The floor is the raw listing of every pod
with the official client (`_preload_content=False`), the cost no cluster
view can avoid.
"""

from __future__ import annotations

import argparse
import copy
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from kubernetes import client, config

from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline
from tests.scenarios.objects import Obj

ROOT = Path(__file__).resolve().parents[1]


def build(pods: int, namespaces: int) -> list[Obj]:
    sc = baseline()
    template = sc.find("Pod", "prod", "vantiq-0")
    secret = sc.find("Secret", "prod", "keycloak")
    objects = list(sc.objects)
    for n in range(pods):
        ns = "prod" if n % namespaces == 0 else f"filler-{n % namespaces:03d}"
        pod = copy.deepcopy(template)
        pod["metadata"].update(name=f"app-{n:05d}", namespace=ns)
        pod["metadata"].pop("ownerReferences", None)
        objects.append(pod)
        if n % 5 == 0:
            extra = copy.deepcopy(secret)
            extra["metadata"].update(name=f"keycloak-{n:05d}", namespace=ns)
            objects.append(extra)
    return objects


def floor(kubeconfig: Path) -> float:
    api = config.new_client_from_config(config_file=str(kubeconfig))
    started = time.perf_counter()
    json.loads(client.CoreV1Api(api).list_pod_for_all_namespaces(_preload_content=False).data)
    return time.perf_counter() - started


def run_suite(kubeconfig: Path, workdir: Path, extra: list[str]) -> tuple[float, int]:
    args = [
        sys.executable,
        "-m",
        "pytest",
        str(ROOT / "checks"),
        f"--rootdir={ROOT}",
        "-q",
        "-p",
        "no:cacheprovider",
        "--kubeconfig",
        str(kubeconfig),
        "--namespace",
        "prod",
        "--results-json",
        str(workdir / "r.json"),
        "--html",
        str(workdir / "r.html"),
        "--no-live",  # the cluster view's cost; the scenario's databases are not on this machine
        *extra,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    proc = subprocess.run(args, cwd=workdir, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stdout[-3000:] + proc.stderr[-3000:])
    return elapsed, max(peak_kib, before)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pods", type=int, default=5000)
    parser.add_argument("--namespaces", type=int, default=50)
    parser.add_argument("--xdist", default="", help="also run with pytest -n N")
    opts = parser.parse_args()
    objects = build(opts.pods, opts.namespaces)
    with tempfile.TemporaryDirectory() as tmp, FakeCluster(objects) as fake:
        work = Path(tmp)
        kubeconfig = fake.write_kubeconfig(work / "kubeconfig")
        floor_s = floor(kubeconfig)
        before = len(fake.requests)
        elapsed, peak_kib = run_suite(kubeconfig, work, [])
        requests = len(fake.requests) - before
        rows = [("suite (1 process)", elapsed, peak_kib, requests)]
        if opts.xdist:
            before = len(fake.requests)
            elapsed, peak_kib = run_suite(kubeconfig, work, ["-n", opts.xdist])
            rows.append((f"suite (-n {opts.xdist})", elapsed, peak_kib, len(fake.requests) - before))
    print(f"cluster: {len(objects)} objects, {opts.pods} extra pods in {opts.namespaces} namespaces")
    print(f"floor: raw listing of every pod: {floor_s:.2f} s")
    print(f"{'run':<20} {'wall s':>8} {'peak RSS MiB':>13} {'API requests':>13}")
    for name, secs, kib, reqs in rows:
        print(f"{name:<20} {secs:>8.2f} {kib / 1024:>13.0f} {reqs:>13}")


if __name__ == "__main__":
    main()
