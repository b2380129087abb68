"""HM: Helm releases on APIs the cluster (or the target version) no longer serves, releases stuck pending or failed."""

from vantiq_health.analysis.helm import Judge, read_releases, removed_apis, stuck_releases
from vantiq_health.apis import Version
from vantiq_health.plugin import check, expect
from vantiq_health.view import Unavailable


def _releases(cluster, namespace):
    secrets = cluster.objects("secrets", namespace)
    return read_releases(secrets, cluster.objects("configmaps", namespace, required=False))


def _judge(cluster, run):
    if run.target_version:  # validated when the run starts
        return Judge(Version.parse(run.target_version), target=True)
    try:
        served = cluster.served_group_versions()
    except Unavailable:
        served = None  # the removed-API table alone still judges
    return Judge(Version.parse(cluster.version()), served=served)


@check("HM001")
def test_helm_releases_use_served_apis(cluster, run, namespace):
    releases = _releases(cluster, namespace)
    expect(removed_apis(releases.current(), _judge(cluster, run)), namespace, releases.notes())


@check("HM002")
def test_no_helm_release_is_stuck(cluster, namespace):
    releases = _releases(cluster, namespace)
    expect(stuck_releases(releases), namespace, releases.notes())
