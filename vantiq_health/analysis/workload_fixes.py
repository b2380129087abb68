"""What to do about a WL finding: the commands and advice of the troubleshooting notes.

workloads.py finds; this module says what the operator runs next, with the real names
filled in. Commands paste as they are; prose goes to the advice.
"""

from __future__ import annotations

import json
import math
import re

from vantiq_health.analysis.k8s import SHORT_KIND, Obj, name, namespace, owner
from vantiq_health.i18n import msg

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
        ], [msg("WL001.pull_advice")]
    if reason == "CreateContainerConfigError":
        return [describe], [msg("WL001.config_advice")]
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
        advice.append(msg("WL002.http_advice", probe=kind.lower(), code=code))
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
        moved = msg("WL002.moved", ip=pod_ip) if pod_ip and endpoint.group(1) != pod_ip else ""
        advice.append(
            msg(
                "WL002.endpoint_advice",
                endpoint=f"{endpoint.group(1)}:{endpoint.group(2)} {endpoint.group(3)}",
                moved=moved,
                node=node,
            )
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
    took_text = msg("WL002.container_took", took=took) if took else ""
    advice = [
        msg(
            "WL002.budget_advice",
            field=field,
            budget=budget,
            took=took_text,
            threshold=threshold,
            total=delay + threshold * period,
        )
    ]
    if answer == "timeout":
        advice.append(msg("WL002.timeout_advice", timeout=probe.get("timeoutSeconds", 1)))
    found = owner(pod)
    if not found or found[0] not in ("Deployment", "StatefulSet", "DaemonSet"):
        advice.append(msg("WL002.no_controller", pod=name(pod), field=field))
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
_TCP_ADVICE = msg("WL003.tcp_advice")
_DOMAIN_ADVICE = msg("WL003.domain_advice")
_PRIVATE_ADVICE = msg("WL003.private_advice")


def init_remedy(pod: Obj, container: str, role: str, lines: list[str]) -> tuple[str, list[str], list[str]]:
    """(cause for the diagnosis, commands, advice) by what the init container is and what it logged."""
    ns, pod_name = namespace(pod), name(pod)
    logs = f"kubectl logs -n {ns} {pod_name} -c {container} --tail=50"
    text = "\n".join(lines)
    if role == "bootstrap":
        resolv = f"kubectl exec -n {ns} {pod_name} -c {container} -- cat /etc/resolv.conf"
        domain = _DOMAIN.search(text)
        if not lines or (domain and not domain.group(1).rstrip(".").endswith(".cluster.local")):
            cause = msg("WL003.cause_domain")
            return cause, [logs, resolv], [_DOMAIN_ADVICE, _TCP_ADVICE]
        lookup = _LOOKUP.search(text)
        cause = msg("WL003.cause_lookup")
        fix = [logs, resolv]
        if lookup:
            cause = msg("WL003.cause_lookup_on", name=lookup.group(1), server=lookup.group(2))
            fix.append(f"kubectl get svc -n kube-system -o wide | grep {lookup.group(2)}")
        return cause, fix, [_TCP_ADVICE, _DOMAIN_ADVICE]
    if role == "keycloak_init":
        fix = [logs, "kubectl get nodes -o wide", f"kubectl get pod -n {ns} {pod_name} -o wide"]
        if "HTTPS required" in text:
            return msg("WL003.cause_https"), fix, [_PRIVATE_ADVICE]
        return msg("WL003.cause_keycloak"), fix, [msg("WL003.keycloak_advice"), _PRIVATE_ADVICE]
    return "", [logs], [msg("WL003.log_advice")]
