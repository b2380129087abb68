"""NET001 live against a real DNS server on loopback: truncated over UDP, then TCP answered/refused/dropped.

The server answers the MongoDB headless-service SRV query like a cluster DNS;
above 512 bytes (no EDNS) the UDP answer is truncated and only TCP can carry it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.dnsserver import DnsServer, dns_server, tcp_mode
from tests.harness import run_live, run_snapshot
from tests.scenarios.installation import baseline
from vantiq_health.probes import dns
from vantiq_health.probes.netrun import MARK, Plan, execute, parse

__all__ = ["tcp_mode"]  # fixture
QNAME = "mongodb.prod.svc.cluster.local."
MANY = 16  # endpoints: the answer is well above 512 bytes


def _probe(server: DnsServer, timeout: float = 1.0) -> dns.ProbeResult:
    return dns.probe(QNAME, "127.0.0.1", server.port, timeout, "test")


def test_a_small_answer_fits_in_udp_and_tcp_is_not_tried() -> None:
    with dns_server(QNAME, 3, "refused") as server:
        result = _probe(server)
    assert result.ok, result.error
    assert result.data["truncated"] is False
    assert result.data["udp_records"] == 3
    assert "tcp" not in result.data
    assert [q[0] for q in server.queries] == ["udp"]


def test_the_udp_query_carries_no_edns_as_the_peer_finder_sends_it() -> None:
    with dns_server(QNAME, MANY, "answer") as server:
        _probe(server)
    assert server.queries[0] == ("udp", QNAME, False)


@pytest.mark.parametrize(
    ("mode", "tcp", "error_class", "text"),
    [
        ("answer", "answered", "", ""),
        ("refused", "refused", "refused", "TCP blocked"),
        ("dropped", "dropped", "timeout", "TCP silently dropped: no answer"),
    ],
)
def test_a_truncated_answer_is_retried_over_tcp(mode: str, tcp: str, error_class: str, text: str) -> None:
    started = time.monotonic()
    with dns_server(QNAME, MANY, mode) as server:
        result = _probe(server, 1.0)
    assert result.data["truncated"] is True
    assert result.data["tcp"] == tcp
    assert result.error_class == error_class
    assert text in result.error
    assert time.monotonic() - started < 3.5  # bounded by the probe timeout, UDP then TCP
    if mode == "answer":
        assert result.data["tcp_records"] == MANY
        assert [q[0] for q in server.queries] == ["udp", "tcp"]


def test_no_udp_answer_is_a_timeout_without_a_verdict() -> None:
    with dns_server(QNAME, MANY, "dropped") as server:
        port = server.port
    result = dns.probe(QNAME, "127.0.0.1", port, 0.5, "test")
    assert result.data["udp"] in ("timeout", "error")
    assert "tcp" not in result.data


def test_the_pod_network_run_uses_the_resolver_of_resolv_conf(tmp_path: Path) -> None:
    """What a probe pod (or the suite in a pod) runs: resolv.conf's nameserver, the search path."""
    resolv = tmp_path / "resolv.conf"
    resolv.write_text(
        "search prod.svc.cluster.local svc.cluster.local cluster.local\nnameserver 127.0.0.1\noptions ndots:5\n"
    )
    with dns_server(QNAME, MANY, "refused") as server:
        plan = Plan({"prod": QNAME}, {"closed": ("127.0.0.1", 1)}, 1.0)
        doc = execute(plan, "test pod", str(resolv), dns_port=server.port)
    run = parse(json.loads(json.dumps(doc)), "test pod")
    assert run.search == ["prod.svc.cluster.local", "svc.cluster.local", "cluster.local"]
    assert run.dns["prod"].data["tcp"] == "refused"
    assert run.tcp["closed"].error_class == "refused"


def test_the_probe_pod_entry_point_prints_one_marked_line() -> None:
    plan = Plan({}, {"closed": ("127.0.0.1", 1)}, 1.0)
    out = subprocess.run(
        [sys.executable, "-m", "vantiq_health.probes.netrun", plan.to_json()],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    line = next(line for line in out.splitlines() if line.startswith(MARK))
    assert json.loads(line[len(MARK) :])["tcp"]["closed"]["error_class"] == "refused"


@pytest.mark.parametrize(
    ("mode", "outcome", "fragments"),
    [
        ("answer", "passed", ("truncated (TC)", f"TCP answered: {MANY} record(s)")),
        (
            "refused",
            "failed",
            ("TCP blocked", "refused the TCP connection", "mongodb-N stays in its bootstrap"),
        ),
        ("dropped", "failed", ("TCP silently dropped", "no answer from 127.0.0.1")),
    ],
)
def test_the_suite_gives_three_verdicts(
    pytester: pytest.Pytester, mode: str, outcome: str, fragments: tuple[str, ...]
) -> None:
    with dns_server(QNAME, MANY, mode) as server:
        run = run_live(
            pytester,
            baseline(),
            "--check=NET001",
            f"--endpoint=dns=127.0.0.1:{server.port}",
            "--probe-timeout=1",
            "--save-snapshot=saved",
            live=True,
        )
    assert run.outcomes() == {("NET001", "prod"): outcome}, run.output()
    message = run.message("NET001", "prod")
    assert message.startswith("[NET001]")
    for fragment in (*fragments, "with name compression"):  # the predictive facts stay
        assert fragment in message, message
    offline = run_snapshot(pytester, pytester.path / "saved", "--check=NET001")  # the record travels
    assert offline.outcomes() == run.outcomes(), offline.output()
    assert offline.message("NET001", "prod") == message


def test_from_a_workstation_without_dns_endpoint_dns_is_not_port_forwarded(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--check=NET001", live=True)
    assert run.outcomes() == {("NET001", "prod"): "passed"}, run.output()
    message = run.message("NET001", "prod")
    assert "live verdict (UDP, then TCP to the cluster DNS) not run: DNS is never port-forwarded" in message
    assert "--endpoint dns=HOST:PORT" in message
    assert "--allow-probe-pods --probe-image IMAGE" in message


def test_a_japanese_run_gives_the_dns_verdict_in_japanese(pytester: pytest.Pytester) -> None:
    with dns_server(QNAME, MANY, "refused") as server:
        run = run_live(
            pytester,
            baseline(),
            "--check=NET001",
            "--lang=ja",
            f"--endpoint=dns=127.0.0.1:{server.port}",
            "--probe-timeout=1",
            live=True,
        )
    assert run.outcomes() == {("NET001", "prod"): "failed"}, run.output()
    message = run.message("NET001", "prod")
    for fragment in (
        "TCP がブロックされています: mongodb.prod.svc.cluster.local. のクラスター DNS の応答",
        "切り詰められた応答に必要な TCP 接続を 127.0.0.1:",
        "名前圧縮ありで",
        "Pod からクラスター DNS への DNS over TCP（ポート 53/TCP）を許可してください",
    ):
        assert fragment in message, message
    assert "refused the TCP connection" not in message
