"""Broken variants of the baseline for the cluster network: the DNS domain (NET002), the Vantiq endpoints (VQ003).

Their live halves (NET001 over TCP, NET005, VQ003's TCP connects) need a real
network: tests/test_probes_dns.py (a DNS server on loopback) and
tests/test_probe_pods.py (probe pods with a kubelet stand-in) run them.
"""

from __future__ import annotations

from tests.scenarios.installation import Scenario
from tests.scenarios.variants import Variant


def _net002_other_domain(sc: Scenario) -> None:
    """The cluster was built with --cluster-domain corp.internal: the kubelets say so in configz."""
    for (_node, path), doc in sc.node_docs.items():
        if path == "configz":
            doc["kubeletconfig"]["clusterDomain"] = "corp.internal"


def _vq003_no_ready_endpoints(sc: Scenario) -> None:
    """The Service's selector was edited to a label no pod has: the Endpoints are empty, the pods look fine."""
    sc.find("Service", "prod", "vantiq")["spec"]["selector"] = {"app": "vantiq-server"}
    sc.find("Endpoints", "prod", "vantiq")["subsets"] = []


VARIANTS = [
    Variant(
        "net002-other-domain",
        _net002_other_domain,
        {
            ("NET002", None): (
                "the cluster DNS domain is corp.internal, not cluster.local",
                "node aks-nodepool1-0 (kubelet configz): clusterDomain corp.internal",
                "waits forever",
            )
        },
    ),
    Variant(
        "vq003-no-ready-endpoints",
        _vq003_no_ready_endpoints,
        {
            ("VQ003", "prod"): (
                "Service vantiq in prod has no ready endpoints",
                "Endpoints prod/vantiq: 0 ready address(es), 0 not ready",
                "kubectl get endpoints vantiq -n prod -o wide",
            )
        },
    ),
]
