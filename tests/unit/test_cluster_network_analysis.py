"""The pure parts of NET001 live, NET002, NET005 and VQ003: verdicts from records, targets from objects."""

from __future__ import annotations

from typing import Any

from vantiq_health.analysis.cluster_dns import configz_domains, dns_verdict, domain_findings, search_domain
from vantiq_health.analysis.pod_network import cross_node, endpoint_findings, node_targets, ready_endpoints
from vantiq_health.probes.dns import resolv_conf
from vantiq_health.probes.netrun import Connect, Plan
from vantiq_health.probes.result import ProbeResult


def _pod(
    name: str, node: str, ip: str, *, ready: bool = True, host_network: bool = False, port: int = 8080
) -> Any:
    return {
        "metadata": {"name": name, "namespace": "prod"},
        "spec": {
            "nodeName": node,
            "hostNetwork": host_network,
            "containers": [{"ports": [{"containerPort": port}]}],
        },
        "status": {"podIP": ip, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]},
    }


def test_resolv_conf_and_its_search_path_give_the_cluster_domain() -> None:
    servers, search = resolv_conf(
        "# kubelet\nsearch prod.svc.corp.internal svc.corp.internal corp.internal\nnameserver 10.0.0.10\n"
    )
    assert servers == ["10.0.0.10"]
    assert search_domain(search) == "corp.internal"
    assert search_domain(["example.com"]) is None


def test_configz_without_a_cluster_domain_is_said_so_not_passed() -> None:
    domains = configz_domains(
        {"n1": {"kubeletconfig": {"clusterDomain": "cluster.local."}}, "n2": {"kubeletconfig": {}}}
    )
    assert domains == {"n1": "cluster.local", "n2": None}
    found, facts = domain_findings({"node n1": "cluster.local", "node n2": None, "pod": "corp.internal"})
    assert [f.diagnosis.split(":")[0] for f in found] == [
        "the cluster DNS domain is corp.internal, not cluster.local"
    ]
    assert facts == ["node n1: cluster domain cluster.local", "node n2: no cluster domain in it"]


def test_an_answer_that_fits_in_udp_passes_and_no_udp_answer_gives_no_verdict() -> None:
    fits = ProbeResult(
        "dns",
        "10.0.0.10:53",
        "test",
        data={"qname": "q.", "udp": "answered", "truncated": False, "rcode": "NOERROR", "udp_records": 3},
    )
    assert dns_verdict(fits, "prod")[0] == []
    assert "TCP fallback not needed today" in dns_verdict(fits, "prod")[1][-1]
    silent = ProbeResult(
        "dns", "10.0.0.10:53", "test", error_class="timeout", error="no UDP answer", data={"udp": "timeout"}
    )
    found, facts = dns_verdict(silent, "prod")
    assert found == []
    assert facts == ["live: no UDP answer from the cluster DNS 10.0.0.10:53 (no UDP answer): no verdict"]


def test_one_ready_pod_network_pod_per_node_is_the_target() -> None:
    pods = [
        _pod("hostnet", "n1", "10.240.0.4", host_network=True),
        _pod("unready", "n1", "10.244.1.5", ready=False),
        _pod("b", "n1", "10.244.1.7"),
        _pod("a", "n1", "10.244.1.6", port=27017),
    ]
    targets, notes = node_targets([{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}], pods)
    assert [(t.key, t.host, t.port) for t in targets] == [("node:n1", "10.244.1.6", 27017)]
    assert notes == ["node n2: no ready pod with a TCP port to connect to"]


def test_the_vantage_node_is_not_a_cross_node_target() -> None:
    pods = [_pod("a", "n1", "10.244.1.6"), _pod("b", "n2", "10.244.2.6")]
    targets, _ = node_targets([{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}], pods)
    results = {
        "node:n1": Connect("node:n1", "timeout", "x"),
        "node:n2": Connect("node:n2", "refused", "TCP refused"),
    }
    found, facts, tried = cross_node(targets, results, "n1", "probe pod")
    assert tried == 1
    assert [f.evidence for f in found] == [("TCP refused",)]
    assert facts == []


def test_not_ready_addresses_are_counted_not_connected() -> None:
    endpoints = {
        "subsets": [
            {
                "addresses": [{"ip": "10.244.0.20", "targetRef": {"name": "vantiq-0"}}],
                "notReadyAddresses": [{"ip": "10.244.1.21"}],
                "ports": [{"port": 8080}],
            }
        ]
    }
    assert ready_endpoints(endpoints) == ([("10.244.0.20", 8080, "vantiq-0")], 1)
    found, facts = endpoint_findings("prod", {"metadata": {"name": "vantiq"}}, "vantiq", endpoints)
    assert found == []
    assert facts == ["Service vantiq: 1 ready endpoint(s) (vantiq-0), 1 not ready"]
    missing, _ = endpoint_findings("prod", None, "vantiq", None)
    assert "Service vantiq does not exist in prod" in missing[0].diagnosis


def test_a_plan_survives_the_trip_through_the_pod_args() -> None:
    plan = Plan({"prod": "mongodb.prod.svc.cluster.local."}, {"node:n1": ("10.244.1.6", 8080)}, 2.5)
    assert Plan.from_json(plan.to_json()) == plan
