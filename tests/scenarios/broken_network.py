"""Broken variants of the baseline for the NET checks that read Nodes, Pods and Leases."""

from __future__ import annotations

from datetime import timedelta

from tests.scenarios.broken import Variant
from tests.scenarios.installation import Scenario


def _net003_public_node(sc: Scenario) -> None:
    """A worker node on a global range: Keycloak answers keycloak-init with HTTPS required."""
    node = sc.find("Node", None, "aks-nodepool1-1")
    node["status"]["addresses"][0]["address"] = "52.140.18.7"


def _net004_clock_ahead(sc: Scenario) -> None:
    """One node's clock runs 45 s ahead: its kubelet stamps its lease in the future."""
    lease = sc.find("Lease", "kube-node-lease", "aks-nodepool1-2")
    lease["spec"]["renewTime"] = (sc.clock.now + timedelta(seconds=45)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


VARIANTS = [
    Variant(
        "net003-public-node",
        _net003_public_node,
        {("NET003", None): ("node aks-nodepool1-1: InternalIP 52.140.18.7", "HTTPS required")},
    ),
    Variant(
        "net004-clock-ahead",
        _net004_clock_ahead,
        {("NET004", None): ("node aks-nodepool1-2: clock at least", "ahead", "Invalid client secret")},
    ),
]
