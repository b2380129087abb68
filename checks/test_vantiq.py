"""VQ: the Vantiq server's own prerequisites — its TLS certificate and its license."""

from datetime import datetime
from typing import Any

import pytest

from vantiq_health.analysis.keycloak import keycloak_pods
from vantiq_health.analysis.license import license_findings
from vantiq_health.analysis.pod_network import connect_findings, endpoint_findings, unreachable
from vantiq_health.analysis.tls import certificate_findings, ingress_hosts, secret_leaf, served_findings
from vantiq_health.config import Config
from vantiq_health.i18n import msg, reason_of
from vantiq_health.partial import gather
from vantiq_health.plugin import cannot_check, check, expect
from vantiq_health.view import ClusterView, Unavailable


@check("VQ001")
def test_tls_certificate_is_valid_and_covers_the_ingress_hosts(
    cluster: ClusterView, namespace: str, settings: Config, now: datetime, probes: Any
) -> None:
    secret = cluster.get("secrets", namespace, settings.name(namespace, "ssl_secret"))
    if secret is None:
        ssl_secret = settings.name(namespace, "ssl_secret")
        pytest.skip(cannot_check(msg("VQ001.no_secret", secret=ssl_secret, namespace=namespace)))
    redacted = cluster.secret_values_redacted()
    if redacted:
        pytest.skip(cannot_check(redacted))
    seen = gather(cluster, namespace, "ingresses")
    found, facts = certificate_findings(
        secret,
        seen["ingresses"],
        now,
        self_signed_ok=bool(settings.expect["self_signed"]),
        expiry_days=settings.threshold("cert_expiry_days"),
    )
    hosts = ingress_hosts(seen["ingresses"], secret["metadata"]["name"]) if secret_leaf(secret) else []
    for host in hosts:  # live: what the ingress serves for each host (SNI)
        try:
            served, said = served_findings(secret, host, probes.served_certificate(namespace, host))
        except Unavailable as exc:
            served, said = [], [msg("VQ001.not_compared", host=host, reason=reason_of(exc))]
        found, facts = found + served, facts + said
    expect(found, namespace, facts, unseen=[msg("VQ001.ingress_hosts", why=why) for why in seen.reasons()])


@check("VQ002")
def test_license_is_mounted_and_current(
    cluster: ClusterView, namespace: str, settings: Config, now: datetime
) -> None:
    vantiq = settings.name(namespace, "vantiq")
    found, facts = license_findings(
        cluster.get("secrets", namespace, settings.name(namespace, "license_secret")),
        keycloak_pods(cluster.objects("pods", namespace), vantiq),
        secret_name=settings.name(namespace, "license_secret"),
        container=vantiq,
        path=settings.name(namespace, "license_mount"),
        namespace=namespace,
        now=now,
        expiry_days=settings.threshold("license_expiry_days"),
    )
    redacted = cluster.secret_values_redacted()
    expect(found, namespace, facts + ([msg("VQ002.expiry_not_read", reason=redacted)] if redacted else []))


@check("VQ003")
def test_vantiq_service_has_reachable_ready_endpoints(
    cluster: ClusterView, settings: Config, namespace: str, probes: Any
) -> None:
    name = settings.name(namespace, "vantiq")
    seen = gather(cluster, namespace, "endpoints")
    if seen.reasons():
        pytest.skip(f"cannot check: {seen.reasons()[0]}")
    endpoints = next((e for e in seen["endpoints"] if e["metadata"].get("name") == name), None)
    found, facts = endpoint_findings(namespace, cluster.get("services", namespace, name), name, endpoints)
    if not found:
        try:
            net = probes.network()
        except Unavailable as exc:
            facts.append(f"TCP to each endpoint's pod IP not tried: {exc}")
        else:
            mine = [t for key, t in net.targets.items() if key.startswith(f"vq:{namespace}:")]
            found = connect_findings(
                "VQ003", unreachable(mine, net.run.tcp), net.run.vantage, "Vantiq endpoint "
            )
            facts += [
                f"TCP from {net.run.vantage} to Vantiq endpoint {t.label}: connected"
                for t in mine
                if t.key in net.run.tcp and not found
            ]
    expect(found, namespace, facts)
