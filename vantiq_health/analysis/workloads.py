"""WL: pods that crash, fail their probes, hang in init, or workloads short of replicas."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta

from vantiq_health.analysis.k8s import (
    SHORT_KIND,
    Obj,
    ago,
    container_statuses,
    containers,
    edit_command,
    event_container,
    label_selector_matches,
    name,
    namespace,
    owner,
    parse_time,
)
from vantiq_health.findings import Finding, ObjectRef, finding

BAD_WAITING = {
    "CrashLoopBackOff": "is crash-looping",
    "ImagePullBackOff": "cannot pull its image",
    "ErrImagePull": "cannot pull its image",
    "InvalidImageName": "has an invalid image name",
    "CreateContainerConfigError": "cannot be created: its configuration is broken",
    "CreateContainerError": "cannot be created",
    "RunContainerError": "cannot be started",
}
_PROBE = re.compile(r"^(Readiness|Liveness|Startup) probe failed: (.*)", re.DOTALL)
_ENDPOINT = re.compile(r"dial tcp ([\d.]+):(\d+): (connect: connection refused|i/o timeout)")


def _job_owned(pod: Obj) -> bool:
    found = owner(pod)
    return bool(found and found[0] == "Job")


def _fix_for(pod: Obj, container: str, reason: str) -> list[str]:
    ns, pod_name = namespace(pod), name(pod)
    fixes = [
        f"kubectl logs -n {ns} {pod_name} -c {container} --previous",
        f"kubectl describe pod -n {ns} {pod_name}",
    ]
    if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
        fixes.append(f"kubectl get pod -n {ns} {pod_name} -o jsonpath='{{.spec.imagePullSecrets}}'")
    if reason == "CreateContainerConfigError":
        fixes.append("the event names the missing Secret or key: see SEC001")
    return fixes


def _last_termination(cs: Obj) -> Obj:
    return ((cs.get("lastState") or {}).get("terminated")) or {}


def crashing_pods(pods: list[Obj], now: datetime, restart_limit: float, window_hours: float) -> list[Finding]:
    """WL001: containers waiting in a failure state, in Error, or restarting too often."""
    found = []
    for pod in pods:
        if _finished(pod):
            continue
        for cs, is_init in container_statuses(pod):
            item = _crash_finding(pod, cs, is_init, now, restart_limit, window_hours)
            if item:
                found.append(item)
    return found


def _finished(pod: Obj) -> bool:
    """Pods that will never run again: done, or failed (evicted, node shut down) and replaced by their controller."""
    phase = (pod.get("status") or {}).get("phase")
    return phase == "Succeeded" or (phase == "Failed" and owner(pod) is not None)


def _crash_finding(
    pod: Obj, cs: Obj, is_init: bool, now: datetime, restart_limit: float, window_hours: float
) -> Finding | None:
    state = cs.get("state") or {}
    where = f"pod {namespace(pod)}/{name(pod)}, {'init ' if is_init else ''}container {cs.get('name')}"
    restarts = int(cs.get("restartCount") or 0)
    last = _last_termination(cs)
    evidence = [f"restarts: {restarts}"]
    if last:
        evidence.append(
            f"last exit: {last.get('reason', '?')} (exit code {last.get('exitCode', '?')}) "
            f"at {last.get('finishedAt', '?')}"
        )
    waiting = state.get("waiting") or {}
    reason = waiting.get("reason", "")
    if reason in BAD_WAITING:
        if waiting.get("message"):
            evidence.insert(0, f"{reason}: {waiting['message']}")
        if reason in ("ImagePullBackOff", "ErrImagePull", "InvalidImageName"):
            evidence.append(f"image: {cs.get('image', '?')}")
        return finding(
            "WL001",
            f"{where} {BAD_WAITING[reason]} ({reason})",
            evidence,
            _fix_for(pod, cs["name"], reason),
            object=ObjectRef.of(pod, "Pod"),
        )
    terminated = state.get("terminated") or {}
    if terminated.get("reason") == "Error" and not _job_owned(pod):
        evidence.insert(
            0, f"exit code {terminated.get('exitCode', '?')} at {terminated.get('finishedAt', '?')}"
        )
        fix = _fix_for(pod, cs["name"], "Error")
        return finding("WL001", f"{where} is in Error", evidence, fix, object=ObjectRef.of(pod, "Pod"))
    finished = parse_time(last.get("finishedAt"))
    recent = finished is not None and now - finished <= timedelta(hours=window_hours)
    if restarts > restart_limit and recent:
        assert finished is not None
        return finding(
            "WL001",
            f"{where} has restarted {restarts} times (limit {int(restart_limit)}), the last {ago(finished, now)}",
            evidence,
            _fix_for(pod, cs["name"], "restarts"),
            object=ObjectRef.of(pod, "Pod"),
        )
    return None


# -- WL002 --------------------------------------------------------------------
def _probe(container: Obj, kind: str) -> Obj:
    return container.get(f"{kind.lower()}Probe") or {}


def probe_budget(probe: Obj) -> int:
    """Seconds a probe allows before it gives up: initialDelay + failureThreshold × period."""
    return int(
        probe.get("initialDelaySeconds", 0)
        + probe.get("failureThreshold", 3) * probe.get("periodSeconds", 10)
    )


def _started_to_ready(pod: Obj, cs: Obj, now: datetime, kind: str) -> tuple[int | None, str]:
    """How long the container took (or has taken so far) to start, as the probe saw it."""
    last = _last_termination(cs)
    begin, end = parse_time(last.get("startedAt")), parse_time(last.get("finishedAt"))
    if kind == "Liveness" and begin and end:
        return int((end - begin).total_seconds()), "ran before its liveness probe killed it"
    started = parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
    if started is None:
        return None, ""
    if not cs.get("ready"):
        return int((now - started).total_seconds()), "has run without becoming ready"
    cond: Obj = next(
        (c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    ready_at = parse_time(cond.get("lastTransitionTime"))
    if ready_at and ready_at >= started:
        return int((ready_at - started).total_seconds()), "took to become ready"
    return None, ""


def probe_failures(pods: list[Obj], events: list[Obj], now: datetime) -> list[Finding]:
    """WL002: Unhealthy events of pods that are not ready now, or were restarted by liveness."""
    by_pod = {name(p): p for p in pods}
    grouped: dict[tuple[str, str, str], list[Obj]] = defaultdict(list)
    for event in events:
        pod = by_pod.get((event.get("involvedObject") or {}).get("name", ""))
        if pod is None or event.get("reason") != "Unhealthy":
            continue
        match = _PROBE.match(event.get("message") or "")
        container = event_container(event) or _only_container(pod)
        if match and container:
            grouped[(name(pod), container, match.group(1))].append(event)
    found = []
    for (pod_name, container, kind), evs in sorted(grouped.items()):
        item = _probe_finding(by_pod[pod_name], container, kind, evs, now)
        if item:
            found.append(item)
    return found


def _only_container(pod: Obj) -> str | None:
    names = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
    return names[0] if len(names) == 1 else None


def _probe_finding(pod: Obj, container: str, kind: str, events: list[Obj], now: datetime) -> Finding | None:
    cs = next((c for c, _ in container_statuses(pod, init=False) if c.get("name") == container), {})
    spec = next((c for c in containers(pod.get("spec") or {}) if c.get("name") == container), {})
    restarts = int(cs.get("restartCount") or 0)
    if cs.get("ready") and not (kind == "Liveness" and restarts > 0):
        return None  # failures during a start that then succeeded are normal
    count = sum(int(e.get("count") or 1) for e in events)
    last = max(events, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    probe = _probe(spec, kind)
    budget = probe_budget(probe)
    took, how = _started_to_ready(pod, cs, now, kind)
    if kind != "Liveness" and not restarts and took is not None and took < budget:
        return None  # still within the start-up the probe allows (a pod a deploy just started)
    message = (last.get("message") or "").strip()
    evidence = [f"{count}× {message} (last at {last.get('lastTimestamp') or last.get('eventTime')})"]
    evidence.append(
        f"{kind.lower()} probe budget: initialDelaySeconds {probe.get('initialDelaySeconds', 0)} + "
        f"failureThreshold {probe.get('failureThreshold', 3)} × periodSeconds {probe.get('periodSeconds', 10)}"
        f" = {budget} s"
    )
    if took is not None:
        evidence.append(f"the container {how}: {took} s")
    evidence.append(f"restarts: {restarts}; ready now: {bool(cs.get('ready'))}")
    fixes = _probe_fixes(pod, container, kind, probe, took, budget, message)
    state = "restarted by its liveness probe" if kind == "Liveness" and restarts else "not ready"
    return finding(
        "WL002",
        f"pod {namespace(pod)}/{pod.get('metadata', {}).get('name')} container {container}: "
        f"{kind.lower()} probe fails and the container is {state}",
        evidence,
        fixes,
        object=ObjectRef.of(pod, "Pod"),
    )


def _probe_fixes(
    pod: Obj, container: str, kind: str, probe: Obj, took: int | None, budget: int, message: str
) -> list[str]:
    fixes = []
    slow = took is not None and took >= budget
    if slow or kind == "Liveness":
        period = int(probe.get("periodSeconds", 10))
        need = (took or budget) + 30  # the measured start plus a margin
        threshold = math.ceil(max(need - int(probe.get("initialDelaySeconds", 0)), period) / period)
        fixes.append(
            f"{edit_command(pod)}  # container {container}: {kind.lower()}Probe.initialDelaySeconds "
            f">= {need - threshold * period if need - threshold * period > 0 else need} or "
            f"failureThreshold >= {threshold} (budget >= {need} s)"
        )
    endpoint = _ENDPOINT.search(message)
    if endpoint:
        node = (pod.get("spec") or {}).get("nodeName", "?")
        pod_ip = (pod.get("status") or {}).get("podIP")
        moved = pod_ip and endpoint.group(1) != pod_ip
        fixes.append(
            f"{endpoint.group(1)}:{endpoint.group(2)} {endpoint.group(3)}"
            + (f" (the pod's IP is now {pod_ip})" if moved else "")
            + f": if the application is up, check that node {node} reaches pod IPs on other nodes "
            "(security groups / NSG; NET005)"
        )
    fixes.append(f"kubectl describe pod -n {namespace(pod)} {name(pod)}")
    return fixes


# -- WL003 --------------------------------------------------------------------
def stuck_init_containers(
    pods: list[Obj],
    now: datetime,
    limit_minutes: float,
    read_log: Callable[[Obj, str], list[str]],
    pointers: dict[str, str],
) -> list[Finding]:
    """WL003: init containers running longer than the limit, with their last log lines."""
    found = []
    for pod in pods:
        for cs, is_init in container_statuses(pod):
            started = parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
            if not is_init or started is None or now - started < timedelta(minutes=limit_minutes):
                continue
            container = str(cs.get("name"))
            lines = read_log(pod, container)
            evidence = [
                f"running since {started.isoformat()} ({ago(started, now)}; limit {limit_minutes:g} min)"
            ]
            evidence.extend(f"log: {line}" for line in lines)
            hint = pointers.get(container, "read its log for what it waits on")
            found.append(
                finding(
                    "WL003",
                    f"pod {namespace(pod)}/{name(pod)}: init container {container} is stuck running; {hint}",
                    evidence,
                    [f"kubectl logs -n {namespace(pod)} {name(pod)} -c {container} --tail=50"],
                    object=ObjectRef.of(pod, "Pod"),
                )
            )
    return found


# -- WL004 --------------------------------------------------------------------
def _desired_ready(obj: Obj) -> tuple[int, int]:
    status = obj.get("status") or {}
    if obj.get("kind") == "DaemonSet":
        return int(status.get("desiredNumberScheduled") or 0), int(status.get("numberReady") or 0)
    replicas = (obj.get("spec") or {}).get("replicas")
    return int(1 if replicas is None else replicas), int(status.get("readyReplicas") or 0)


def unready_workloads(workloads: list[Obj], pods: list[Obj], required: dict[str, str]) -> list[Finding]:
    """WL004: workloads with fewer ready replicas than desired; required ones that are missing."""
    found = []
    present = {name(w) for w in workloads}
    for role, wanted in required.items():
        if wanted not in present:
            found.append(
                finding(
                    "WL004",
                    f"no StatefulSet, Deployment or DaemonSet named {wanted} ({role}) in this namespace",
                    [f"present: {', '.join(sorted(present)) or 'none'}"],
                    [
                        "deploy the component, or set its name in vantiq-health.toml ([names] / [namespaces.NS])"
                    ],
                )
            )
    for wl in workloads:
        desired, ready = _desired_ready(wl)
        if ready >= desired:
            continue
        selector = (wl.get("spec") or {}).get("selector")
        mine = [
            p for p in pods if label_selector_matches(selector, (p.get("metadata") or {}).get("labels") or {})
        ]
        evidence = [_pod_state(p) for p in mine if not _pod_ready(p)] or ["no pods exist for it"]
        short = SHORT_KIND.get(str(wl.get("kind")), str(wl.get("kind", "")).lower())
        found.append(
            finding(
                "WL004",
                f"{wl.get('kind')} {namespace(wl)}/{name(wl)} has {ready}/{desired} replicas ready",
                evidence,
                [f"kubectl describe {short} {name(wl)} -n {namespace(wl)}", "see WL001/WL002 for its pods"],
                object=ObjectRef.of(wl),
            )
        )
    return found


def _pod_ready(pod: Obj) -> bool:
    conds = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def _pod_state(pod: Obj) -> str:
    states = []
    for cs, is_init in container_statuses(pod):
        state = cs.get("state") or {}
        for key in ("waiting", "terminated"):
            if key in state and not (is_init and state[key].get("reason") == "Completed"):
                states.append(f"{cs.get('name')}: {state[key].get('reason', key)}")
        if "running" in state and not cs.get("ready") and not is_init:
            states.append(f"{cs.get('name')}: running, not ready")
        if "running" in state and is_init:
            states.append(f"{cs.get('name')} (init): running")
    phase = (pod.get("status") or {}).get("phase", "?")
    return f"pod {name(pod)}: {phase}" + (f" ({'; '.join(states)})" if states else "")
