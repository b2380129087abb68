"""MT005: may the telegraf ServiceAccounts read pods and nodes at cluster scope?

Judged from the ClusterRoles and ClusterRoleBindings as the RBAC authorizer
reads them (aggregated ClusterRoles carry the rules the controller filled in),
and from the 403 lines telegraf writes when it is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg

# What telegraf asks for: the prometheus input watches pods cluster-wide, the kubernetes
# inputs read nodes. (The notes' remedy grants get/list on nodes, not watch; asking for
# watch on nodes would flag installations fixed exactly as the notes say.)
NEEDED: tuple[tuple[str, str], ...] = (
    ("get", "pods"),
    ("list", "pods"),
    ("watch", "pods"),
    ("get", "nodes"),
    ("list", "nodes"),
)
REFUSED = re.compile(r'cannot (get|list|watch) resource "([a-z]+)"')


@dataclass(frozen=True)
class Account:
    namespace: str
    name: str

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.name}"

    @property
    def groups(self) -> tuple[str, ...]:
        """The groups the API server puts a ServiceAccount's token in (a SubjectAccessReview must name them)."""
        return ("system:serviceaccounts", f"system:serviceaccounts:{self.namespace}", "system:authenticated")


def service_account(workload: Obj) -> str:
    spec = ((workload.get("spec") or {}).get("template") or {}).get("spec") or {}
    return str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default")


def _binds(binding: Obj, sa: Account) -> bool:
    for subject in binding.get("subjects") or []:
        if not isinstance(subject, dict):
            continue
        kind, subject_name = subject.get("kind"), subject.get("name")
        if kind == "ServiceAccount" and subject_name == sa.name and subject.get("namespace") == sa.namespace:
            return True
        if kind == "User" and subject_name == sa.user:
            return True
        groups = ("system:serviceaccounts", f"system:serviceaccounts:{sa.namespace}", "system:authenticated")
        if kind == "Group" and subject_name in groups:
            return True
    return False


def _allows(rule: Obj, verb: str, resource: str) -> bool:
    if not isinstance(rule, dict) or rule.get("resourceNames"):
        return False  # a rule limited to named objects does not let telegraf list or watch them all
    groups, resources, verbs = (
        rule.get("apiGroups") or [],
        rule.get("resources") or [],
        rule.get("verbs") or [],
    )
    return (
        ("" in groups or "*" in groups)
        and (resource in resources or "*" in resources)
        and (verb in verbs or "*" in verbs)
    )


def granted(sa: Account, cluster_roles: list[Obj], bindings: list[Obj]) -> dict[tuple[str, str], str]:
    """(verb, resource) -> the ClusterRoleBinding/ClusterRole that grants it at cluster scope."""
    roles = {name(r): r for r in cluster_roles}
    found: dict[tuple[str, str], str] = {}
    for binding in bindings:
        ref = binding.get("roleRef") or {}
        if not _binds(binding, sa) or ref.get("kind") != "ClusterRole" or ref.get("name") not in roles:
            continue
        for rule in roles[ref["name"]].get("rules") or []:
            for need in NEEDED:
                if need not in found and _allows(rule, *need):
                    found[need] = f"ClusterRoleBinding {name(binding)} -> ClusterRole {ref['name']}"
    return found


def namespace_only(
    sa: Account, roles: list[Obj], role_bindings: list[Obj], cluster_roles: list[Obj]
) -> dict[tuple[str, str], str]:
    """(verb, resource) -> the RoleBinding that grants it to the account in one namespace only.

    A RoleBinding (to a Role or a ClusterRole) never reaches beyond its namespace: telegraf,
    which watches pods and reads nodes cluster-wide, stays refused however much it grants."""
    by_kind = {
        "Role": {(str((r.get("metadata") or {}).get("namespace", "")), name(r)): r for r in roles},
        "ClusterRole": {("", name(r)): r for r in cluster_roles},
    }
    found: dict[tuple[str, str], str] = {}
    for binding in role_bindings:
        ref = binding.get("roleRef") or {}
        where = str((binding.get("metadata") or {}).get("namespace", ""))
        key = (where if ref.get("kind") == "Role" else "", str(ref.get("name", "")))
        role = by_kind.get(str(ref.get("kind")), {}).get(key)
        if role is None or not _binds(binding, sa):
            continue
        for rule in role.get("rules") or []:
            for need in NEEDED:
                if need not in found and _allows(rule, *need):
                    found[need] = f"RoleBinding {where}/{name(binding)} -> {ref['kind']} {ref['name']}"
    return found


def _local_notes(sa: Account, lacks: list[tuple[str, str]], local: tuple[list[Obj], ...] | None) -> list[str]:
    if local is None:
        return []
    grants: dict[str, list[str]] = {}
    local_grants = namespace_only(sa, *local)
    for need in lacks:
        if need in local_grants:
            grants.setdefault(local_grants[need], []).append(" ".join(need))
    return [
        msg("MT005.namespace_only", via=via, needs=needs, namespace=via.split()[1].split("/")[0])
        for via, needs in sorted(grants.items())
    ]


def refused_lines(lines: Iterable[str]) -> list[str]:
    return [line for line in lines if "403" in line and REFUSED.search(line)]


def remedy(namespace: str, accounts: list[Account]) -> str:
    """The notes' ClusterRoles and binding, as one paste-able heredoc with the real names."""
    subjects = "\n".join(
        f"- kind: ServiceAccount\n  name: {a.name}\n  namespace: {a.namespace}" for a in accounts
    )
    return f"""kubectl apply -f - <<'EOF'
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: influx:cluster:viewer
  labels:
    rbac.authorization.k8s.io/aggregate-view-telegraf: "true"
rules:
- apiGroups: [""]
  resources: ["*"]
  verbs: ["get", "list"]
---
kind: ClusterRole
apiVersion: rbac.authorization.k8s.io/v1
metadata:
  name: influx:telegraf
aggregationRule:
  clusterRoleSelectors:
  - matchLabels:
      rbac.authorization.k8s.io/aggregate-view-telegraf: "true"
  - matchLabels:
      rbac.authorization.k8s.io/aggregate-to-view: "true"
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: influx:telegraf:viewer
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: influx:telegraf
subjects:
{subjects}
EOF"""


def telegraf_rbac(
    namespace: str,
    accounts: list[Account],
    rbac: tuple[list[Obj], list[Obj]] | None,
    logs: dict[str, list[str]],
    restart: list[str],
    reviewed: dict[Account, list[tuple[str, str]]] | None = None,
    local: tuple[list[Obj], list[Obj], list[Obj]] | None = None,
) -> list[Finding]:
    """MT005: each telegraf ServiceAccount's missing cluster-scope permissions, and the 403 lines it logged.

    reviewed: the (verb, resource) pairs the API server's SubjectAccessReviews denied each account;
    when given, they are the verdict and the recorded roles are not evaluated.
    local: (Roles, RoleBindings, ClusterRoles), to name the RoleBindings that grant a need in
    one namespace only (never a verdict: they cannot grant at cluster scope)."""
    missing: list[str] = []
    for sa in accounts:
        if reviewed is not None:
            denied = set(reviewed.get(sa, []))
            lacks = [need for need in NEEDED if need in denied]
        elif rbac is not None:
            have = granted(sa, *rbac)
            lacks = [need for need in NEEDED if need not in have]
        else:
            lacks = []
        if lacks:
            needs = [f"{verb} {resource}" for verb, resource in lacks]
            missing.append(msg("MT005.may_not", account=f"{sa.namespace}/{sa.name}", needs=needs))
            missing.extend(_local_notes(sa, lacks, local))
    refused = [
        f"{pod}: {line.strip()[:300]}" for pod, lines in sorted(logs.items()) for line in refused_lines(lines)
    ]
    if not missing and not refused:
        return []
    return [
        finding(
            "MT005",
            msg("MT005.cannot_read"),
            missing + refused[:5] + ([msg("MT005.more_403", n=len(refused) - 5)] if len(refused) > 5 else []),
            [
                remedy(namespace, accounts),
                *(f"kubectl rollout restart {target} -n {namespace}" for target in restart),
            ],
        )
    ]
