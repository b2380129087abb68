"""MT005 over recorded ClusterRoles and bindings, and telegraf's 403 lines."""

from __future__ import annotations

from vantiq_health.analysis.rbac import NEEDED, Account, granted, namespace_only, refused_lines, telegraf_rbac

SA = Account("shared", "telegraf-prom")
ALL = {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get", "list", "watch"]}


def role(name: str, *rules: dict) -> dict:
    return {"metadata": {"name": name}, "rules": list(rules)}


def binding(role_name: str, *subjects: dict) -> dict:
    return {
        "metadata": {"name": f"b-{role_name}"},
        "roleRef": {"kind": "ClusterRole", "name": role_name},
        "subjects": list(subjects),
    }


def sa_subject(ns: str = "shared", name: str = "telegraf-prom") -> dict:
    return {"kind": "ServiceAccount", "name": name, "namespace": ns}


def test_a_binding_to_the_account_grants_every_need() -> None:
    have = granted(SA, [role("r", ALL)], [binding("r", sa_subject())])
    assert len(have) == 5
    assert have[("watch", "pods")] == "ClusterRoleBinding b-r -> ClusterRole r"


def test_the_same_name_in_another_namespace_grants_nothing() -> None:
    assert granted(SA, [role("r", ALL)], [binding("r", sa_subject(ns="prod"))]) == {}


def test_groups_of_service_accounts_count() -> None:
    group = {"kind": "Group", "name": "system:serviceaccounts:shared"}
    assert len(granted(SA, [role("r", ALL)], [binding("r", group)])) == 5


def test_wildcards_and_named_resources() -> None:
    star = {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}
    assert len(granted(SA, [role("r", star)], [binding("r", sa_subject())])) == 5
    named = {**ALL, "resourceNames": ["mongodb-0"]}
    assert granted(SA, [role("r", named)], [binding("r", sa_subject())]) == {}


def test_the_notes_remedy_is_enough() -> None:
    viewer = {"apiGroups": [""], "resources": ["*"], "verbs": ["get", "list"]}
    view = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list", "watch"]}
    have = granted(SA, [role("influx:telegraf", viewer, view)], [binding("influx:telegraf", sa_subject())])
    assert len(have) == 5


def test_403_lines_are_evidence_even_without_rbac_objects() -> None:
    line = 'E! Failure 403 pods is forbidden: User "system:serviceaccount:shared:telegraf-prom" cannot watch resource "pods"'
    assert refused_lines(["ok", line]) == [line]
    [f] = telegraf_rbac(
        "shared", [SA], None, {"telegraf-prom-x [telegraf]": [line]}, ["deployment/telegraf-prom"]
    )
    assert any("cannot watch resource" in e for e in f.evidence)
    assert f.fix[0].startswith("kubectl apply -f - <<'EOF'")
    assert "  name: telegraf-prom\n  namespace: shared" in f.fix[0]


def test_missing_permissions_are_named() -> None:
    only_get = {"apiGroups": [""], "resources": ["pods", "nodes"], "verbs": ["get"]}
    [f] = telegraf_rbac("shared", [SA], ([role("r", only_get)], [binding("r", sa_subject())]), {}, [])
    assert (
        f.evidence[0]
        == "ServiceAccount shared/telegraf-prom may not list pods, watch pods, list nodes at cluster scope"
    )


def role_binding(ns: str, kind: str, role_name: str, *subjects: dict) -> dict:
    return {
        "metadata": {"name": f"rb-{role_name}", "namespace": ns},
        "roleRef": {"kind": kind, "name": role_name},
        "subjects": list(subjects),
    }


def test_a_role_binding_grants_in_its_namespace_only_and_is_named() -> None:
    local_role = {"metadata": {"name": "r", "namespace": "shared"}, "rules": [ALL]}
    bindings = [role_binding("shared", "Role", "r", sa_subject())]
    assert namespace_only(SA, [local_role], bindings, []) == {
        need: "RoleBinding shared/rb-r -> Role r" for need in NEEDED
    }
    found = telegraf_rbac("shared", [SA], ([], []), {}, [], local=([local_role], bindings, []))
    assert (
        "RoleBinding shared/rb-r -> Role r grants get pods, list pods, watch pods, get nodes, list nodes in shared only"
        in str(found[0].evidence)
    )


def test_a_role_of_another_namespace_or_another_account_is_not_named() -> None:
    other_ns_role = {"metadata": {"name": "r", "namespace": "prod"}, "rules": [ALL]}
    assert namespace_only(SA, [other_ns_role], [role_binding("shared", "Role", "r", sa_subject())], []) == {}
    assert (
        namespace_only(
            SA, [], [role_binding("shared", "ClusterRole", "c", sa_subject(name="x"))], [role("c", ALL)]
        )
        == {}
    )


def test_reviews_decide_over_the_recorded_roles() -> None:
    denied = {SA: [("list", "nodes")]}
    found = telegraf_rbac(
        "shared", [SA], ([role("r", ALL)], [binding("r", sa_subject())]), {}, [], reviewed=denied
    )
    assert "ServiceAccount shared/telegraf-prom may not list nodes at cluster scope" in found[0].evidence
    assert telegraf_rbac("shared", [SA], ([], []), {}, [], reviewed={SA: []}) == []
