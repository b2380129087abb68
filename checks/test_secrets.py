"""SEC: Secrets and ConfigMaps the pods need exist, hold clean values, and are in effect."""

import pytest

from vantiq_health.analysis.k8s import PodSpecSource, pod_spec_sources
from vantiq_health.analysis.secrets import (
    credential_defects,
    has_managed_fields,
    missing_references,
    stale_values,
)
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.partial import Gathered, gather
from vantiq_health.plugin import cannot_check, check, expect
from vantiq_health.view import ClusterView


def _sources(cluster: ClusterView, namespace: str, seen: Gathered) -> list[PodSpecSource]:
    """The pod specs that reference Secrets: the pods, and the CronJob templates that could be read."""
    return pod_spec_sources(cluster.objects("pods", namespace), seen["cronjobs"])


@check("SEC001")
def test_referenced_secrets_and_configmaps_exist(cluster: ClusterView, namespace: str) -> None:
    seen = gather(cluster, namespace, "configmaps", "cronjobs")
    configmaps = seen["configmaps"] if seen.seen("configmaps") else None  # None: their references untested
    keys_known = cluster.secret_keys_known()
    facts = [] if keys_known else [msg("SEC001.keys_not_checked")]
    found = missing_references(
        _sources(cluster, namespace, seen),
        cluster.objects("secrets", namespace),
        configmaps,
        namespace,
        secret_keys_known=keys_known,
    )
    expect(found, namespace, facts, unseen=seen.reasons())


@check("SEC002")
def test_credentials_have_no_copy_paste_defects(cluster: ClusterView, namespace: str) -> None:
    secrets = cluster.objects("secrets", namespace)
    redacted = cluster.secret_values_redacted()
    if redacted:
        pytest.skip(cannot_check(redacted))
    seen = gather(cluster, namespace, "cronjobs")
    found = credential_defects(secrets, _sources(cluster, namespace, seen), namespace)
    expect(found, namespace, unseen=seen.reasons())


@check("SEC003")
def test_pods_run_with_current_secret_values(cluster: ClusterView, namespace: str, settings: Config) -> None:
    secrets, configmaps = cluster.objects("secrets", namespace), cluster.objects("configmaps", namespace)
    if not has_managed_fields(secrets + configmaps):
        pytest.skip(cannot_check(msg("SEC003.no_managed_fields")))
    read_at_start = {settings.name(namespace, "license_secret"), settings.name(namespace, "ssl_secret")}
    running = pod_spec_sources(cluster.objects("pods", namespace), [])  # only running pods hold old values
    expect(stale_values(running, secrets, configmaps, read_at_start, namespace), namespace)
