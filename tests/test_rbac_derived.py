"""The RBAC of deploy/ is derived from the requests the checks make, not hoped for.

Every check runs live (live probes on, so port-forwards are attempted) against the
scenario API server (tests/kube/server.py) on the healthy baseline, on every broken
variant of tests/test_scenarios.py (log reads, access reviews, node proxy reads happen
only when something is wrong) and on the oldest and newest supported Kubernetes
versions. The server records every request; `permissions_of()` maps each to
(API group, resource, subresource, verb); the roles under deploy/ must grant each, and
grant nothing that no request used.

The scenario server has no authorizer: it answers every request it is not told to refuse.
So this proves which requests the scenarios make, and that the roles cover them; it does
not prove a real API server's authorizer agrees on every detail (port-forward's verb is
the known difference: see SUBRESOURCE_VERBS).

To extend it when a check requests something new: `permissions_of()` is the one place that
maps a request to permissions (plain reads and writes need nothing new; a streaming
subresource goes in SUBRESOURCE_VERBS); add the grant to the right role under deploy/
(read-only: rbac-reader.yaml; more than reading: optional/), paste the README's RBAC table
that tests/test_deploy_manifests.py prints, and remove the permission from AWAITING once a
scenario requests it. The new broken variants registered in tests/test_scenarios.py run
here without more ado.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.harness import CHECKS, ROOT
from tests.kube.server import FakeCluster
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.variants import build
from tests.test_scenarios import VARIANTS

DEPLOY = ROOT / "deploy"
READER = "vantiq-health-reader"  # read-only ClusterRole: what every run needs
OPTIONAL = ("vantiq-health-probes", "vantiq-health-probe-pods")  # opt-in: more than reading
# The README's supported Kubernetes versions (section "Permissions"): the oldest and newest minor.
SUPPORTED = ("1.25", "1.35")
# Non-resource URLs: discovery and /version, granted to every authenticated user by the
# default `system:discovery` / `system:public-info-viewer` ClusterRoles; nothing to grant.
NON_RESOURCE = ("/version", "/api", "/apis", "/healthz", "/livez", "/readyz", "/openapi")
# Streaming subresources are a websocket GET upgrade. An authorizer checks `get` for it on
# older servers; from Kubernetes 1.35 it also checks `create` (feature gate
# AuthorizePodWebsocketUpgradeCreatePermission, on by default), the verb of kubectl's SPDY POST.
SUBRESOURCE_VERBS = {
    ("", "pods", "portforward"): ("get", "create"),
    ("", "pods", "exec"): ("get", "create"),
    ("", "pods", "attach"): ("get", "create"),
}
# Grants of work in flight whose scenarios do not request them yet: (permission, why).
# Each entry must be removed once a scenario requests it (test_awaiting_grants_are_not_yet_used).
AWAITING: dict[tuple[str, str, str, str], str] = {}


@dataclass(frozen=True, order=True)
class Permission:
    group: str
    resource: str
    subresource: str
    verb: str

    def __str__(self) -> str:
        resource = f"{self.resource}/{self.subresource}" if self.subresource else self.resource
        return f"{self.verb} {resource} ({self.group or 'core'})"


# -- the one place: an HTTP request -> the permissions an authorizer checks ----------------------
def permissions_of(method: str, target: str) -> set[Permission]:
    """What a request needs, as Kubernetes' RequestInfoFactory reads it; empty for non-resource URLs."""
    path = target.split("?", 1)[0]
    query = target.split("?", 1)[1] if "?" in target else ""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        group, rest = parts[1], parts[3:]
    else:
        assert path.startswith(NON_RESOURCE), f"unexpected non-resource request {method} {target}"
        return set()
    if len(rest) >= 3 and rest[0] == "namespaces":  # /namespaces/NS/RESOURCE...: inside a namespace
        rest = rest[2:]
    resource, name, subresource = (*rest, "", "", "")[:3]
    verb = _verb(method, bool(name), "watch=true" in query or "watch=1" in query)
    verbs = SUBRESOURCE_VERBS.get((group, resource, subresource), (verb,)) if method == "GET" else (verb,)
    return {Permission(group, resource, subresource, v) for v in verbs}


def _verb(method: str, named: bool, watch: bool) -> str:
    if method == "GET":
        return "watch" if watch else "get" if named else "list"
    if method == "DELETE":
        return "delete" if named else "deletecollection"
    return {"POST": "create", "PUT": "update", "PATCH": "patch"}[method]


# -- what the roles grant ------------------------------------------------------------------------
def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted(DEPLOY.rglob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def grants(role_names: Iterable[str]) -> set[Permission]:
    """The permissions the named Roles/ClusterRoles grant, expanded rule by rule (no wildcards allowed)."""
    wanted = set(role_names)
    found: set[Permission] = set()
    for doc in manifests():
        if doc["kind"] not in ("Role", "ClusterRole") or doc["metadata"]["name"] not in wanted:
            continue
        for rule in doc["rules"]:
            for group in rule["apiGroups"]:
                for resource in rule["resources"]:
                    base, _, sub = resource.partition("/")
                    found |= {Permission(group, base, sub, verb) for verb in rule["verbs"]}
    return found


# -- the runs ------------------------------------------------------------------------------------
def suite(workdir: Path, kubeconfig: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The checks as a user runs them, on --namespace prod, the reports in workdir (--report-dir)."""
    command = [
        sys.executable,
        "-m",
        "pytest",
        str(CHECKS),
        f"--rootdir={ROOT}",
        "-q",
        "-p",
        "no:cacheprovider",
    ]
    command += ["--kubeconfig", str(kubeconfig), "--namespace", "prod", "--report-dir", str(workdir), *args]
    return subprocess.run(command, cwd=workdir, capture_output=True, text=True, check=False, timeout=300)


def _run(sc: Scenario, workdir: Path, *args: str) -> tuple[set[tuple[str, str]], dict[str, Any]]:
    workdir.mkdir(parents=True)
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version, failing=sc.failing) as fake:
        kubeconfig = fake.write_kubeconfig(workdir / "kubeconfig")
        suite(workdir, kubeconfig, "--probe-timeout", "1", *args)
        requests = set(fake.requests)
    return requests, json.loads((workdir / "results.json").read_text())


@pytest.fixture(scope="module")
def requested(tmp_path_factory: pytest.TempPathFactory) -> dict[Permission, str]:
    """Every permission any scenario's run needed -> one request that needed it."""
    runs: list[tuple[str, Scenario, tuple[str, ...]]] = [("baseline", baseline(), ())]
    for version in SUPPORTED:
        sc = baseline()
        sc.version = version
        runs.append((f"baseline-{version}", sc, ()))
    runs += [(v.name, build(v), v.args) for v in VARIANTS]
    # probe pods (never finishing here: the scenario server runs no kubelet): created, then deleted
    runs.append(("probe-pods", baseline(), ("--allow-probe-pods", "--probe-image=vantiq-health:test")))
    seen: dict[Permission, str] = {}
    with ThreadPoolExecutor(max_workers=2) as pool:  # each run: its own server thread and suite process
        done = pool.map(
            lambda run: (run[0], *_run(run[1], tmp_path_factory.mktemp("rbac") / run[0], *run[2])), runs
        )
    for name, requests, doc in done:
        errors = [r["id"] for r in doc["results"] if r["outcome"] == "error"]
        assert not errors, f"{name}: checks ended in error: {errors}"
        for method, target in sorted(requests):
            for permission in permissions_of(method, target):
                seen.setdefault(permission, f"{method} {target} ({name})")
    return seen


def test_the_roles_grant_every_request_the_checks_make(requested: dict[Permission, str]) -> None:
    granted = grants([READER, *OPTIONAL])
    missing = [f"{p}: {requested[p]}" for p in sorted(requested) if p not in granted]
    assert not missing, "deploy/ does not grant:\n" + "\n".join(missing)


def test_the_roles_grant_nothing_no_request_used(requested: dict[Permission, str]) -> None:
    awaiting = {Permission(*key) for key in AWAITING}
    unused = sorted(grants([READER, *OPTIONAL]) - set(requested) - awaiting)
    assert not unused, "deploy/ grants what no check requested:\n" + "\n".join(map(str, unused))


def test_awaiting_grants_are_not_yet_used(requested: dict[Permission, str]) -> None:
    """Once a scenario requests an AWAITING permission it is derived: remove it from AWAITING."""
    used = sorted(Permission(*key) for key in AWAITING if Permission(*key) in requested)
    assert not used, "now requested, remove from AWAITING: " + ", ".join(map(str, used))


def test_the_reader_only_reads(requested: dict[Permission, str]) -> None:
    """More than reading lives in the opt-in roles: writes, port-forward, the kubelet API."""
    reader = grants([READER])
    beyond = {
        p
        for p in reader
        if p.verb not in ("get", "list", "watch")
        and p != Permission("authorization.k8s.io", "subjectaccessreviews", "", "create")
    }
    assert not beyond, sorted(map(str, beyond))
    assert not {p for p in reader if p.subresource in ("portforward", "proxy", "exec", "attach")}
    optional = grants(OPTIONAL)
    assert Permission("", "pods", "portforward", "create") in optional
    assert Permission("", "pods", "portforward", "get") in optional
    assert Permission("", "nodes", "proxy", "get") in optional


def test_requests_map_to_permissions() -> None:
    """The mapping itself, on the shapes of request the suite makes and the ones in flight will."""
    assert permissions_of("GET", "/api/v1/namespaces/prod/pods?limit=500") == {
        Permission("", "pods", "", "list")
    }
    assert permissions_of("GET", "/api/v1/namespaces/prod/pods/p/log?container=c") == {
        Permission("", "pods", "log", "get")
    }
    assert permissions_of("GET", "/api/v1/namespaces/shared/pods/k-0/portforward?ports=8080") == {
        Permission("", "pods", "portforward", "get"),
        Permission("", "pods", "portforward", "create"),
    }
    assert permissions_of("GET", "/api/v1/nodes/n1/proxy/stats/summary") == {
        Permission("", "nodes", "proxy", "get")
    }
    assert permissions_of("POST", "/apis/authorization.k8s.io/v1/subjectaccessreviews") == {
        Permission("authorization.k8s.io", "subjectaccessreviews", "", "create")
    }
    assert permissions_of("DELETE", "/api/v1/namespaces/vantiq-health/pods/probe-x") == {
        Permission("", "pods", "", "delete")
    }
    assert permissions_of("GET", "/api/v1/namespaces/prod") == {Permission("", "namespaces", "", "get")}
    assert permissions_of("GET", "/apis/apps/v1?timeout=32s") == set()
    assert permissions_of("GET", "/version") == set()


def test_a_run_without_secrets_completes_with_the_secret_checks_skipped(tmp_path: Path) -> None:
    """The read-only role minus `secrets`: every secret-dependent check skips naming the permission."""
    sc = baseline()
    sc.forbidden = [("list", "secrets", "*"), ("get", "secrets", "*")]
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version, forbidden=sc.forbidden) as fake:
        kubeconfig = fake.write_kubeconfig(tmp_path / "kubeconfig")
        done = suite(tmp_path, kubeconfig, "--no-live")
    doc = json.loads((tmp_path / "results.json").read_text())
    outcome = {(r["id"], r["namespace"]): r for r in doc["results"]}
    assert done.returncode == 0, done.stdout[-3000:]
    for key in [("SEC001", "prod"), ("SEC002", "prod"), ("SEC003", "prod"), ("VQ001", "prod")]:
        assert outcome[key]["outcome"] == "skipped", outcome[key]
        assert "needs: list secrets in prod" in outcome[key]["message"], outcome[key]["message"]
    for key in [("SEC002", "shared"), ("HM001", "shared"), ("HM002", "shared")]:
        assert outcome[key]["outcome"] == "skipped", outcome[key]
        assert "needs: list secrets in shared" in outcome[key]["message"], outcome[key]["message"]
    # the checks that need no secret still judge
    assert outcome[("WL001", "prod")]["outcome"] == "passed"
    assert outcome[("ST003", None)]["outcome"] == "passed"
    assert "vantiq-health: exit 0" in done.stdout
