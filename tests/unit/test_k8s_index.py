"""Pod specs and their references are worked out once per namespace, not once per check."""

from __future__ import annotations

from typing import Any

from vantiq_health.analysis import secrets
from vantiq_health.analysis.k8s import pod_spec_sources


def _pod(name: str, secret: str) -> dict[str, Any]:
    env = [{"name": "P", "valueFrom": {"secretKeyRef": {"name": secret, "key": "password"}}}]
    return {"metadata": {"name": name}, "spec": {"containers": [{"name": "c", "env": env}]}}


def test_the_same_lists_give_the_same_sources_and_references() -> None:
    pods, cronjobs = [_pod("a", "s1"), _pod("b", "s2")], list[dict[str, Any]]()
    first, again = pod_spec_sources(pods, cronjobs), pod_spec_sources(pods, cronjobs)
    assert first is again
    assert secrets.references(first[0]) is secrets.references(again[0])
    assert [r.name for s in first for r in secrets.references(s)] == ["s1", "s2"]


def test_other_lists_are_read_afresh_even_with_equal_content() -> None:
    pod = _pod("a", "s1")
    before = pod_spec_sources([pod], [])
    pod["spec"]["containers"][0]["env"][0]["valueFrom"]["secretKeyRef"]["name"] = "s9"
    after = pod_spec_sources([pod], [])
    assert after is not before
    assert [r.name for r in secrets.references(after[0])] == ["s9"]
