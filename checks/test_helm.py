"""HM: Helm releases on APIs the cluster (or the target version) no longer serves, releases stuck pending or failed."""

from vantiq_health.analysis.helm import Judge, Releases, read_releases, removed_apis, stuck_releases
from vantiq_health.apis import Version
from vantiq_health.partial import gather
from vantiq_health.plugin import check, expect
from vantiq_health.session import Run
from vantiq_health.view import ClusterView, Unavailable


def _releases(cluster: ClusterView, namespace: str) -> tuple[Releases, list[str]]:
    """The releases stored in Secrets and ConfigMaps, and why the ConfigMaps could not be read."""
    seen = gather(cluster, namespace, "configmaps")
    return read_releases(cluster.objects("secrets", namespace), seen["configmaps"]), seen.reasons()


def _judge(cluster: ClusterView, run: Run) -> Judge:
    if run.target_version:  # validated when the run starts
        return Judge(Version.parse(run.target_version), target=True)
    try:
        served = cluster.served_group_versions()
    except Unavailable:
        served = None  # the removed-API table alone still judges
    return Judge(Version.parse(cluster.version()), served=served)


@check("HM001")
def test_helm_releases_use_served_apis(cluster: ClusterView, run: Run, namespace: str) -> None:
    releases, unseen = _releases(cluster, namespace)
    found = removed_apis(releases.current(), _judge(cluster, run))
    expect(found, namespace, releases.notes(), unseen=unseen)


@check("HM002")
def test_no_helm_release_is_stuck(cluster: ClusterView, namespace: str) -> None:
    releases, unseen = _releases(cluster, namespace)
    expect(stuck_releases(releases), namespace, releases.notes(), unseen=unseen)
