"""MG: MongoDB backups run on schedule and the restore CronJobs exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from vantiq_health.analysis import mongodb
from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.config import Config
from vantiq_health.i18n import msg
from vantiq_health.plugin import check, expect
from vantiq_health.probes.credentials import secret_text
from vantiq_health.view import ClusterView, Unavailable


def _exports(cluster: ClusterView, ns: str, secret: Obj) -> Any:
    """The names the backup credentials file exports (the text stays here), or why it is not known."""
    data = secret.get("data") or {}
    if "credentials" not in data:
        return {}, ""
    text = secret_text(cluster.secret_bytes(ns, secret["metadata"]["name"], "credentials"))
    if text is None:
        return None, msg("MG003.redacted")
    return mongodb.exported_names(text), ""


def _backup_secret(cluster: ClusterView, ns: str, secret_name: str) -> Any:
    """(present, exports, note); exports None when they could not be read."""
    try:
        secret = cluster.get("secrets", ns, secret_name)
    except Unavailable as exc:
        return None, None, msg("MG003.secret_not_read", secret=secret_name, why=str(exc))
    if secret is None:
        return False, None, ""
    exports, note = _exports(cluster, ns, secret)
    return True, exports, note


@check("MG003")
def test_mongodb_backups_run_on_schedule(
    cluster: ClusterView, settings: Config, namespace: str, now: datetime
) -> None:
    ns = namespace
    cronjob = cluster.get("cronjobs", ns, settings.name(ns, "mongobackup"))
    secret_name = settings.name(ns, "backup_secret")
    present, exports, note = _backup_secret(cluster, ns, secret_name)
    if cronjob is None and present is None:
        raise Unavailable(msg("MG003.unknown_setup", note=note))
    notes = [note] if note else []
    try:
        jobs = cluster.objects("jobs", ns)
    except Unavailable as exc:
        if cronjob is not None and not (cronjob.get("status") or {}).get("lastSuccessfulTime"):
            raise
        jobs, notes = None, [*notes, msg("MG003.jobs_not_checked", why=str(exc))]
    provider = mongodb.backup_provider(cronjob, exports)
    facts = mongodb.BackupFacts(cronjob, jobs, bool(present), exports, provider)
    found, more = mongodb.backup_findings(facts, now, ns, secret_name)
    expect(found, ns, more + notes)


@check("MG004")
def test_mongodb_restore_cronjobs_exist(cluster: ClusterView, settings: Config, namespace: str) -> None:
    ns = namespace
    cronjobs = cluster.objects("cronjobs", ns)
    names = {role: settings.name(ns, role) for role in ("mongorestore", "userdbrestore", "vantiq")}
    userdb = settings.name(ns, "userdb")
    userdb_used = cluster.get("statefulsets", ns, userdb) is not None or any(
        name(cj).startswith(userdb) for cj in cronjobs if name(cj) != names["userdbrestore"]
    )
    vantiq = cluster.get("statefulsets", ns, names["vantiq"]) or {}
    replicas = int((vantiq.get("spec") or {}).get("replicas") or 3)
    found, facts = mongodb.restore_findings(cronjobs, userdb_used, names, ns, replicas)
    expect(found, ns, facts)


@check("MG001")
@pytest.mark.live
def test_mongodb_replica_set_has_quorum(probes: Any, namespace: str) -> None:
    found, facts = mongodb.quorum_findings(probes.mongodb(namespace).result)
    expect(found, namespace, facts)


@check("MG002")
@pytest.mark.live
def test_mongodb_credentials_of_vantiq_log_in(probes: Any, namespace: str) -> None:
    probe = probes.mongodb(namespace)
    result = probe.result
    facts = (
        [msg("MG002.logged_in", user=probe.user.text, target=result.target, vantage=result.vantage)]
        if result.ok
        else []
    )
    expect(
        mongodb.login_findings(result, probe.user, probe.password, namespace),
        namespace,
        facts,
    )
