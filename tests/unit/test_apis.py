"""The removed-API table against known Kubernetes facts, and the classification rules."""

from __future__ import annotations

import pytest

from vantiq_health.apis import (
    ApiChange,
    Version,
    classify,
    load_table,
    lookup,
    split_group_version,
)

FLOWCONTROL = "flowcontrol.apiserver.k8s.io"


@pytest.mark.parametrize(
    ("group_version", "kind", "removed_in", "replacement"),
    [
        ("policy/v1beta1", "PodDisruptionBudget", "1.25", "policy/v1"),
        ("policy/v1beta1", "PodSecurityPolicy", "1.25", None),
        ("batch/v1beta1", "CronJob", "1.25", "batch/v1"),
        (f"{FLOWCONTROL}/v1beta1", "FlowSchema", "1.26", f"{FLOWCONTROL}/v1"),
        (f"{FLOWCONTROL}/v1beta2", "FlowSchema", "1.29", f"{FLOWCONTROL}/v1"),
        (f"{FLOWCONTROL}/v1beta2", "PriorityLevelConfiguration", "1.29", f"{FLOWCONTROL}/v1"),
        (f"{FLOWCONTROL}/v1beta3", "FlowSchema", "1.32", f"{FLOWCONTROL}/v1"),
        (f"{FLOWCONTROL}/v1beta3", "PriorityLevelConfiguration", "1.32", f"{FLOWCONTROL}/v1"),
        ("extensions/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
        ("networking.k8s.io/v1beta1", "Ingress", "1.22", "networking.k8s.io/v1"),
        ("apps/v1beta1", "Deployment", "1.16", "apps/v1"),
        ("extensions/v1beta1", "NetworkPolicy", "1.16", "networking.k8s.io/v1"),
        ("autoscaling/v2beta1", "HorizontalPodAutoscaler", "1.25", "autoscaling/v2"),
        ("autoscaling/v2beta2", "HorizontalPodAutoscaler", "1.26", "autoscaling/v2"),
        ("storage.k8s.io/v1beta1", "CSIStorageCapacity", "1.27", "storage.k8s.io/v1"),
        ("rbac.authorization.k8s.io/v1beta1", "RoleBinding", "1.22", None),
        ("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", "1.22", None),
    ],
)
def test_known_removals(group_version: str, kind: str, removed_in: str, replacement: str | None) -> None:
    change = lookup(group_version, kind)
    assert change is not None
    assert change.removed_in == Version.parse(removed_in)
    if replacement is not None:
        assert change.replacement == replacement


def test_required_releases_are_covered() -> None:
    releases = {str(row.removed_in) for row in load_table()}
    assert {"1.16", "1.22", "1.25", "1.26", "1.27", "1.29", "1.32"} <= releases


def test_rows_are_consistent() -> None:
    table = load_table()
    assert table
    keys = [(row.group_version, row.kind) for row in table]
    assert len(keys) == len(set(keys))
    for row in table:
        assert row.deprecated_in is not None, row
        assert row.removed_in > row.deprecated_in, row
        assert row.replacement.strip(), row
        assert "/" in row.group_version, row  # nothing in the core group was ever removed


def test_load_table_is_cached() -> None:
    assert load_table() is load_table()


def test_lookup_unknown() -> None:
    assert lookup("apps/v1", "Deployment") is None
    assert lookup("example.com/v1beta1", "Widget") is None
    assert lookup("v1", "ConfigMap") is None


def test_classify_around_the_removal() -> None:
    gv, kind = "policy/v1beta1", "PodDisruptionBudget"
    status, change = classify(gv, kind, Version(1, 23))
    assert (status, change) == ("ok", lookup(gv, kind))
    assert classify(gv, kind, Version(1, 24)).status == "removed-next"
    assert classify(gv, kind, Version(1, 25)).status == "removed"
    assert classify(gv, kind, Version(1, 31)).status == "removed"
    assert classify(gv, kind, Version(1, 24)).change == lookup(gv, kind)


def test_classify_flowcontrol_next_minor() -> None:
    gv = f"{FLOWCONTROL}/v1beta3"
    assert classify(gv, "FlowSchema", Version(1, 30)).status == "ok"
    assert classify(gv, "FlowSchema", Version(1, 31)).status == "removed-next"
    assert classify(gv, "FlowSchema", Version(1, 32)).status == "removed"


def test_classify_current_apis_are_ok() -> None:
    assert classify("apps/v1", "Deployment", Version(1, 32)) == ("ok", None)
    assert classify("v1", "ConfigMap", Version(1, 32)) == ("ok", None)
    assert classify("example.com/v1beta1", "Widget", Version(1, 32)) == ("ok", None)


SERVED_1_24 = frozenset(
    {"apps/v1", "batch/v1", "batch/v1beta1", "policy/v1", "networking.k8s.io/v1", "example.com/v1"}
)


def test_classify_with_discovery_flags_unserved_built_in_versions() -> None:
    # batch/v1beta1 still served on 1.24: the table's verdict stands.
    assert classify("batch/v1beta1", "CronJob", Version(1, 24), SERVED_1_24).status == ("removed-next")
    # policy/v1beta1 disabled on this cluster although 1.24 would still serve it.
    status, change = classify("policy/v1beta1", "PodDisruptionBudget", Version(1, 24), SERVED_1_24)
    assert status == "removed"
    assert change == lookup("policy/v1beta1", "PodDisruptionBudget")
    # A built-in group's version the table has no row for still counts when unserved.
    assert classify("apps/v1beta2", "ControllerRevision", Version(1, 24), SERVED_1_24) == (
        "removed",
        None,
    )
    assert classify("apps/v1", "Deployment", Version(1, 24), SERVED_1_24).status == "ok"


def test_classify_with_discovery_ignores_core_and_crd_groups() -> None:
    # The core group comes from /api and is often not part of `served`.
    assert classify("v1", "Service", Version(1, 24), SERVED_1_24).status == "ok"
    assert classify("example.com/v1beta1", "Widget", Version(1, 24), SERVED_1_24).status == "ok"
    assert classify("monitoring.coreos.com/v1", "ServiceMonitor", Version(1, 24), frozenset()) == (
        "ok",
        None,
    )
    # A CRD group that merely ends like a built-in one is not that group.
    gateway = "gateway.networking.k8s.io/v1beta1"
    assert classify(gateway, "HTTPRoute", Version(1, 24), SERVED_1_24).status == "ok"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1.29", Version(1, 29)),
        ("v1.29", Version(1, 29)),
        ("v1.29.3", Version(1, 29)),
        ("v1.29.3-eks-abc", Version(1, 29)),
        ("v1.30.5-gke.1014001", Version(1, 30)),
        ("1.29+", Version(1, 29)),
        ({"major": "1", "minor": "29+"}, Version(1, 29)),
        ({"major": "1", "minor": "31", "gitVersion": "v1.31.2"}, Version(1, 31)),
        ({"major": "", "minor": "", "gitVersion": "v1.28.4+k3s1"}, Version(1, 28)),
        (Version(1, 27), Version(1, 27)),
    ],
)
def test_version_parse(raw: object, expected: Version) -> None:
    assert Version.parse(raw) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["", "latest", "1", "x1.29", {"major": "1"}, {}])
def test_version_parse_rejects_garbage(raw: object) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes version"):
        Version.parse(raw)  # type: ignore[arg-type]


def test_version_order_str_and_next_minor() -> None:
    assert Version(1, 9) < Version(1, 10) < Version(2, 0)
    assert str(Version.parse("v1.29.3")) == "1.29"
    assert Version(1, 31).next_minor() == Version(1, 32)
    assert {Version(1, 29), Version.parse("1.29")} == {Version(1, 29)}


def test_split_group_version() -> None:
    assert split_group_version("v1") == ("", "v1")
    assert split_group_version("apps/v1") == ("apps", "v1")
    assert split_group_version(f"{FLOWCONTROL}/v1beta3") == (FLOWCONTROL, "v1beta3")


def test_api_change_group() -> None:
    change = lookup("batch/v1beta1", "CronJob")
    assert isinstance(change, ApiChange)
    assert change.group == "batch"
