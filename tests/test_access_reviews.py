"""MT005 live: SubjectAccessReviews through the scenario API server, saved by --save-snapshot and replayed.

The baseline's ClusterRoles grant telegraf everything it needs, so a failure here can only
come from the API server's answers; a binding removed from the recorded roles passes when the
API server allows (the authorizer's word wins over the suite's reading of the roles).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.harness import SuiteRun, run_snapshot, run_suite
from tests.kube.server import FakeCluster
from tests.scenarios.installation import Scenario, baseline

PATH = "/apis/authorization.k8s.io/v1/subjectaccessreviews"
NODES_DENIED = {
    ("system:serviceaccount:shared:telegraf-ds", "get", "nodes"),
    ("system:serviceaccount:shared:telegraf-ds", "list", "nodes"),
}


def _denying(
    denied: set[tuple[str, str, str]], asked: list[dict[str, Any]]
) -> Callable[[dict[str, Any]], bool]:
    def sar(review: dict[str, Any]) -> bool:
        asked.append(review)
        spec = review["spec"]
        attrs = spec["resourceAttributes"]
        return (spec["user"], attrs["verb"], attrs["resource"]) not in denied

    return sar


def _run(
    pytester: pytest.Pytester, sc: Scenario, sar: Callable[[dict[str, Any]], bool], *args: str
) -> SuiteRun:
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version, forbidden=sc.forbidden, sar=sar) as fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        run = run_suite(
            pytester,
            "--kubeconfig",
            str(kubeconfig),
            "--namespace=prod",
            "--namespace=shared",
            "--check",
            "MT005",
            *args,
        )
        run.requests = list(fake.requests)
    return run


def test_a_denied_review_fails_mt005_with_the_yaml_to_apply(pytester: pytest.Pytester) -> None:
    asked: list[dict[str, Any]] = []
    run = _run(pytester, baseline(), _denying(NODES_DENIED, asked))
    assert run.outcomes() == {("MT005", "shared"): "failed"}, run.output()
    message = run.message("MT005", "shared")
    assert "ServiceAccount shared/telegraf-ds may not get nodes, list nodes at cluster scope" in message
    assert "telegraf-prom may not" not in message
    assert "kind: ClusterRoleBinding" in message
    assert "name: influx:telegraf:viewer" in message
    assert "- kind: ServiceAccount\n  name: telegraf-ds\n  namespace: shared" in message
    assert "kubectl rollout restart daemonset/telegraf-ds -n shared" in message
    review = next(r for r in asked if r["spec"]["user"].endswith(":telegraf-ds"))
    assert review["kind"] == "SubjectAccessReview"
    assert "system:serviceaccounts:shared" in review["spec"]["groups"]
    assert {
        (r["spec"]["resourceAttributes"]["verb"], r["spec"]["resourceAttributes"]["resource"]) for r in asked
    } == {
        ("get", "pods"),
        ("list", "pods"),
        ("watch", "pods"),
        ("get", "nodes"),
        ("list", "nodes"),
    }
    assert len(asked) == 10  # one per (ServiceAccount, verb, resource), asked once
    assert {m for m, p in run.requests if p.startswith(PATH)} == {"POST"}


def test_an_allowed_review_passes_even_when_the_recorded_roles_look_short(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.remove("ClusterRoleBinding", None, "influx:telegraf:viewer")
    run = _run(pytester, sc, _denying(set(), []))
    assert run.outcomes() == {("MT005", "shared"): "passed"}, run.output()
    assert "SubjectAccessReviews: 10 asked" in run.message("MT005", "shared")


def test_without_create_subjectaccessreviews_the_recorded_roles_judge(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.remove("ClusterRoleBinding", None, "influx:telegraf:viewer")
    sc.forbidden = [("create", "subjectaccessreviews", None)]
    run = _run(pytester, sc, _denying(set(), []))
    assert run.outcomes() == {("MT005", "shared"): "failed"}, run.output()
    message = run.message("MT005", "shared")
    assert "ServiceAccount shared/telegraf-prom may not get pods, list pods, watch pods" in message
    assert "SubjectAccessReviews not asked: needs: create subjectaccessreviews (cluster scope)" in message


def test_no_live_asks_no_review(pytester: pytest.Pytester) -> None:
    run = _run(pytester, baseline(), _denying(NODES_DENIED, []), "--no-live")
    assert run.outcomes() == {("MT005", "shared"): "passed"}, run.output()
    assert "SubjectAccessReviews not asked: live probes are off" in run.message("MT005", "shared")
    assert {m for m, _ in run.requests} == {"GET"}


def test_the_answers_are_saved_and_replayed_offline(pytester: pytest.Pytester) -> None:
    live = _run(pytester, baseline(), _denying(NODES_DENIED, []), "--save-snapshot=saved")
    records = json.loads((pytester.path / "saved" / "vantiq-health-records.json").read_text())["records"]
    reviews = {k: v for k, v in records.items() if k.startswith("access-review/")}
    assert reviews["access-review/system:serviceaccount:shared:telegraf-ds/list/nodes"] == {"allowed": False}
    assert reviews["access-review/system:serviceaccount:shared:telegraf-ds/list/pods"] == {"allowed": True}
    assert len(reviews) == 10
    offline = run_snapshot(
        pytester, pytester.path / "saved", "--check", "MT005", namespaces=("prod", "shared")
    )
    assert offline.outcomes() == {("MT005", "shared"): "failed"}, offline.output()
    assert offline.message("MT005", "shared") == live.message("MT005", "shared")
