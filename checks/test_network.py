"""NET: the environment the installation runs in — addresses, clocks."""

import pytest

from vantiq_health.analysis.dns import prediction_facts
from vantiq_health.analysis.network import LEASE_NAMESPACE, clock_skew, lease_clocks, public_addresses
from vantiq_health.plugin import check, expect


@check("NET001")
def test_mongodb_dns_answer_survives_truncation(cluster, installation_namespace, settings):
    ns = installation_namespace
    sts = cluster.get("statefulsets", ns, settings.name(ns, "mongodb"))
    if sts is None:
        pytest.skip(f"cannot check: StatefulSet {settings.name(ns, 'mongodb')} does not exist in {ns}")
    service_name = settings.name(ns, "mongodb_service")
    service = cluster.get("services", ns, service_name) or {}
    ports = [p.get("port") for p in (service.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
    replicas = (sts.get("spec") or {}).get("replicas", 1)
    facts = prediction_facts(
        service_name,
        ns,
        sts["metadata"]["name"],
        int(replicas or 0),
        [int(p) for p in ports if isinstance(p, int)],
    )
    facts.append("the live verdict (UDP, then TCP to the cluster DNS) needs an in-cluster vantage: not run")
    expect([], ns, facts)


@check("NET003")
def test_node_and_pod_ips_are_private(cluster, run):
    nodes = cluster.objects("nodes")
    pods = [p for ns in run.all_namespaces for p in cluster.objects("pods", ns)]
    expect(public_addresses(nodes, pods), None)


@check("NET004")
def test_node_clocks_agree(cluster, settings):
    clocks, unusable = lease_clocks(cluster.objects("leases", LEASE_NAMESPACE))
    if not clocks:
        pytest.skip(f"cannot check: no usable kubelet Lease in {LEASE_NAMESPACE} (leases: {len(unusable)})")
    reference = cluster.now() if cluster.mode == "live" else None
    nodes = {n["metadata"]["name"] for n in cluster.objects("nodes")}
    found, facts = clock_skew(clocks, reference, settings.threshold("clock_skew_seconds"), nodes)
    facts += [f"lease {name}: no renewTime or leaseDurationSeconds" for name in unusable]
    expect(found, None, facts)
