"""Write a scenario as a user would capture it: `kubectl get -o json|yaml` and cluster-info dump."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path

import yaml

from tests.scenarios.installation import Scenario
from tests.scenarios.objects import Obj

DUMP_KINDS = {
    "Pod": "pods",
    "Event": "events",
    "Service": "services",
    "Deployment": "deployments",
    "DaemonSet": "daemonsets",
    "ReplicaSet": "replicasets",
}
PLURAL = {
    "Endpoints": "endpoints",
    "PersistentVolumeClaim": "persistentvolumeclaims",
    "PersistentVolume": "persistentvolumes",
    "StorageClass": "storageclasses",
    "Ingress": "ingresses",
}


def plural(kind: str) -> str:
    return PLURAL.get(kind, kind.lower() + "s")


def _version(sc: Scenario) -> dict[str, object]:
    minor = sc.version.split(".")[1]
    server = {"major": "1", "minor": minor, "gitVersion": f"v1.{minor}.4", "platform": "linux/amd64"}
    return {
        "clientVersion": {"major": "1", "minor": "32", "gitVersion": "v1.32.4"},
        "kustomizeVersion": "v5.5.0",
        "serverVersion": server,
    }


def _logs(sc: Scenario, root: Path) -> None:
    by_pod: dict[tuple[str, str], list[str]] = defaultdict(list)
    for (ns, pod, container), text in sorted(sc.logs.items()):
        where = f"container {container} of pod {ns}/{pod}"
        by_pod[(ns, pod)].append(
            f"==== START logs for {where} ====\n{text.rstrip()}\n==== END logs for {where} ====\n"
        )
    for (ns, pod), blocks in by_pod.items():
        (root / ns / pod).mkdir(parents=True, exist_ok=True)
        (root / ns / pod / "logs.txt").write_text("".join(blocks))


def write_get_output(
    sc: Scenario, root: Path, *, yaml_kinds: tuple[str, ...] = ("ConfigMap",), managed_fields: bool = True
) -> Path:
    """One `kubectl get KIND -A -o json` file per kind (some as -o yaml), version.json and pod logs."""
    root.mkdir(parents=True, exist_ok=True)
    by_kind: dict[str, list[Obj]] = defaultdict(list)
    for obj in sc.objects:
        item = copy.deepcopy(obj)
        if not managed_fields:
            item["metadata"].pop("managedFields", None)
        by_kind[obj["kind"]].append(item)
    for kind, items in by_kind.items():
        doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
        if kind in yaml_kinds:
            (root / f"{plural(kind)}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
        else:
            (root / f"{plural(kind)}.json").write_text(json.dumps(doc, indent=4))
    (root / "version.json").write_text(json.dumps(_version(sc), indent=2))
    _logs(sc, root)
    _node_docs(sc, root)
    return root


def _node_docs(sc: Scenario, root: Path) -> None:
    """As the README's capture writes them: `kubectl get --raw .../proxy/configz > configz-NODE.json`."""
    for (node, path), doc in sorted(sc.node_docs.items()):
        stem = "stats-summary" if path == "stats/summary" else "configz"
        (root / f"{stem}-{node}.json").write_text(json.dumps(doc))


def write_cluster_info_dump(sc: Scenario, root: Path) -> Path:
    """`kubectl cluster-info dump --all-namespaces --output-directory` plus `kubectl get` for the rest."""
    dump = root / "dump"
    dump.mkdir(parents=True, exist_ok=True)
    typed: dict[tuple[str | None, str], list[Obj]] = defaultdict(list)
    rest: dict[str, list[Obj]] = defaultdict(list)
    namespaces = {o["metadata"].get("namespace") for o in sc.objects} - {None}
    for obj in sc.objects:
        item = copy.deepcopy(obj)
        ns = item["metadata"].get("namespace")
        if item["kind"] == "Node":
            typed[(None, "nodes")].append(item)
        elif item["kind"] in DUMP_KINDS:
            typed[(ns, DUMP_KINDS[item["kind"]])].append(item)
        else:
            rest[item["kind"]].append(item)
    for ns in namespaces:
        for resource in (*DUMP_KINDS.values(), "replicationcontrollers"):
            typed.setdefault((ns, resource), [])
    for (ns, resource), items in typed.items():
        kind = next(
            (k for k, r in DUMP_KINDS.items() if r == resource),
            "ReplicationController" if resource != "nodes" else "Node",
        )
        for item in items:  # typed lists carry no kind on their items
            item.pop("kind", None)
            item.pop("apiVersion", None)
        folder = dump / ns if ns else dump
        folder.mkdir(parents=True, exist_ok=True)
        doc = {
            "kind": f"{kind}List",
            "apiVersion": "v1",
            "metadata": {"resourceVersion": "12345"},
            "items": items,
        }
        (folder / f"{resource}.json").write_text(json.dumps(doc, indent=4))
    _logs(sc, dump)
    extra = root / "get"
    extra.mkdir(parents=True, exist_ok=True)
    for kind, items in rest.items():
        (extra / f"{plural(kind)}.json").write_text(
            json.dumps({"apiVersion": "v1", "kind": "List", "items": items}, indent=2)
        )
    (extra / "version.json").write_text(json.dumps(_version(sc)))
    return root
