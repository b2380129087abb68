"""gather(): what could be read, and why the rest could not; never an unreadable kind taken for empty."""

from __future__ import annotations

from typing import Any

from vantiq_health.partial import gather
from vantiq_health.view.base import ClusterView, Unavailable


class _View(ClusterView):
    mode = "snapshot"

    def __init__(self, lists: dict[str, list[dict[str, Any]] | Unavailable]) -> None:
        super().__init__()
        self.lists = lists

    def _fetch(self, resource: str, namespace: str | None) -> list[dict[str, Any]]:
        found = self.lists[resource]
        if isinstance(found, Unavailable):
            raise found
        return found


def _sts(name: str) -> dict[str, Any]:
    return {"kind": "StatefulSet", "metadata": {"name": name, "namespace": "prod"}}


def test_the_kinds_that_could_be_read_and_why_the_others_could_not() -> None:
    view = _View(
        {
            "statefulsets": [_sts("mongodb")],
            "deployments": Unavailable("needs: list deployments in prod"),
            "daemonsets": [],
        }
    )
    seen = gather(view, "prod", "statefulsets", "deployments", "daemonsets")
    assert [o["metadata"]["name"] for o in seen.of("statefulsets", "deployments", "daemonsets")] == [
        "mongodb"
    ]
    assert seen.seen("statefulsets")
    assert seen.seen("daemonsets")  # read, and empty
    assert not seen.seen("deployments")
    assert seen.reasons() == ["needs: list deployments in prod"]
    assert seen.reasons("daemonsets") == []


def test_a_kind_the_server_does_not_serve_is_empty_not_unseen() -> None:
    gone = Unavailable("the API server does not serve batch/v1 cronjobs", cause="not_served")
    seen = gather(_View({"cronjobs": gone}), "prod", "cronjobs")
    assert seen["cronjobs"] == []
    assert seen.reasons() == []
