"""NET: the environment the installation runs in — DNS answer sizes, addresses, clocks."""

from typing import Any

import pytest

from vantiq_health.analysis.cluster_dns import dns_verdict, domain_findings
from vantiq_health.analysis.dns import prediction_facts
from vantiq_health.analysis.network import LEASE_NAMESPACE, clock_skew, lease_clocks, public_addresses
from vantiq_health.analysis.pod_network import cross_node
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.partial import gather
from vantiq_health.plugin import cannot_check, check, expect
from vantiq_health.probes.network import domain_sources
from vantiq_health.session import Run
from vantiq_health.view import ClusterView, Unavailable


@check("NET001")
def test_mongodb_dns_answer_survives_truncation(
    cluster: ClusterView, namespace: str, settings: Config, probes: Any
) -> None:
    sts = cluster.get("statefulsets", namespace, settings.name(namespace, "mongodb"))
    if sts is None:
        pytest.skip(
            f"cannot check: StatefulSet {settings.name(namespace, 'mongodb')} does not exist in {namespace}"
        )
    service_name = settings.name(namespace, "mongodb_service")
    seen = gather(cluster, namespace, "services")
    service = next((s for s in seen["services"] if s["metadata"].get("name") == service_name), {})
    ports = [p.get("port") for p in (service.get("spec") or {}).get("ports") or [] if isinstance(p, dict)]
    replicas = (sts.get("spec") or {}).get("replicas", 1)
    facts = prediction_facts(
        service_name,
        namespace,
        sts["metadata"]["name"],
        int(replicas) if isinstance(replicas, int) else 1,
        [p for p in ports if isinstance(p, int)],
    )
    facts += [f"ports assumed 27017: {why}" for why in seen.reasons()]
    try:
        result = probes.dns(namespace)
    except Unavailable as exc:
        expect([], namespace, [*facts, f"live verdict (UDP, then TCP to the cluster DNS) not run: {exc}"])
        return
    found, live = dns_verdict(result, namespace)
    expect(found, namespace, facts + live)


@check("NET002")
def test_cluster_dns_domain_is_cluster_local(probes: Any) -> None:
    sources, unread = domain_sources(probes)
    if not sources:
        pytest.skip(f"cannot check: {'; '.join(unread)}")
    found, facts = domain_findings(sources)
    expect(found, None, facts + [f"not read: {why}" for why in unread])


@check("NET003")
def test_node_and_pod_ips_are_private(cluster: ClusterView, run: Run) -> None:
    nodes = cluster.objects("nodes")
    pods = [gather(cluster, ns, "pods") for ns in run.all_namespaces if ns not in run.absent]
    found = public_addresses(nodes, [p for seen in pods for p in seen["pods"]])
    expect(found, None, unseen=[why for seen in pods for why in seen.reasons()])


@check("NET004")
def test_node_clocks_agree(cluster: ClusterView, settings: Config) -> None:
    leases = gather(cluster, LEASE_NAMESPACE, "leases")
    if leases.reasons():
        pytest.skip(cannot_check(leases.reasons()[0]))
    clocks, unusable = lease_clocks(leases["leases"])
    if not clocks:
        pytest.skip(cannot_check(msg("NET004.no_lease", namespace=LEASE_NAMESPACE, n=len(unusable))))
    reference = cluster.now() if cluster.mode == "live" else None
    nodes = {n["metadata"]["name"] for n in cluster.objects("nodes")}
    found, facts = clock_skew(clocks, reference, settings.threshold("clock_skew_seconds"), nodes)
    facts += [msg("NET004.unusable_lease", lease=name) for name in unusable]
    expect(found, None, facts)


@check("NET005")
def test_pod_traffic_crosses_nodes(probes: Any) -> None:
    net = probes.network()
    found, facts, tried = cross_node(list(net.targets.values()), net.run.tcp, net.run.node, net.run.vantage)
    if not tried:
        pytest.skip(
            f"cannot check: no pod on another node to connect to ({'; '.join(net.notes) or 'one node'})"
        )
    expect(found, None, facts + net.notes)
