"""What to do about a WL finding: the commands and advice of the troubleshooting notes.

workloads.py finds; this module says what the operator runs next, with the real names
filled in. Commands paste as they are; prose goes to the advice.
"""

from __future__ import annotations

import json
import math
import re

from vantiq_health.analysis.k8s import SHORT_KIND, Obj, name, namespace, owner

_HTTP_5XX = re.compile(r"statuscode: (5\d\d)")
_TIMEOUT = re.compile(r"deadline exceeded|Client\.Timeout|i/o timeout|timed out", re.IGNORECASE)
_ENDPOINT = re.compile(r"dial tcp ([\d.]+):(\d+): (connect: connection refused|i/o timeout)")

PULL_REASONS = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName")


def crash_fix(pod: Obj, container: str, reason: str) -> tuple[list[str], list[str]]:
    """(commands, advice) for a container that crashes or cannot start."""
    ns, pod_name = namespace(pod), name(pod)
    describe = f"kubectl describe pod -n {ns} {pod_name}"
    if reason in PULL_REASONS:
        return [
            describe,
            f"kubectl get pod -n {ns} {pod_name} -o jsonpath='{{.spec.imagePullSecrets}}'",
        ], ["Check the image name and tag, and that the nodes reach the registry with the pull secret."]
    if reason == "CreateContainerConfigError":
        return [describe], ["The event names the missing Secret or key: create it (SEC001 lists them)."]
    return [f"kubectl logs -n {ns} {pod_name} -c {container} --previous", describe], []


# -- WL002 --------------------------------------------------------------------
def probe_answer(message: str) -> str:
    """How the probe failed: "5xx" (the application answered and is failing), "timeout", "refused", "other"."""
    if _HTTP_5XX.search(message):
        return "5xx"
    if _TIMEOUT.search(message):
        return "timeout"
    return "refused" if "connection refused" in message else "other"


def probe_fixes(
    pod: Obj, container: str, kind: str, probe: Obj, took: int | None, budget: int, message: str
) -> tuple[list[str], list[str]]:
    """(commands, advice): a bigger budget for a slow start, the log for an application that fails."""
    ns, pod_name, answer = namespace(pod), name(pod), probe_answer(message)
    fixes, advice = [], []
    http = _HTTP_5XX.search(message)
    if http:
        code = http.group(1)
        fixes.append(f"kubectl logs -n {ns} {pod_name} -c {container} --tail=100")
        advice.append(
            f"The application answers its {kind.lower()} probe with HTTP {code}: it is up and reports itself "
            "failing. More probe time does not help: its log names what it cannot reach or do."
        )
    elif (took is not None and took >= budget) or kind == "Liveness" or answer == "timeout":
        budget_fix, budget_advice = _budget_fix(pod, container, kind, probe, took, budget, answer)
        fixes.extend(budget_fix)
        advice.extend(budget_advice)
    if kind == "Liveness" and answer != "5xx":
        fixes.append(f"kubectl logs -n {ns} {pod_name} -c {container} --previous")
    endpoint = _ENDPOINT.search(message)
    if endpoint:
        node = (pod.get("spec") or {}).get("nodeName", "?")
        pod_ip = (pod.get("status") or {}).get("podIP")
        moved = f" (the pod's IP is now {pod_ip})" if pod_ip and endpoint.group(1) != pod_ip else ""
        advice.append(
            f"{endpoint.group(1)}:{endpoint.group(2)} {endpoint.group(3)}{moved}: if the application is up, "
            f"check that node {node} reaches pod IPs on other nodes and open pod traffic between the nodes "
            "(security groups / NSG)."
        )
    fixes.append(f"kubectl describe pod -n {ns} {pod_name}")
    return fixes, advice


def _budget_fix(
    pod: Obj, container: str, kind: str, probe: Obj, took: int | None, budget: int, answer: str
) -> tuple[list[str], list[str]]:
    period, delay = int(probe.get("periodSeconds", 10)), int(probe.get("initialDelaySeconds", 0))
    need = (took or budget) + 30  # the measured start plus a margin
    threshold = math.ceil(max(need - delay, period) / period)
    field = f"{kind.lower()}Probe"
    advice = [
        f"The {field} gives up after {budget} s{f' and the container took {took} s' if took else ''}: "
        f"failureThreshold {threshold} gives it {delay + threshold * period} s. A patch lasts until the next "
        "deploy: set the same value in the deploy configuration."
    ]
    if answer == "timeout":
        advice.append(
            f"The probe times out (timeoutSeconds {probe.get('timeoutSeconds', 1)}): the application is too slow "
            "to answer. If it stays slow once started, raise timeoutSeconds as well."
        )
    found = owner(pod)
    if not found or found[0] not in ("Deployment", "StatefulSet", "DaemonSet"):
        advice.append(f"Pod {name(pod)} has no controller: change its {field} where the pod is created.")
        return [], advice
    patch = {
        "spec": {
            "template": {
                "spec": {"containers": [{"name": container, field: {"failureThreshold": threshold}}]}
            }
        }
    }
    body = json.dumps(patch, separators=(",", ":"))
    return [f"kubectl patch {SHORT_KIND[found[0]]} {found[1]} -n {namespace(pod)} -p '{body}'"], advice


# -- WL003 --------------------------------------------------------------------
_DOMAIN = re.compile(r"Determined Domain to be (\S+)")
_LOOKUP = re.compile(r"lookup (\S+) on ([\d.]+):53")
_TCP_ADVICE = (
    "The peer finder looks up the MongoDB headless service; with a long namespace name the DNS answer no "
    "longer fits UDP and the resolver retries over TCP, which this cluster blocks. Allow TCP port 53 from "
    "the pods to the cluster DNS (kube-dns / CoreDNS: network policy, security groups / NSG), or deploy "
    "into a shorter namespace name."
)
_DOMAIN_ADVICE = (
    "The peer finder builds its peers' names on the cluster domain cluster.local: on a cluster whose DNS "
    "domain is something else it waits forever, with an empty log. The resolv.conf search line shows the "
    "domain; set the cluster domain to cluster.local."
)
_PRIVATE_ADVICE = (
    "Keycloak refuses plain HTTP (`HTTPS required`) from public addresses: here the nodes or pods have "
    "public IPs. Rebuild the cluster with nodes and pods on private IP ranges (10/8, 172.16/12, 192.168/16)."
)


def init_remedy(pod: Obj, container: str, role: str, lines: list[str]) -> tuple[str, list[str], list[str]]:
    """(cause for the diagnosis, commands, advice) by what the init container is and what it logged."""
    ns, pod_name = namespace(pod), name(pod)
    logs = f"kubectl logs -n {ns} {pod_name} -c {container} --tail=50"
    text = "\n".join(lines)
    if role == "bootstrap":
        resolv = f"kubectl exec -n {ns} {pod_name} -c {container} -- cat /etc/resolv.conf"
        domain = _DOMAIN.search(text)
        if not lines or (domain and not domain.group(1).rstrip(".").endswith(".cluster.local")):
            cause = (
                ": the MongoDB peer finder cannot build its peers' names (cluster domain not cluster.local?)"
            )
            return cause, [logs, resolv], [_DOMAIN_ADVICE, _TCP_ADVICE]
        lookup = _LOOKUP.search(text)
        cause = ": the MongoDB peer finder cannot look up its peers in DNS"
        fix = [logs, resolv]
        if lookup:
            cause += f" ({lookup.group(1)} on {lookup.group(2)})"
            fix.append(f"kubectl get svc -n kube-system -o wide | grep {lookup.group(2)}")
        return cause, fix, [_TCP_ADVICE, _DOMAIN_ADVICE]
    if role == "keycloak_init":
        fix = [logs, "kubectl get nodes -o wide", f"kubectl get pod -n {ns} {pod_name} -o wide"]
        if "HTTPS required" in text:
            return ": Keycloak refuses it with `HTTPS required`", fix, [_PRIVATE_ADVICE]
        advice = "keycloak-init waits until it can log into Keycloak: its log names the URL and the answer."
        return ": it waits on Keycloak", fix, [advice, _PRIVATE_ADVICE]
    return "", [logs], ["Its log names what it waits on."]
