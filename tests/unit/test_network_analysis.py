"""NET003/NET004 over recorded Nodes, Pods and Leases: the exact diagnosis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vantiq_health.analysis.network import clock_skew, is_private, lease_clocks, public_addresses

NOW = datetime(2026, 11, 29, 9, 0, 0, tzinfo=UTC)


def node(name: str, ip: str) -> dict:
    return {"metadata": {"name": name}, "status": {"addresses": [{"type": "InternalIP", "address": ip}]}}


def pod(name: str, ip: str, *, host_network: bool = False) -> dict:
    return {
        "metadata": {"name": name, "namespace": "prod"},
        "spec": {"hostNetwork": host_network},
        "status": {"podIP": ip, "podIPs": [{"ip": ip}]},
    }


def lease(name: str, renewed: datetime, duration: object = 40) -> dict:
    return {
        "metadata": {"name": name, "namespace": "kube-node-lease"},
        "spec": {
            "holderIdentity": name,
            "leaseDurationSeconds": duration,
            "renewTime": renewed.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        },
    }


@pytest.mark.parametrize(
    ("address", "private"),
    [
        ("10.1.2.3", True),
        ("172.31.255.1", True),
        ("172.32.0.1", False),
        ("192.168.0.9", True),
        ("100.64.1.1", True),  # RFC 6598
        ("100.128.0.1", False),
        ("52.140.1.4", False),
        ("fd00::1", True),
        ("2001:db8::1", False),
        ("not-an-ip", None),
    ],
)
def test_private_ranges(address: str, private: bool | None) -> None:
    assert is_private(address) is private


def test_private_nodes_and_pods_pass() -> None:
    assert public_addresses([node("n1", "10.240.0.4")], [pod("vantiq-0", "10.244.1.7")]) == []


def test_public_node_is_named_with_its_address() -> None:
    [found] = public_addresses([node("n1", "10.240.0.4"), node("n2", "52.140.1.4")], [])
    assert found.severity == "critical"
    assert "HTTPS required [invalid request]" in found.diagnosis
    assert found.evidence == ("node n2: InternalIP 52.140.1.4",)


def test_host_network_pods_are_not_judged_twice() -> None:
    nodes = [node("n2", "52.140.1.4")]
    found = public_addresses(nodes, [pod("telegraf-ds-x", "52.140.1.4", host_network=True)])
    assert len(found) == 1  # the node only


def test_public_pod_network_is_a_finding() -> None:
    [found] = public_addresses([node("n1", "10.240.0.4")], [pod("vantiq-0", "40.1.2.3")])
    assert found.evidence == ("pod prod/vantiq-0: IP 40.1.2.3",)


def _skew(leases: list[dict], reference: datetime | None) -> tuple[list, list[str]]:
    clocks, _ = lease_clocks(leases)
    return clock_skew(clocks, reference, 2.0, set())


def test_healthy_spread_within_the_renew_interval_passes() -> None:
    leases = [lease("n1", NOW - timedelta(seconds=1)), lease("n2", NOW - timedelta(seconds=9.5))]
    found, facts = _skew(leases, NOW)
    assert found == []
    assert any("n2" in f and "-9.5 s" in f for f in facts)


def test_a_node_ahead_of_the_server_is_skewed() -> None:
    found, _ = _skew([lease("n1", NOW), lease("n2", NOW + timedelta(seconds=5))], NOW)
    [f] = found
    assert "node n2: clock at least 4.0 s ahead" in f.evidence[0]  # 5 s less the Date header's 1 s
    assert "Invalid client secret" in f.diagnosis


def test_a_node_behind_the_others_beyond_the_interval_is_skewed() -> None:
    leases = [lease("n1", NOW - timedelta(seconds=1)), lease("n2", NOW - timedelta(seconds=2))]
    found, _ = _skew([*leases, lease("n3", NOW - timedelta(seconds=25))], NOW)
    [f] = found
    assert (
        "node n3: clock at least 13.0 s behind the other nodes, or its kubelet stopped renewing"
        in f.evidence[0]
    )


def test_leases_all_equally_old_are_no_skew() -> None:
    """Behind the server's clock alone is ambiguous (a kubelet that stopped, a capture served later)."""
    old = NOW - timedelta(seconds=40)
    assert _skew([lease(f"n{i}", old) for i in range(3)], NOW)[0] == []


def test_offline_each_node_is_held_against_the_others() -> None:
    leases = [lease(f"n{i}", NOW - timedelta(seconds=i)) for i in range(1, 4)]
    leases.append(lease("n9", NOW + timedelta(seconds=30)))
    found, facts = _skew(leases, None)
    [f] = found
    assert any("n9" in e and "ahead" in e for e in f.evidence)
    assert "median" in facts[0]


def test_leases_without_times_are_reported_not_judged() -> None:
    clocks, unusable = lease_clocks([lease("n1", NOW, duration="forty"), {"metadata": {"name": "x"}}])
    assert clocks == []
    assert unusable == ["n1", "x"]


def test_the_finding_says_how_precise_it_is() -> None:
    found, facts = _skew([lease("n1", NOW), lease("n2", NOW + timedelta(seconds=5))], NOW)
    precision = "the API server's Date header has 1 s resolution (± 1 s)"
    assert precision in facts[1]
    assert "renewed every 10 s" in facts[1]
    assert any(precision in e for e in found[0].evidence)
    _, offline = _skew([lease("n1", NOW), lease("n2", NOW)], None)
    assert "offline there is no server clock: nodes are compared with each other only" in offline[1]


def test_within_the_dates_second_is_not_called_ahead() -> None:
    """2.8 s past the Date header may be 1.8 s past the server's clock: not beyond the 2 s threshold."""
    assert _skew([lease("n1", NOW), lease("n2", NOW + timedelta(seconds=2.8))], NOW)[0] == []
