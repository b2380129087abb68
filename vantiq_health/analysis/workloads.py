"""WL: pods that crash, fail their probes, hang in init, or workloads short of replicas."""

from __future__ import annotations

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
    event_container,
    label_selector_matches,
    name,
    namespace,
    owner,
    parse_time,
)
from vantiq_health.analysis.workload_fixes import PULL_REASONS, crash_fix, init_remedy, probe_fixes
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.i18n import Msg, msg

BAD_WAITING = {
    "CrashLoopBackOff": msg("WL001.crash_looping"),
    "ImagePullBackOff": msg("WL001.cannot_pull"),
    "ErrImagePull": msg("WL001.cannot_pull"),
    "InvalidImageName": msg("WL001.invalid_image"),
    "CreateContainerConfigError": msg("WL001.config_broken"),
    "CreateContainerError": msg("WL001.cannot_create"),
    "RunContainerError": msg("WL001.cannot_start"),
}
_PROBE = re.compile(r"^(Readiness|Liveness|Startup) probe failed: (.*)", re.DOTALL)


def _job_owned(pod: Obj) -> bool:
    found = owner(pod)
    return bool(found and found[0] == "Job")


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
    pod_ref, container = f"{namespace(pod)}/{name(pod)}", cs.get("name")
    where = msg("WL001.where_init" if is_init else "WL001.where", pod=pod_ref, container=container)
    restarts = int(cs.get("restartCount") or 0)
    last = _last_termination(cs)
    evidence: list[str] = [msg("WL001.restarts", n=restarts)]
    if last:
        evidence.append(
            msg(
                "WL001.last_exit",
                reason=last.get("reason", "?"),
                code=last.get("exitCode", "?"),
                at=last.get("finishedAt", "?"),
            )
        )
    waiting = state.get("waiting") or {}
    reason = waiting.get("reason", "")
    if reason in BAD_WAITING:
        if waiting.get("message"):
            evidence.insert(0, f"{reason}: {waiting['message']}")
        if reason in PULL_REASONS:
            evidence.append(msg("WL001.image", image=cs.get("image", "?")))
        fix, advice = crash_fix(pod, cs["name"], reason)
        return finding(
            "WL001",
            msg("WL001.waiting", where=where, state=BAD_WAITING[reason], reason=reason),
            evidence,
            fix,
            advice=advice,
            object=ObjectRef.of(pod, "Pod"),
        )
    terminated = state.get("terminated") or {}
    if terminated.get("reason") == "Error" and not _job_owned(pod):
        evidence.insert(
            0,
            msg(
                "WL001.exit_code", code=terminated.get("exitCode", "?"), at=terminated.get("finishedAt", "?")
            ),
        )
        fix = crash_fix(pod, cs["name"], "Error")[0]
        return finding(
            "WL001", msg("WL001.in_error", where=where), evidence, fix, object=ObjectRef.of(pod, "Pod")
        )
    finished = parse_time(last.get("finishedAt"))
    recent = finished is not None and now - finished <= timedelta(hours=window_hours)
    if restarts > restart_limit and recent:
        assert finished is not None
        return finding(
            "WL001",
            msg("WL001.restarted", where=where, n=restarts, limit=int(restart_limit), ago=ago(finished, now)),
            evidence,
            crash_fix(pod, cs["name"], "restarts")[0],
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


def _started_to_ready(pod: Obj, cs: Obj, now: datetime, kind: str) -> tuple[int | None, Msg | str]:
    """How long the container took (or has taken so far) to start, as the probe saw it."""
    last = _last_termination(cs)
    begin, end = parse_time(last.get("startedAt")), parse_time(last.get("finishedAt"))
    if kind == "Liveness" and begin and end:
        return int((end - begin).total_seconds()), msg("WL002.ran_before_killed")
    started = parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
    if started is None:
        return None, ""
    if not cs.get("ready"):
        return int((now - started).total_seconds()), msg("WL002.ran_not_ready")
    cond: Obj = next(
        (c for c in (pod.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), {}
    )
    ready_at = parse_time(cond.get("lastTransitionTime"))
    if ready_at and ready_at >= started:
        return int((ready_at - started).total_seconds()), msg("WL002.took_to_ready")
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
    evidence: list[str] = [
        msg(
            "WL002.events",
            count=count,
            message=message,
            at=last.get("lastTimestamp") or last.get("eventTime"),
        )
    ]
    evidence.append(
        msg(
            "WL002.budget",
            probe=kind.lower(),
            delay=probe.get("initialDelaySeconds", 0),
            threshold=probe.get("failureThreshold", 3),
            period=probe.get("periodSeconds", 10),
            budget=budget,
        )
    )
    if took is not None:
        evidence.append(msg("WL002.took", how=how, took=took))
    evidence.append(msg("WL002.restarts_ready", n=restarts, ready=bool(cs.get("ready"))))
    fixes, advice = probe_fixes(pod, container, kind, probe, took, budget, message)
    key = "WL002.fails_restarted" if kind == "Liveness" and restarts else "WL002.fails_not_ready"
    return finding(
        "WL002",
        msg(
            key,
            pod=f"{namespace(pod)}/{pod.get('metadata', {}).get('name')}",
            container=container,
            probe=kind.lower(),
        ),
        evidence,
        fixes,
        advice=advice,
        object=ObjectRef.of(pod, "Pod"),
    )


# -- WL003 --------------------------------------------------------------------
def stuck_init_containers(
    pods: list[Obj],
    now: datetime,
    limit_minutes: float,
    read_log: Callable[[Obj, str], list[str]],
    roles: dict[str, str],
) -> list[Finding]:
    """WL003: init containers running longer than the limit, with their last log lines.

    roles: container name -> "bootstrap" (MongoDB's peer finder) or "keycloak_init", whose
    remedies the troubleshooting notes give.
    """
    found = []
    for pod in pods:
        for cs, is_init in container_statuses(pod):
            started = parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
            if not is_init or started is None or now - started < timedelta(minutes=limit_minutes):
                continue
            container = str(cs.get("name"))
            lines = read_log(pod, container)
            evidence: list[str] = [
                msg(
                    "WL003.running_since",
                    since=started.isoformat(),
                    ago=ago(started, now),
                    limit=f"{limit_minutes:g}",
                )
            ]
            evidence.extend(msg("WL003.log", line=line) for line in lines or [msg("WL003.log_empty")])
            cause, fix, advice = init_remedy(pod, container, roles.get(container, ""), lines)
            found.append(
                finding(
                    "WL003",
                    msg("WL003.stuck", pod=f"{namespace(pod)}/{name(pod)}", container=container, cause=cause),
                    evidence,
                    fix,
                    advice=advice,
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
                    msg("WL004.missing", name=wanted, role=role),
                    [msg("WL004.present", names=", ".join(sorted(present)) or msg("WL004.none"))],
                    advice=[msg("WL004.missing_advice")],
                )
            )
    for wl in workloads:
        desired, ready = _desired_ready(wl)
        if ready < desired:
            found.append(_short_finding(wl, desired, ready, pods))
    return found


def _short_finding(wl: Obj, desired: int, ready: int, pods: list[Obj]) -> Finding:
    selector = (wl.get("spec") or {}).get("selector")
    labels = [(p.get("metadata") or {}).get("labels") or {} for p in pods]
    unready = [p for p, lab in zip(pods, labels, strict=True) if label_selector_matches(selector, lab)]
    unready = [p for p in unready if not _pod_ready(p)]
    short = SHORT_KIND.get(str(wl.get("kind")), str(wl.get("kind", "")).lower())
    ns, wl_name = namespace(wl), name(wl)
    fix = [f"kubectl describe {short} {wl_name} -n {ns}"]
    causes = []
    for pod in unready[:3]:
        cause, command = _pod_cause(pod)
        causes.append(cause)
        fix.extend(c for c in [command] if c and c not in fix)
    head = msg("WL004.short", kind=wl.get("kind"), name=f"{ns}/{wl_name}", ready=ready, desired=desired)
    diagnosis = (
        msg("WL004.short_causes", head=head, causes=msg("common.joined", items=tuple(causes)))
        if causes
        else msg("WL004.short_no_pod", head=head)
    )
    evidence: list[str] = [_pod_state(p) for p in unready] or [msg("WL004.no_pods")]
    return finding("WL004", diagnosis, evidence, fix, object=ObjectRef.of(wl))


def _pod_cause(pod: Obj) -> tuple[str, str | None]:
    """What keeps a pod from being ready, as far as its status shows, and the command that shows more."""
    ns, pod_name = namespace(pod), name(pod)
    describe = f"kubectl describe pod -n {ns} {pod_name}"
    for cs, is_init in container_statuses(pod):
        state = cs.get("state") or {}
        waiting = (state.get("waiting") or {}).get("reason", "")
        cname = cs.get("name")
        if is_init and "running" in state:
            logs = f"kubectl logs -n {ns} {pod_name} -c {cname} --tail=50"
            return msg("WL004.stuck_init", pod=pod_name, container=cname), logs
        if waiting in BAD_WAITING:
            logs = f"kubectl logs -n {ns} {pod_name} -c {cname} --previous"
            return msg(
                "WL004.waiting", pod=pod_name, container=cname, state=BAD_WAITING[waiting], reason=waiting
            ), (describe if waiting in PULL_REASONS or waiting.startswith("Create") else logs)
    for cond in (pod.get("status") or {}).get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            return (
                msg("WL004.unschedulable", pod=pod_name, why=cond.get("message") or cond.get("reason")),
                describe,
            )
    running = [
        cs.get("name")
        for cs, init in container_statuses(pod)
        if not init and "running" in (cs.get("state") or {})
    ]
    if running:
        return (
            msg("WL004.not_ready", pod=pod_name, container=running[0]),
            describe,
        )
    phase = (pod.get("status") or {}).get("phase", "?")
    return msg("WL004.phase", pod=pod_name, phase=phase), describe


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
            states.append(msg("WL004.state_not_ready", container=cs.get("name")))
        if "running" in state and is_init:
            states.append(msg("WL004.state_init_running", container=cs.get("name")))
    phase = (pod.get("status") or {}).get("phase", "?")
    if not states:
        return msg("WL004.pod_state", pod=name(pod), phase=phase)
    return msg(
        "WL004.pod_states", pod=name(pod), phase=phase, states=msg("common.joined", items=tuple(states))
    )
