"""SEC: Secrets and ConfigMaps the pods need exist, hold clean values, and are in effect."""

import pytest

from vantiq_health.analysis.k8s import pod_spec_sources
from vantiq_health.analysis.secrets import (
    credential_defects,
    has_managed_fields,
    missing_references,
    stale_values,
)
from vantiq_health.plugin import check, expect
from vantiq_health.view import Unavailable


def _sources(cluster, namespace):
    return pod_spec_sources(
        cluster.objects("pods", namespace), cluster.objects("cronjobs", namespace, required=False)
    )


@check("SEC001")
def test_referenced_secrets_and_configmaps_exist(cluster, namespace):
    secrets, facts = cluster.objects("secrets", namespace), []
    try:
        configmaps = cluster.objects("configmaps", namespace)
    except Unavailable as exc:  # still worth checking the Secrets
        configmaps, facts = None, [f"ConfigMap references not checked: {exc}"]
    keys_known = cluster.secret_keys_known()
    if not keys_known:
        facts.append("Secret keys not checked: the snapshot's Secrets carry no data")
    found = missing_references(
        _sources(cluster, namespace), secrets, configmaps, namespace, secret_keys_known=keys_known
    )
    expect(found, namespace, facts)


@check("SEC002")
def test_credentials_have_no_copy_paste_defects(cluster, namespace):
    secrets = cluster.objects("secrets", namespace)
    redacted = cluster.secret_values_redacted()
    if redacted:
        pytest.skip(f"cannot check: {redacted}")
    expect(credential_defects(secrets, _sources(cluster, namespace), namespace), namespace)


@check("SEC003")
def test_pods_run_with_current_secret_values(cluster, namespace, settings):
    secrets, configmaps = cluster.objects("secrets", namespace), cluster.objects("configmaps", namespace)
    if not has_managed_fields(secrets + configmaps):
        pytest.skip(
            "cannot check: the snapshot lacks metadata.managedFields (kubectl drops them since 1.21; "
            "capture with --show-managed-fields)"
        )
    read_at_start = {settings.name(namespace, "license_secret"), settings.name(namespace, "ssl_secret")}
    expect(
        stale_values(_sources(cluster, namespace), secrets, configmaps, read_at_start, namespace), namespace
    )
