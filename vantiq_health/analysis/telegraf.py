"""MT004/MT006: what the telegraf logs say — a full InfluxDB volume, targets telegraf cannot reach.

The line shapes are the operations notes' (telegraf 1.x):
  telegraf-ds   `W! [inputs.kubernetes] Collection took longer than expected; not complete after interval of 30s`
                (it reads the kubelet of its own node)
  telegraf-prom `E! [inputs.prometheus] Error in plugin: error making HTTP request to http://IP:PORT/metrics:
                Get "http://IP:PORT/metrics": dial tcp IP:PORT: i/o timeout (Client.Timeout exceeded while awaiting headers)`
  either        `E! [outputs.influxdb] When writing to [http://influxdb:8086]: 500 Internal Server Error:
                engine: error writing WAL entry: write /var/lib/influxdb/wal/...: no space left on device`
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.i18n import msg

DISK_FULL = ("no space left on device", "engine: error writing WAL entry")
SLOW = "Collection took longer than expected"
TIMEOUTS = ("i/o timeout", "Client.Timeout exceeded")
KUBELET_PORT = 10250
_URL = re.compile(r"error making HTTP request to (\S+?):? Get ")
_DIAL = re.compile(r"dial tcp (\[[0-9a-fA-F:]+\]|[^\s:]+):(\d+)")


@dataclass(frozen=True)
class TelegrafLog:
    """The recent log of one telegraf container, and where its pod runs."""

    pod: str
    node: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    label: str  # "the kubelet of node X", "MongoDB pod prod/mongodb-1", ...
    namespace: str  # the target's namespace ("" for a node or an unknown address)
    pod: str  # "" unless a pod
    address: str  # host:port as telegraf dials it
    node: str = ""  # the node whose kubelet telegraf-ds reads ("" unless a kubelet)


def disk_full_lines(logs: list[TelegrafLog]) -> list[str]:
    """MT004: the lines that say InfluxDB's volume is full, with the pod that logged them."""
    return [f"{log.pod}: {line}" for log in logs for line in log.lines if any(f in line for f in DISK_FULL)]


def _dialed(line: str) -> tuple[str, int] | None:
    url = _URL.search(line)
    if url:
        parts = urlsplit(url.group(1))
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:  # not a number: fall back to the dial address
            port = 0
        if parts.hostname and port:
            return parts.hostname, port
    dial = _DIAL.search(line)
    return (dial.group(1).strip("[]"), int(dial.group(2))) if dial else None


def _label(pod: Obj, mongodb: tuple[str, ...]) -> tuple[int, str]:
    ns, pod_name = str(pod["metadata"].get("namespace", "")), name(pod)
    labels = (pod.get("metadata") or {}).get("labels") or {}
    if pod_name.startswith(tuple(f"{m}-" for m in mongodb)):
        return 0, msg("MT006.mongodb_pod", pod=f"{ns}/{pod_name}")
    if "ingress-nginx" in pod_name or labels.get("app.kubernetes.io/name") == "ingress-nginx":
        return 1, msg("MT006.ingress_pod", pod=f"{ns}/{pod_name}")
    return 2, msg("MT006.pod", pod=f"{ns}/{pod_name}")


def pod_target(host: str, port: int, pods: list[Obj], mongodb: tuple[str, ...]) -> Target:
    """What telegraf-prom dialed: a pod of the checked namespaces by its IP, else the bare address.

    Pods on the host network share their node's address: MongoDB and the ingress controller,
    the targets telegraf-prom scrapes, go first.
    """
    at = [p for p in pods if (p.get("status") or {}).get("podIP") == host]
    if not at:
        return Target(msg("MT006.no_pod_at", address=f"{host}:{port}"), "", "", f"{host}:{port}")
    _, label, pod = min(((*_label(p, mongodb), p) for p in at), key=lambda t: (t[0], t[1]))
    return Target(label, str(pod["metadata"].get("namespace", "")), name(pod), f"{host}:{port}")


def unreachable(
    logs: list[TelegrafLog], pods: list[Obj], node_ips: dict[str, str], mongodb: tuple[str, ...]
) -> dict[Target, list[str]]:
    """MT006: each target telegraf could not collect from, with the lines that say so."""
    found: dict[Target, list[str]] = {}
    for log in logs:
        for line in log.lines:
            if SLOW in line:
                ip = node_ips.get(log.node, "")
                where = f"{ip}:{KUBELET_PORT}" if ip else f"{log.node}:{KUBELET_PORT}"
                node = log.node or msg("MT006.unknown_node")
                target = Target(
                    msg("MT006.kubelet", node=node), "", "", where, node=log.node or "(unknown node)"
                )
            elif any(t in line for t in TIMEOUTS) and (dialed := _dialed(line)) is not None:
                target = pod_target(*dialed, pods, mongodb)
            else:
                continue
            found.setdefault(target, []).append(f"{log.pod}: {line}")
    return found


def _fix(target: Target, ns: str) -> tuple[list[str], str]:
    if target.node:
        node = target.node
        return (
            [f"kubectl get node {node} -o wide", f"kubectl get networkpolicy -n {ns}"],
            msg("MT006.open_kubelet", port=KUBELET_PORT, node=node),
        )
    if target.pod:
        return (
            [
                f"kubectl get pod -n {target.namespace} {target.pod} -o wide",
                f"kubectl get networkpolicy -n {target.namespace}",
            ],
            msg("MT006.open_path", namespace=ns, address=target.address),
        )
    host = target.address.rsplit(":", 1)[0]
    return [f"kubectl get pods -A -o wide | grep {host}"], msg("MT006.find_address")


def _object(target: Target) -> ObjectRef | None:
    if target.pod:
        return ObjectRef("Pod", target.namespace, target.pod)
    if target.node:
        return ObjectRef("Node", None, target.node)
    return None


def collection_findings(found: dict[Target, list[str]], ns: str) -> list[Finding]:
    """MT006: one finding per unreachable target, naming it."""
    findings = []
    for target, lines in sorted(found.items(), key=lambda kv: kv[0].label):
        fix, advice = _fix(target, ns)
        findings.append(
            finding(
                "MT006",
                msg("MT006.cannot_collect", target=target.label, address=target.address, n=len(lines)),
                lines[-3:],
                fix,
                object=_object(target),
                advice=[advice],
            )
        )
    return findings


def node_addresses(nodes: list[Obj]) -> dict[str, str]:
    """Node name -> InternalIP: the address telegraf-ds dials the kubelet at."""
    found = {}
    for node in nodes:
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                found[name(node)] = str(addr.get("address", ""))
    return found
