"""Broken variants of the baseline for the environment: addresses, clocks (NET), the TLS certificate (VQ001), Grafana (MT)."""

from __future__ import annotations

from datetime import timedelta

from tests.scenarios.certs import server_chain
from tests.scenarios.installation import DOMAIN, Scenario
from tests.scenarios.objects import b64
from tests.scenarios.variants import Variant


def _net003_public_node(sc: Scenario) -> None:
    """A worker node on a global range: Keycloak answers keycloak-init with HTTPS required."""
    node = sc.find("Node", None, "aks-nodepool1-1")
    node["status"]["addresses"][0]["address"] = "52.140.18.7"


def _net004_clock_ahead(sc: Scenario) -> None:
    """One node's clock runs 45 s ahead: its kubelet stamps its lease in the future."""
    lease = sc.find("Lease", "kube-node-lease", "aks-nodepool1-2")
    lease["spec"]["renewTime"] = (sc.clock.now + timedelta(seconds=45)).strftime("%Y-%m-%dT%H:%M:%S.000000Z")


def _vq001(sc: Scenario, crt: bytes, key: bytes) -> None:
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"].update({"tls.crt": b64(crt), "tls.key": b64(key)})


def _vq001_expired(sc: Scenario) -> None:
    """The certificate ran out two days ago and nobody renewed it."""
    _vq001(sc, *server_chain(DOMAIN, sc.clock.now, days_left=-2))


def _vq001_wrong_host(sc: Scenario) -> None:
    """A renewal was issued for the staging host and deployed to prod."""
    _vq001(sc, *server_chain("vantiq-staging.example.com", sc.clock.now))


def _mt002_sqlite(sc: Scenario) -> None:
    """deploy.yaml left `grafana.ini:` blank: [database] is empty and Grafana falls back to sqlite3."""
    cm = sc.find("ConfigMap", "shared", "grafana")
    cm["data"]["grafana.ini"] = (
        "[analytics]\ncheck_for_updates = true\n[database] # nothing set here\n[grafana_net]\nurl = https://grafana.net\n"
    )


def _mt009_zones(sc: Scenario) -> None:
    """grafanadb's volume was recreated in another zone than grafana's."""
    for pv in sc.objects:
        if (
            pv["kind"] == "PersistentVolume"
            and pv["spec"].get("claimRef", {}).get("name") == "grafanadb-mysql"
        ):
            term = pv["spec"]["nodeAffinity"]["required"]["nodeSelectorTerms"][0]
            term["matchExpressions"][0]["values"] = ["japaneast-3"]


def _mt001_wrong_url(sc: Scenario) -> None:
    """The data source was added with the release-prefixed name the notes warn about."""
    cm = sc.find("ConfigMap", "shared", "grafana")
    cm["data"]["datasources.yaml"] = cm["data"]["datasources.yaml"].replace(
        "http://influxdb:8086", "http://influxdb-influxdb:8086"
    )


def _mt007_docker_queries(sc: Scenario) -> None:
    """The Vantiq Resources dashboard still queries docker_container_cpu after the move to containerd."""
    cm = sc.find("ConfigMap", "shared", "grafana-dashboards-vantiq")
    cm["data"]["vantiq-resources.json"] = cm["data"]["vantiq-resources.json"].replace(
        '\\"kubernetes_pod_container\\" WHERE', '\\"docker_container_cpu\\" WHERE'
    )


def _mt005_no_binding(sc: Scenario) -> None:
    """RBAC on, the binding never applied: telegraf-prom is refused and says so in its log."""
    sc.remove("ClusterRoleBinding", None, "influx:telegraf:viewer")
    pod = next(
        o for o in sc.objects if o["kind"] == "Pod" and o["metadata"]["name"].startswith("telegraf-prom-")
    )
    line = (
        "2026-11-29T08:59:35Z E! [inputs.prometheus] Unable to watch resources: kubernetes api: Failure 403 pods is "
        'forbidden: User "system:serviceaccount:shared:telegraf-prom" cannot watch resource "pods" in API group "" '
        "at the cluster scope\n"
    )
    sc.logs[("shared", pod["metadata"]["name"], "telegraf")] = line * 3


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
    Variant("vq001-expired", _vq001_expired, {("VQ001", "prod"): ("the certificate expired on",)}),
    Variant(
        "vq001-wrong-host",
        _vq001_wrong_host,
        {("VQ001", "prod"): (f"host {DOMAIN} not in the SANs", "vantiq-staging.example.com")},
    ),
    Variant("mt002-sqlite", _mt002_sqlite, {("MT002", "shared"): ("sqlite3", "lost on the next upgrade")}),
    Variant("mt009-zones", _mt009_zones, {("MT009", "shared"): ("different zones", "japaneast-3")}),
    Variant(
        "mt001-wrong-url",
        _mt001_wrong_url,
        {("MT001", "shared"): ("http://influxdb-influxdb:8086", "names no Service in shared")},
    ),
    Variant(
        "mt007-docker-queries",
        _mt007_docker_queries,
        {("MT007", "shared"): ("Vantiq Resources", "docker_container_cpu", "kubernetes_pod_container")},
    ),
    Variant(
        "mt005-no-binding",
        _mt005_no_binding,
        {
            ("MT005", "shared"): (
                "ServiceAccount shared/telegraf-prom may not get pods, list pods, watch pods",
                "cannot watch resource",
                "name: influx:telegraf:viewer",
                "kubectl rollout restart deployment/telegraf-prom -n shared",
            )
        },
    ),
]
