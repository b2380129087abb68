"""VQ: the Vantiq server's own prerequisites — its TLS certificate."""

import pytest

from vantiq_health.analysis.tls import certificate_findings
from vantiq_health.plugin import check, expect


@check("VQ001")
def test_tls_certificate_is_valid_and_covers_the_ingress_hosts(
    cluster, installation_namespace, settings, now
):
    ns = installation_namespace
    secret = cluster.get("secrets", ns, settings.name(ns, "ssl_secret"))
    if secret is None:
        pytest.skip(f"cannot check: Secret {settings.name(ns, 'ssl_secret')} does not exist in {ns}")
    redacted = cluster.secret_values_redacted()
    if redacted:
        pytest.skip(f"cannot check: {redacted}")
    found, facts = certificate_findings(
        secret,
        cluster.objects("ingresses", ns),
        now,
        self_signed_ok=bool(settings.expect["self_signed"]),
        expiry_days=settings.threshold("cert_expiry_days"),
    )
    expect(found, ns, facts)
