"""VQ: the Vantiq server's own prerequisites — its TLS certificate."""

from datetime import datetime

import pytest

from vantiq_health.analysis.tls import certificate_findings
from vantiq_health.config import Config
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.view import ClusterView


@check("VQ001")
def test_tls_certificate_is_valid_and_covers_the_ingress_hosts(
    cluster: ClusterView, namespace: str, settings: Config, now: datetime
) -> None:
    secret = cluster.get("secrets", namespace, settings.name(namespace, "ssl_secret"))
    if secret is None:
        pytest.skip(
            f"cannot check: Secret {settings.name(namespace, 'ssl_secret')} does not exist in {namespace}"
        )
    redacted = cluster.secret_values_redacted()
    if redacted:
        pytest.skip(f"cannot check: {redacted}")
    seen = gather(cluster, namespace, "ingresses")
    found, facts = certificate_findings(
        secret,
        seen["ingresses"],
        now,
        self_signed_ok=bool(settings.expect["self_signed"]),
        expiry_days=settings.threshold("cert_expiry_days"),
    )
    expect(found, namespace, facts, unseen=[f"Ingress hosts: {why}" for why in seen.reasons()])
