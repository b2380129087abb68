"""The live view: one request per list whatever the threads, and a dead server paid for once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kubernetes import client, config

from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline
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


def test_threads_asking_at_once_cause_one_request_per_list(tmp_path: Path) -> None:
    sc = baseline()
    with FakeCluster(sc.objects) as fake:
        api = config.new_client_from_config(config_file=str(fake.write_kubeconfig(tmp_path / "kc")))
        view = LiveView(api, context="scenario")
        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(lambda _: len(view.objects("pods", "prod")), range(32)))
        secrets = view.objects("secrets", "prod")
        requests = [path for _, path in fake.requests]
    assert set(results) == {
        len([o for o in sc.objects if o["kind"] == "Pod" and o["metadata"]["namespace"] == "prod"])
    }
    assert sum("/namespaces/prod/pods" in p for p in requests) == 1
    assert all(isinstance(v, dict) and "hmac" in v for s in secrets for v in s["data"].values())
