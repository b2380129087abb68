"""Where each check runs and what it needs, from the catalog.

Each check is parametrized by its catalog scope (`[prod]`, `[shared]`; a
cluster-scoped check runs once, its `namespace` None), and the kinds it needs
are read before its body runs: one it cannot read turns the check into a skip
naming what is missing, so check bodies hold no namespace or permission logic.

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

import pytest

from vantiq_health.catalog import CatalogEntry, entry
from vantiq_health.i18n import msg, reason_of
from vantiq_health.plugin.api import RUN_KEY, cannot_check, check_id_of
from vantiq_health.session import Run
from vantiq_health.view.base import Unavailable, kind_info


def namespaces_for(run: Run, scope: str) -> list[str] | None:
    """The namespaces a check of this scope runs over; None: once, for the cluster."""
    if scope == "cluster":
        return None
    if scope == "installation":
        return list(run.namespaces)
    if scope == "system":
        return [run.system_namespace]
    return run.all_namespaces


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    run = metafunc.config.stash.get(RUN_KEY, None)
    if run is None or "namespace" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("check")
    scope = entry(str(marker.args[0])).scope if marker and marker.args else "installation+system"
    values = namespaces_for(run, scope)
    if (
        values == []
    ):  # a snapshot of cluster-scoped objects only: say so rather than pytest's "empty parameter set"
        why = cannot_check(msg("common.no_namespace"))
        skipped = pytest.param(None, marks=pytest.mark.skip(reason=why), id="no-namespace")
        metafunc.parametrize("namespace", [skipped], indirect=True, scope="session")
    elif values is not None:
        metafunc.parametrize("namespace", values, ids=values, indirect=True, scope="session")


def unmet_need(run: Run, meta: CatalogEntry, namespace: str | None) -> str | None:
    """Why the check cannot run at all here, or None."""
    if namespace == run.system_namespace and not run.system_present:
        return run.absent[namespace]  # it does not exist: nothing of it to judge
    reads_namespace = any(kind_info(kind).namespaced for kind in meta.needs)
    if namespace is not None and reads_namespace and namespace in run.absent:
        return run.absent[namespace]  # a snapshot without it: only what is cluster-scoped can be judged
    for kind in meta.needs:
        try:
            run.view.objects(kind, namespace)
        except Unavailable as exc:
            return reason_of(exc)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    check_id = check_id_of(item)
    run = item.config.stash.get(RUN_KEY, None)
    if check_id is None or run is None:
        return
    params = getattr(getattr(item, "callspec", None), "params", {})
    reason = unmet_need(run, entry(check_id), params.get("namespace"))
    if reason:
        raise pytest.skip.Exception(cannot_check(reason), _use_item_location=True)
