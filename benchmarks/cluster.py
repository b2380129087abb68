"""The large installations the benchmark runs on, served live or written as a snapshot.

Two shapes: "one" puts every extra pod in the installation namespace `prod`
(the per-object cost shows); "many" spreads them over 50 installation
namespaces, each a copy of `prod` but its volume claims (the per-request
cost shows). Besides pods: one event per two pods, one Secret per five, one
ConfigMap per ten and a Helm release (two revisions) per hundred.
"""

from __future__ import annotations

import copy
from pathlib import Path

from tests.scenarios.installation import Scenario, _release, _with_meta, baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import Obj, event
from vantiq_health import helm

SHAPES = ("one", "many")
MANY = 50


def namespaces(shape: str) -> list[str]:
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {SHAPES}, got {shape!r}")
    return ["prod"] if shape == "one" else ["prod", *(f"tenant-{i:02d}" for i in range(1, MANY))]


def build(shape: str, pods: int) -> Scenario:
    sc = baseline()
    spaces = namespaces(shape)
    # Each tenant is a whole installation but its volumes: a PersistentVolume binds one claim.
    carried = [o for o in sc.objects if o["metadata"].get("namespace") == "prod"]
    carried = [o for o in carried if o["kind"] != "PersistentVolumeClaim"]
    for ns in spaces[1:]:
        sc.add(_renamed(sc.find("Namespace", None, "prod"), None, ns))
        sc.add(*(_renamed(o, ns) for o in carried))
    template = sc.find("Pod", "prod", "vantiq-0")
    secret, config = sc.find("Secret", "prod", "keycloak"), sc.find("ConfigMap", "prod", "vantiq-config")
    for n in range(pods):
        ns, name = spaces[n % len(spaces)], f"app-{n:05d}"
        pod = _renamed(template, ns, name)
        pod["metadata"].pop("ownerReferences", None)
        sc.add(pod)
        if n % 2 == 0:
            sc.add(event(ns, sc.clock, obj_name=name, reason="Pulled", message=f"Pulled image for {name}"))
        if n % 5 == 0:
            sc.add(_renamed(secret, ns, f"keycloak-{n:05d}"))
        if n % 10 == 0:
            sc.add(_renamed(config, ns, f"vantiq-config-{n:05d}"))
        if n % 100 == 0:
            sc.add(*_helm_release(sc, f"app-{n:05d}", ns))
    return sc


def _renamed(obj: Obj, namespace: str | None, name: str | None = None) -> Obj:
    item = copy.deepcopy(obj)
    item["metadata"]["name"] = name or item["metadata"]["name"]
    if namespace is not None:
        item["metadata"]["namespace"] = namespace
    return item


def _helm_release(sc: Scenario, release: str, ns: str) -> list[Obj]:
    manifest = (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {release}\n  namespace: {ns}\n"
    )
    return [
        _with_meta(
            helm.release_secret(
                _release(release, ns, rev, "deployed" if rev == 2 else "superseded", manifest)
            ),
            sc.clock,
        )
        for rev in (1, 2)
    ]


def write_snapshot(sc: Scenario, root: Path) -> Path:
    """`kubectl get KIND -A -o json` files: one per kind, as the README says to capture them."""
    write_get_output(sc, root, yaml_kinds=())
    return root
