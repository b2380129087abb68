"""KC: Keycloak runs, reaches its PostgreSQL database, and admits the vantiq pods' keycloak-init."""

from __future__ import annotations

from typing import Any

import pytest

from vantiq_health.analysis import keycloak, keycloak_db, keycloak_realm
from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.plugin import check, expect
from vantiq_health.session import Run
from vantiq_health.view import ClusterView, Unavailable


def _log_reader(cluster: ClusterView, settings: Config, namespace: str) -> Any:
    tail = int(settings.threshold("log_tail_lines"))

    def read(pod: Obj, container: str, previous: bool) -> list[str]:
        return cluster.logs(namespace, name(pod), container, tail=tail, previous=previous)

    return read


def _unread(found: Any, unread: list[str]) -> Any:
    if unread and not found:
        raise Unavailable(msg("KC001.logs_not_read", logs=tuple(unread)))
    return [msg("KC001.log_not_read", log=u) for u in unread]


@check("KC001")
def test_keycloak_runs_and_its_logs_show_no_database_error(
    cluster: ClusterView, settings: Config, namespace: str
) -> None:
    ns = namespace
    pods = keycloak.keycloak_pods(cluster.objects("pods", ns), settings.name(ns, "keycloak"))
    db = keycloak.database_of(cluster, settings, ns, pods, values=False)
    container = settings.name(ns, "keycloak")
    found, unread = keycloak.keycloak_failures(pods, container, _log_reader(cluster, settings, ns), db, ns)
    facts = [msg("KC001.running", n=len(pods))] if not found else []
    expect(found, ns, facts + _unread(found, unread))


@check("KC003")
def test_azure_database_user_has_the_server_suffix(
    cluster: ClusterView, settings: Config, namespace: str
) -> None:
    ns = namespace
    pods = keycloak.keycloak_pods(cluster.objects("pods", ns), settings.name(ns, "keycloak"))
    db = keycloak.database_of(cluster, settings, ns, pods, values=True)
    if db is None:
        raise Unavailable(msg("KC003.no_pod", namespace=ns))
    for value in (db.addr, db.user):
        if not value.known:
            raise Unavailable(msg("KC003.not_known", name=value.name, missing=value.missing))
    host, port = db.host_port
    expect(keycloak.azure_user_form(db, ns), ns, [msg("KC003.fact", db=f"{host}:{port}", user=db.user.text)])


@check("KC006")
def test_keycloak_init_is_not_refused_with_https_required(
    cluster: ClusterView, settings: Config, namespace: str
) -> None:
    ns = namespace
    vantiq = settings.name(ns, "vantiq")
    pods = keycloak.keycloak_pods(cluster.objects("pods", ns), vantiq)
    init = settings.name(ns, "keycloak_init")
    try:
        nodes = cluster.objects("nodes")
    except Unavailable as exc:
        nodes, node_note = [], [msg("KC006.nodes_not_read", why=str(exc))]
    else:
        node_note = []
    found, unread = keycloak.https_required(pods, init, _log_reader(cluster, settings, ns), nodes, ns)
    expect(found, ns, node_note + _unread(found, unread))


@check("KC002")
@pytest.mark.live
def test_keycloak_database_credentials_log_in(probes: Any, namespace: str) -> None:
    found = probes.postgres(namespace)
    expect(
        keycloak_db.login_findings(found.db, found.result, namespace),
        namespace,
        keycloak_db.login_facts(found.db, found.result),
    )


@check("KC004")
@pytest.mark.live
def test_keycloak_connection_pool_and_keepalives(probes: Any, settings: Config, namespace: str) -> None:
    result = probes.postgres(namespace).result
    keycloak_db.require_login(result)
    found, facts = keycloak_db.pool_findings(
        result,
        int(settings.threshold("keycloak_pool_max")),
        int(settings.threshold("middlebox_idle_seconds")),
    )
    expect(found, namespace, facts)


@check("KC005")
@pytest.mark.live
def test_vantiq_realm_has_its_frontend_url(
    probes: Any, cluster: ClusterView, run: Run, namespace: str
) -> None:
    probe = probes.keycloak(namespace)
    ingresses = [ing for ns in run.namespaces for ing in cluster.objects("ingresses", ns)]
    domains = keycloak_realm.ingress_domains(ingresses)
    found, facts = keycloak_realm.frontend_url_findings(probe.result, domains, probe.password)
    expect(found, namespace, facts)
