"""The live view against servers that misbehave: it never hangs twice."""

from __future__ import annotations

import time

import pytest
from kubernetes import client

from vantiq_health.view import Unavailable
from vantiq_health.view.live import LiveView


def test_a_dead_server_costs_its_timeout_once(silent_port: int) -> None:
    cfg = client.Configuration()
    cfg.host = f"http://127.0.0.1:{silent_port}"
    cfg.retries = False
    view = LiveView(client.ApiClient(cfg), context="test", read_timeout=0.5)
    started = time.monotonic()
    with pytest.raises(Unavailable, match="stopped answering"):
        view.objects("pods", "prod")
    first = time.monotonic() - started
    started = time.monotonic()
    for resource in ("secrets", "configmaps", "events", "statefulsets"):
        with pytest.raises(Unavailable, match="stopped answering"):
            view.objects(resource, "prod")
    with pytest.raises(Unavailable):
        view.logs("prod", "vantiq-0", "vantiq")
    assert first >= 0.4
    assert time.monotonic() - started < 0.2


def test_the_same_failure_is_remembered_per_key(silent_port: int) -> None:
    cfg = client.Configuration()
    cfg.host = f"http://127.0.0.1:{silent_port}"
    view = LiveView(client.ApiClient(cfg), context="test", read_timeout=0.3)
    with pytest.raises(Unavailable):
        view.objects("pods", "prod")
    assert [key for key, _ in view.unavailable()] == [("list", "pods", "prod")]
