"""Broken variants of the baseline for the metrics pipeline's RBAC (MT005) beyond the missing binding."""

from __future__ import annotations

from tests.scenarios.installation import Scenario
from tests.scenarios.objects import meta
from tests.scenarios.variants import Variant


def _mt005_rolebinding_only(sc: Scenario) -> None:
    """The notes' binding applied as a RoleBinding in shared: it grants everything, but only in shared."""
    binding = sc.find("ClusterRoleBinding", None, "influx:telegraf:viewer")
    sc.remove("ClusterRoleBinding", None, "influx:telegraf:viewer")
    sc.add(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": meta("influx:telegraf:viewer", "shared", sc.clock),
            "roleRef": binding["roleRef"],
            "subjects": binding["subjects"],
        }
    )


VARIANTS = [
    Variant(
        "mt005-rolebinding-only",
        _mt005_rolebinding_only,
        {
            ("MT005", "shared"): (
                "ServiceAccount shared/telegraf-ds may not get pods, list pods, watch pods, get nodes, list nodes at cluster scope",
                "RoleBinding shared/influx:telegraf:viewer -> ClusterRole influx:telegraf grants get pods, list pods, "
                "watch pods, get nodes, list nodes in shared only",
                "kind: ClusterRoleBinding",
            )
        },
        # judged from the recorded roles, as without `create subjectaccessreviews`: the scenario
        # server has no authorizer to deny the reviews (and the run lists the ClusterRoleBindings)
        args=("--no-live",),
    ),
]
