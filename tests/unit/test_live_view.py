"""The live view: one request per list whatever the threads, and a dead server paid for once."""

from __future__ import annotations

import gc
import subprocess
import sys
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from kubernetes import client, config

from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline
from vantiq_health.view import KINDS, SetupError, Unavailable
from vantiq_health.view.live import LiveView, list_path, load_api_client


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


# -- bounded time, visible retries, unreadable is not empty (issue 7) ----------
def _view(fake: FakeCluster, tmp_path: Path, timeout: float = 1.0, *, with_ca: bool = True) -> LiveView:
    kubeconfig = fake.write_kubeconfig(tmp_path / "kc", with_ca=with_ca)
    api, context, _ = load_api_client(str(kubeconfig), None)
    return LiveView(api, context=context, read_timeout=timeout)


def _lists(fake: FakeCluster, resource: str) -> list[str]:
    return [p for _, p in fake.requests if p.split("?")[0].endswith(f"/{resource}")]


def test_a_server_that_stalls_after_headers_costs_one_deadline_then_answers_at_once(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"/pods$": "stall"}) as fake:
        view = _view(fake, tmp_path, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(Unavailable, match=r"stopped answering .*list pods in prod.*within 1 s") as first:
            view.objects("pods", "prod")
        assert first.value.cause == "dead"
        assert time.monotonic() - started < 1.8
        started = time.monotonic()
        for resource in ("secrets", "configmaps", "statefulsets"):
            with pytest.raises(Unavailable, match="stopped answering") as later:
                view.objects(resource, "prod")
            assert later.value.cause == "dead"
        assert time.monotonic() - started < 0.2
        assert not _lists(fake, "secrets")


def test_one_deadline_covers_the_body_of_a_server_that_trickles(tmp_path: Path) -> None:
    """Every read gets a byte before the read timeout; only a deadline for the whole answer ends it."""
    with FakeCluster(baseline().objects, faults={r"/secrets$": "trickle"}) as fake:
        view = _view(fake, tmp_path, timeout=1.0)
        started = time.monotonic()
        with pytest.raises(Unavailable, match="within 1 s") as exc:
            view.objects("secrets", "prod")
        assert time.monotonic() - started < 1.8
        assert exc.value.cause == "dead"


def test_a_connection_dropped_mid_body_is_retried_twice_and_noted(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"/secrets$": "drop"}) as fake:
        view = _view(fake, tmp_path)
        with pytest.raises(Unavailable, match="list secrets in prod: connection dropped mid-body") as exc:
            view.objects("secrets", "prod")
        assert exc.value.cause == "failed"
        assert len(_lists(fake, "secrets")) == 3
        assert len(view.notes) == 2
        assert all("retried list secrets in prod" in n for n in view.notes)
        assert view.objects("pods", "prod")  # a dropped connection does not make the server dead


def test_429_honours_retry_after_within_the_cap_and_gives_up_visibly(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"/pods$": "429"}) as fake:
        view = _view(fake, tmp_path, timeout=0.5)
        started = time.monotonic()
        with pytest.raises(Unavailable, match="HTTP 429") as exc:
            view.objects("pods", "prod")
        elapsed = time.monotonic() - started
    assert exc.value.cause == "failed"
    assert len(_lists(fake, "pods")) == 3
    assert 0.9 < elapsed < 2.0  # Retry-After: 1, capped at the request timeout (0.5 s), twice
    assert view.notes[0].startswith("retried list pods in prod after 0.5 s: HTTP 429")


@pytest.mark.parametrize(
    ("status", "cause", "message"),
    [
        ("500", "failed", "list cronjobs in prod: HTTP 500 Internal Server Error: fault injected"),
        ("401", "failed", "list cronjobs in prod: HTTP 401 Unauthorized"),
        ("403", "forbidden", "needs: list cronjobs in prod"),
        ("404", "not_served", "the API server does not serve batch/v1 cronjobs"),
    ],
)
def test_an_optional_kind_reads_as_empty_only_when_not_served(
    tmp_path: Path, status: str, cause: str, message: str
) -> None:
    with FakeCluster(baseline().objects, faults={r"/cronjobs$": status}) as fake:
        view = _view(fake, tmp_path)
        with pytest.raises(Unavailable) as exc:
            view.objects("cronjobs", "prod")
        assert (exc.value.cause, str(exc.value)) == (cause, message) or message in str(exc.value)
        assert exc.value.cause == cause
        if cause == "not_served":
            assert view.objects("cronjobs", "prod", required=False) == []
        else:
            with pytest.raises(Unavailable):
                view.objects("cronjobs", "prod", required=False)


def test_lists_page_by_500_and_a_server_that_pages_forever_hits_the_cap(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"/pods$": "pages"}) as fake:
        view = _view(fake, tmp_path)
        view.max_pages = 25
        with pytest.raises(Unavailable, match=r"list pods in prod: stopped after 25 pages") as exc:
            view.objects("pods", "prod")
        view.max_list_bytes = 2_000
        with pytest.raises(Unavailable, match=r"list secrets in prod: .*larger than"):
            view.objects("secrets", "prod")
    assert exc.value.cause == "failed"
    pages = _lists(fake, "pods")
    assert len(pages) == 25
    assert "limit=500" in pages[0]
    assert "continue=page-" in pages[1]


@pytest.mark.parametrize("timeout", [0, -1, float("nan")])
def test_a_request_timeout_that_is_not_positive_is_a_usage_error(timeout: float) -> None:
    with pytest.raises(SetupError, match="--request-timeout must be a positive number of seconds"):
        LiveView(client.ApiClient(client.Configuration()), context="x", read_timeout=timeout)


def test_version_answering_html_is_a_one_line_usage_error(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"^/version": "html"}) as fake:
        view = _view(fake, tmp_path)
        with pytest.raises(SetupError) as exc:
            view.connect()
    assert str(exc.value) == (
        f"the server at {fake.url} answered HTML, not the Kubernetes API — is this the API server URL?"
    )


def test_tls_verification_failure_names_the_host_and_how_to_pass_the_ca(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, tls_dir=tmp_path / "tls") as fake:
        with pytest.raises(SetupError) as exc:
            _view(fake, tmp_path, with_ca=False).connect()
        trusted = _view(fake, tmp_path, with_ca=True)
        trusted.connect()
        assert trusted.objects("pods", "prod")
    with warnings.catch_warnings():  # the fake's asyncio loop drops the refused handshake's transport
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
    assert fake.url.startswith("https://")
    text = str(exc.value)
    assert "\n" not in text
    assert text.startswith("the certificate of host 127.0.0.1 did not verify (certificate verify failed: ")
    assert text.endswith(
        "give the cluster's CA in the kubeconfig (certificate-authority / certificate-authority-data)"
    )


def test_list_urls_come_from_the_kind_fields() -> None:
    assert list_path(KINDS["pods"], "prod") == "/api/v1/namespaces/prod/pods"
    assert list_path(KINDS["statefulsets"], "prod") == "/apis/apps/v1/namespaces/prod/statefulsets"
    assert list_path(KINDS["nodes"], "prod") == "/api/v1/nodes"
    assert list_path(KINDS["ingresses"], None) == "/apis/networking.k8s.io/v1/ingresses"


_NO_TYPED_APIS = """
import sys
from vantiq_health.view.live import LiveView, load_api_client
api, context, _ = load_api_client(sys.argv[1], None)
view = LiveView(api, context=context)
view.connect()
assert view.objects("pods", "prod") and view.objects("statefulsets", "prod")
view.served_group_versions()
typed = sorted(m for m in sys.modules if m.startswith(("kubernetes.client.api.", "kubernetes.client.models.")))
print(len(typed), typed[:5])
"""


def test_the_view_loads_no_typed_api_or_model_module(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects) as fake:
        kubeconfig = fake.write_kubeconfig(tmp_path / "kc")
        out = subprocess.run(
            [sys.executable, "-c", _NO_TYPED_APIS, str(kubeconfig)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("0 "), out.stdout


def test_retries_have_a_budget_per_run_and_the_note_says_when_it_is_spent(tmp_path: Path) -> None:
    with FakeCluster(baseline().objects, faults={r"/namespaces/prod/": "500"}) as fake:
        view = _view(fake, tmp_path)
        view.retries_left = 3
        for resource in ("pods", "secrets", "configmaps"):
            with pytest.raises(Unavailable, match="HTTP 500"):
                view.objects(resource, "prod")
    assert len(_lists(fake, "pods")) == 3
    assert len(_lists(fake, "secrets")) == 2
    assert len(_lists(fake, "configmaps")) == 1
    assert len(view.notes) == 3
    assert "retries are used up" in view.notes[-1]
