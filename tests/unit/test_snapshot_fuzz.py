"""Fuzz: almost-valid objects and random bytes into the snapshot loader, then into every analysis.

Valid scenario objects get random fields replaced by values of the wrong type, keys removed,
or keys that are not strings; the snapshot then goes through the loader and every analysis
function the way the checks call them. Nothing may raise but SetupError/Unavailable, and each
example has a deadline. Derandomized, so CI sees the same examples every run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scenarios import broken, broken_storage
from tests.scenarios.installation import baseline
from tests.scenarios.variants import build
from vantiq_health.analysis.encryption import (
    encryption_table,
    in_cluster_postgres,
    postgres_encryption,
)
from vantiq_health.analysis.helm import Judge, read_releases, removed_apis, stuck_releases
from vantiq_health.analysis.k8s import pod_spec_sources
from vantiq_health.analysis.keycloak import keycloak_db_host
from vantiq_health.analysis.metrics import (
    dashboards_in,
    dashboards_not_in_mysql,
    datasource_findings,
    docker_era_dashboards,
    grafana_database,
    provisioned_datasources,
    runtimes,
)
from vantiq_health.analysis.network import clock_skew, lease_clocks, public_addresses
from vantiq_health.analysis.rbac import Account, service_account, telegraf_rbac
from vantiq_health.analysis.secrets import (
    credential_defects,
    has_managed_fields,
    missing_references,
    stale_values,
)
from vantiq_health.analysis.storage import (
    StorageContext,
    database_claims,
    deleted_database_volumes,
    released_volumes,
    unbound_claims,
)
from vantiq_health.analysis.tls import certificate_findings
from vantiq_health.analysis.workloads import (
    crashing_pods,
    probe_failures,
    stuck_init_containers,
    unready_workloads,
)
from vantiq_health.apis import Version
from vantiq_health.config import load_config
from vantiq_health.view import ClusterView, SetupError, Unavailable
from vantiq_health.view.snapshot import SnapshotView

FUZZ = settings(
    max_examples=25,
    deadline=3000,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
VERSION = {"serverVersion": {"major": "1", "minor": "29", "gitVersion": "v1.29.4"}}
NAMESPACES = ("prod", "shared")


def _scenarios() -> list[list[dict[str, Any]]]:
    found = [baseline().objects]
    found += [build(v).objects for v in broken.VARIANTS[:4]]
    found += [build(v).objects for v in broken_storage.VARIANTS[:2]]
    return [[o for o in objs if (o["metadata"].get("namespace") or "prod") in NAMESPACES] for objs in found]


SCENARIOS = _scenarios()

WRONG = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
    st.sampled_from(["three", "", "2026-13-45T99:00:00Z", "2026-11-30T10:00:00", "1999-01-01", "v1.x"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.just({"a": {"b": [None]}}),
    st.just([{"name": None}]),
)
ODD_KEYS = st.sampled_from([1, None, True, 2.5, "", "Kind"])


def _paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every place inside an object a value sits at."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, child in items:
        yield (*path, key)
        yield from _paths(child, (*path, key))


def _mutate(obj: dict[str, Any], data: st.DataObject) -> None:
    path = data.draw(st.sampled_from(list(_paths(obj))))
    parent: Any = obj
    for key in path[:-1]:
        parent = parent[key]
    action = data.draw(st.sampled_from(["replace", "replace", "delete", "odd-key"]))
    if action == "replace":
        parent[path[-1]] = copy.deepcopy(data.draw(WRONG))
    elif action == "delete":
        del parent[path[-1]]
    elif isinstance(parent, dict):
        parent[data.draw(ODD_KEYS)] = copy.deepcopy(data.draw(WRONG))


def _write(folder: Path, objs: list[Any], as_yaml: bool) -> None:
    if as_yaml:
        text = yaml.safe_dump_all([*objs, VERSION], allow_unicode=True)
        (folder / "capture.yaml").write_text(text)
    else:
        (folder / "capture.json").write_text(json.dumps({"kind": "List", "apiVersion": "v1", "items": objs}))
        (folder / "version.json").write_text(json.dumps(VERSION))


# -- every analysis, called the way checks/ call it ----------------------------------
CONFIG = load_config(None)


def _try(call: Any) -> None:
    with contextlib.suppress(Unavailable):
        call()


def _workloads(view: ClusterView, ns: str) -> list[dict[str, Any]]:
    found = view.objects("statefulsets", ns, required=False) + view.objects("deployments", ns, required=False)
    return found + view.objects("daemonsets", ns, required=False)


def _wl(view: ClusterView, ns: str) -> None:
    now = view.now()
    _try(lambda: crashing_pods(view.objects("pods", ns), now, 5, 24))
    _try(lambda: probe_failures(view.objects("pods", ns), view.objects("events", ns), now))
    _try(lambda: stuck_init_containers(view.objects("pods", ns), now, 10, lambda p, c: ["line"], {}))
    required = {role: CONFIG.name(ns, role) for role in CONFIG.expect["installation_workloads"]}
    _try(lambda: unready_workloads(_workloads(view, ns), view.objects("pods", ns), required))


def _sec(view: ClusterView, ns: str) -> None:
    def sources() -> Any:
        return pod_spec_sources(view.objects("pods", ns), view.objects("cronjobs", ns, required=False))

    secrets = lambda: view.objects("secrets", ns)  # noqa: E731
    configmaps = lambda: view.objects("configmaps", ns)  # noqa: E731
    keys = view.secret_keys_known()
    _try(lambda: missing_references(sources(), secrets(), configmaps(), ns, secret_keys_known=keys))
    _try(lambda: (view.secret_values_redacted(), credential_defects(secrets(), sources(), ns)))
    _try(lambda: (has_managed_fields(secrets()), stale_values(sources(), secrets(), configmaps(), {"x"}, ns)))


def _hm(view: ClusterView, ns: str) -> None:
    def run() -> None:
        releases = read_releases(view.objects("secrets", ns), view.objects("configmaps", ns, required=False))
        judge = Judge(Version.parse(view.version()), served=view.served_group_versions())
        removed_apis(releases.current(), judge)
        stuck_releases(releases)
        releases.notes()

    _try(run)


def _st(view: ClusterView, ns: str) -> None:
    def context(need_volumes: bool) -> StorageContext:
        return StorageContext(
            ns,
            pvs=view.objects("persistentvolumes", required=need_volumes),
            pvcs=view.objects("persistentvolumeclaims", ns),
            workloads=_workloads(view, ns),
            pods=view.objects("pods", ns, required=False),
        )

    def st002() -> None:
        ctx = context(False)
        host = keycloak_db_host(
            _workloads(view, "shared"), view.objects("pods", "shared", required=False), "keycloak"
        )
        databases = ["mongodb", "grafanadb", *in_cluster_postgres(host, "shared", ns)]
        classes = view.objects("storageclasses", required=False)
        deleted_database_volumes(database_claims(ctx, databases), ctx.pvcs, ctx.pvs, classes)
        unbound_claims(ctx.pvcs, view.objects("events", ns, required=False), view.now(), 5)
        postgres_encryption(host, "shared")
        encryption_table(ctx.pvcs, view.objects("storageclasses"))

    _try(lambda: released_volumes(context(True), {"grafana": "grafanadb", "grafanadb": "grafana"}))
    _try(st002)


def _environment(view: ClusterView, ns: str) -> None:
    """NET, VQ and MT analyses, as checks/test_network.py, test_vantiq.py and test_metrics.py call them."""

    def net() -> None:
        public_addresses(view.objects("nodes"), view.objects("pods", ns))
        clocks, _ = lease_clocks(view.objects("leases", "kube-node-lease"))
        clock_skew(clocks, None, 2, set())

    def vq001() -> None:
        for secret in view.objects("secrets", ns):
            certificate_findings(
                secret, view.objects("ingresses", ns), view.now(), self_signed_ok=False, expiry_days=30
            )

    def mt() -> None:
        cms, services = (
            view.objects("configmaps", ns),
            {str(s["metadata"]["name"]) for s in view.objects("services", ns)},
        )
        datasource_findings(provisioned_datasources(cms), services, ns, True, "grafana")
        for cm in cms:
            dashboards_not_in_mysql(
                grafana_database(cm, None, "grafana"), services, ns, "grafana", "grafanadb-mysql:3306"
            )
        docker_era_dashboards(dashboards_in(cms), runtimes(view.objects("nodes")), ns)
        workloads = _workloads(view, ns)
        accounts = [Account(ns, service_account(w)) for w in workloads]
        roles = (view.objects("clusterroles"), view.objects("clusterrolebindings"))
        telegraf_rbac(ns, accounts, roles, {}, [])

    for call in (net, vq001, mt):
        _try(call)


def _every_check(folder: Path) -> None:
    try:
        view = SnapshotView(folder)
    except SetupError as exc:
        lines = str(exc).splitlines()
        assert len(lines) == 1
        return
    assert all("\n" not in note for note in view.notes)
    view.describe()
    view.namespaces_present()
    for ns in NAMESPACES:
        view.namespace_exists(ns)
        _wl(view, ns)
        _sec(view, ns)
        _hm(view, ns)
        _environment(view, ns)
        _st(view, ns)


@FUZZ
@given(data=st.data())
def test_almost_valid_objects_never_raise(data: st.DataObject) -> None:
    objs = copy.deepcopy(data.draw(st.sampled_from(SCENARIOS)))
    for _ in range(data.draw(st.integers(min_value=1, max_value=8))):
        _mutate(data.draw(st.sampled_from(objs)), data)
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), objs, as_yaml=data.draw(st.booleans()))
        _every_check(Path(tmp))


@FUZZ
@given(
    name=st.sampled_from(["pods.json", "pods.yaml", "dump.txt", "vantiq-health-snapshot.json"]),
    head=st.sampled_from(
        [b"", b"{", b"[", b'{"kind": "PodList", "items": [', b"apiVersion: v1\nkind: Pod\n"]
    ),
    body=st.binary(max_size=300),
)
def test_random_bytes_never_raise(name: str, head: bytes, body: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "pod.json").write_text(json.dumps({**SCENARIOS[0][-1]}))
        (Path(tmp) / name).write_bytes(head + body)
        _every_check(Path(tmp))


@FUZZ
@given(value=WRONG, field=st.sampled_from(["restartCount", "periodSeconds", "replicas", "startedAt", "name"]))
def test_one_wrong_number_or_time_in_the_fields_checks_compute_with(value: Any, field: str) -> None:
    """Aimed at the arithmetic: counts, periods, replicas and times."""
    objs = copy.deepcopy(SCENARIOS[1])
    for obj in objs:
        for path in list(_paths(obj)):
            if path[-1] == field:
                parent: Any = obj
                for key in path[:-1]:
                    parent = parent[key]
                parent[path[-1]] = copy.deepcopy(value)
    with tempfile.TemporaryDirectory() as tmp:
        _write(Path(tmp), objs, as_yaml=False)
        _every_check(Path(tmp))
