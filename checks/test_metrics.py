"""MT: the metrics pipeline — where Grafana keeps its dashboards and where its volumes live."""

import pytest

from vantiq_health.analysis.metrics import (
    dashboards_not_in_mysql,
    grafana_database,
    volumes_in_different_zones,
)
from vantiq_health.analysis.storage import StorageContext
from vantiq_health.plugin import check, expect


@check("MT002")
def test_grafana_stores_dashboards_in_mysql(cluster, system_namespace, settings):
    ns = system_namespace
    grafana = settings.name(ns, "grafana")
    workload = cluster.get("deployments", ns, grafana)
    configmap = cluster.get("configmaps", ns, grafana)
    if workload is None and configmap is None:
        pytest.skip(f"cannot check: Grafana is not installed in {ns} (no Deployment or ConfigMap {grafana})")
    db = grafana_database(configmap, workload, grafana)
    services = {s["metadata"]["name"] for s in cluster.objects("services", ns)}
    expected = f"{settings.name(ns, 'grafanadb')}:3306"
    expect(dashboards_not_in_mysql(db, services, ns, grafana, expected), ns, [f"{db.source}: type {db.type}"])


@check("MT009")
def test_grafana_and_its_database_volumes_share_a_zone(cluster, system_namespace, settings):
    ns = system_namespace
    ctx = StorageContext(
        ns,
        pvs=cluster.objects("persistentvolumes"),
        pvcs=cluster.objects("persistentvolumeclaims", ns),
        workloads=cluster.objects("deployments", ns) + cluster.objects("statefulsets", ns),
        pods=cluster.objects("pods", ns),
    )
    found, facts = volumes_in_different_zones(
        ctx, settings.name(ns, "grafana"), settings.name(ns, "grafanadb")
    )
    expect(found, ns, facts)
