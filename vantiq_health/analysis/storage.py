"""ST: volumes left Released, claims not Bound, database volumes deleted with their claim, encryption at rest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from vantiq_health.analysis.k8s import SHORT_KIND, Obj, ago, name, namespace, owner, parse_time
from vantiq_health.analysis.storage_fixes import clash_steps, recovery_steps, retain
from vantiq_health.analysis.volumes import by_name, spec_of
from vantiq_health.analysis.volumes import claim_ref as _claim_ref
from vantiq_health.analysis.volumes import phase as _phase
from vantiq_health.analysis.volumes import policy as _policy
from vantiq_health.analysis.volumes import size as _size
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.i18n import msg

ZONE_KEYS = (
    "topology.kubernetes.io/zone",
    "topology.disk.csi.azure.com/zone",
    "failure-domain.beta.kubernetes.io/zone",
)
DEFAULT_CLASS_KEYS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
UNKNOWN = msg("ST001.unknown")


def pv_zone(pv: Obj) -> str | None:
    """The zone of a PersistentVolume: its required node affinity, else its topology labels."""
    terms = ((spec_of(pv).get("nodeAffinity") or {}).get("required") or {}).get("nodeSelectorTerms") or []
    for term in terms:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") in ZONE_KEYS and expr.get("operator") == "In" and expr.get("values"):
                return ",".join(str(v) for v in expr["values"])
    labels = (pv.get("metadata") or {}).get("labels") or {}
    return next((labels[k] for k in ZONE_KEYS if labels.get(k)), None)


def default_class(classes: list[Obj]) -> str | None:
    for sc in classes:
        annotations = (sc.get("metadata") or {}).get("annotations") or {}
        if any(annotations.get(key) == "true" for key in DEFAULT_CLASS_KEYS):
            return name(sc)
    return None


def claim_class(pvc: Obj, classes: list[Obj]) -> str | None:
    """The StorageClass a claim uses: its storageClassName, or the default class when absent ("" = none)."""
    given = spec_of(pvc).get("storageClassName")
    if given is None:
        return default_class(classes)
    return str(given) or None


# -- who mounts a claim ---------------------------------------------------------
@dataclass(frozen=True)
class User:
    """The workload that mounts a claim; how: volume (claimName), template (volumeClaimTemplates), name (guess)."""

    kind: str
    name: str
    replicas: int
    how: str

    @property
    def short(self) -> str:
        return SHORT_KIND.get(self.kind, self.kind.lower())


def _replicas(workload: Obj) -> int:
    value = spec_of(workload).get("replicas")
    return 1 if value is None else int(value)


def _volume_claims(pod_spec: Obj) -> set[str]:
    return {
        str(v["persistentVolumeClaim"].get("claimName"))
        for v in pod_spec.get("volumes") or []
        if v.get("persistentVolumeClaim")
    }


def _template_claims(workload: Obj) -> set[str]:
    return _volume_claims((spec_of(workload).get("template") or {}).get("spec") or {})


def _sts_claim(claim: str, sts_name: str, templates: Iterable[str] | None = None) -> bool:
    """StatefulSets name their claims <template>-<statefulset>-<ordinal>."""
    prefix = "|".join(re.escape(t) for t in templates) if templates is not None else ".+"
    return bool(prefix) and re.fullmatch(rf"(?:{prefix})-{re.escape(sts_name)}-\d+", claim) is not None


def _vct_names(sts: Obj) -> list[str]:
    return [name(t) for t in spec_of(sts).get("volumeClaimTemplates") or []]


def _spec_user(claim: str, workload: Obj, *, guess: bool) -> User | None:
    """From the workload's spec; guess: by naming alone (a StatefulSet's pattern, or the claim's own name)."""
    kind, wl_name = str(workload.get("kind", "")), name(workload)
    if kind == "StatefulSet" and _sts_claim(claim, wl_name, None if guess else _vct_names(workload)):
        return User(kind, wl_name, _replicas(workload), "template")
    if (claim == wl_name) if guess else (claim in _template_claims(workload)):
        return User(kind, wl_name, _replicas(workload), "name" if guess else "volume")
    return None


def _pod_user(claim: str, workloads: list[Obj], pods: list[Obj]) -> User | None:
    for pod in pods:
        found = owner(pod)
        if (
            claim not in _volume_claims(spec_of(pod))
            or not found
            or found[0] not in ("Deployment", "StatefulSet")
        ):
            continue
        wl = next((w for w in workloads if w.get("kind") == found[0] and name(w) == found[1]), {})
        how = "template" if found[0] == "StatefulSet" and _sts_claim(claim, found[1]) else "volume"
        return User(found[0], found[1], _replicas(wl) if wl else 1, how)
    return None


def claim_user(claim: str, workloads: list[Obj], pods: list[Obj]) -> User | None:
    """The Deployment/StatefulSet that mounts a claim: its spec, its pods, else the one named like it."""
    declared = next((u for wl in workloads if (u := _spec_user(claim, wl, guess=False))), None)
    guessed = next((u for wl in workloads if (u := _spec_user(claim, wl, guess=True))), None)
    return declared or _pod_user(claim, workloads, pods) or guessed


def claims_of(workload_name: str, pvcs: list[Obj], workloads: list[Obj], pods: list[Obj]) -> list[str]:
    """The claims of the namespace that a workload mounts (see claim_user)."""
    return [name(c) for c in pvcs if (u := claim_user(name(c), workloads, pods)) and u.name == workload_name]


def _claim_volume(ns: str, claim: str, pvcs: list[Obj], pvs: list[Obj]) -> Obj | None:
    """The PV currently bound to claim ns/claim."""
    pvc = by_name(pvcs).get(claim)
    volume = spec_of(pvc).get("volumeName") if pvc else None
    if volume:
        return by_name(pvs).get(volume)
    return next((pv for pv in pvs if _claim_ref(pv) == (ns, claim) and _phase(pv) == "Bound"), None)


# -- ST001 ----------------------------------------------------------------------
@dataclass(frozen=True)
class StorageContext:
    """One namespace's claims and workloads, and the cluster's volumes."""

    namespace: str
    pvs: list[Obj]
    pvcs: list[Obj]
    workloads: list[Obj]  # StatefulSets and Deployments, with kind
    pods: list[Obj]

    def zones_of(self, workload_name: str) -> list[str]:
        found = []
        for claim in claims_of(workload_name, self.pvcs, self.workloads, self.pods):
            pv = _claim_volume(self.namespace, claim, self.pvcs, self.pvs)
            zone = pv_zone(pv) if pv else None
            if zone and zone not in found:
                found.append(zone)
        return found


def released_volumes(ctx: StorageContext, partners: dict[str, str]) -> list[Finding]:
    """ST001: PVs Released from a claim of this namespace, with the notes' recovery steps.

    partners: workloads that must share a node (grafana <-> grafanadb), so their volumes a zone.
    """
    released = [pv for pv in ctx.pvs if _phase(pv) == "Released" and _claim_ref(pv)[0] == ctx.namespace]
    return [_released_finding(ctx, pv, partners) for pv in sorted(released, key=name)]


def _released_finding(ctx: StorageContext, pv: Obj, partners: dict[str, str]) -> Finding:
    about = ObjectRef.of(pv, "PersistentVolume")
    ns, claim = _claim_ref(pv)
    current = _claim_volume(ns, claim, ctx.pvcs, ctx.pvs)
    old_zone, user = pv_zone(pv), claim_user(claim, ctx.workloads, ctx.pods)
    diagnosis = msg("ST001.released", pv=name(pv), size=_size(pv), claim=f"{ns}/{claim}")
    if current is None:
        diagnosis = msg("ST001.claim_gone", head=diagnosis)
    else:
        diagnosis = msg("ST001.now_bound", head=diagnosis, current=name(current))
        if old_zone and pv_zone(current) and old_zone != pv_zone(current):
            diagnosis = msg("ST001.zones_differ", head=diagnosis, old=old_zone, now=pv_zone(current))
    evidence: list[str] = [
        _volume_line(msg("ST001.old_volume"), pv),
        *([_volume_line(msg("ST001.current_volume"), current)] if current else []),
    ]
    evidence.append(_user_line(ns, claim, user))
    partner = partners.get(user.name) if user else None
    if user and partner:
        evidence.append(_partner_caveat(ctx, user.name, partner, old_zone))
        zones = ctx.zones_of(partner)
        if old_zone and zones and old_zone not in zones:
            diagnosis = msg(
                "ST001.cannot_rebind",
                head=diagnosis,
                workload=user.name,
                partner=partner,
                zones=", ".join(zones),
            )
            fix, advice = clash_steps(pv, user.name, partner, old_zone, zones)
            return finding("ST001", diagnosis, evidence, fix, advice=advice, object=about)
    fix, advice = recovery_steps(pv, current, user, ctx.pvcs)
    return finding("ST001", diagnosis, evidence, fix, advice=advice, object=about)


def _volume_line(label: str, pv: Obj) -> str:
    since = (pv.get("status") or {}).get("lastPhaseTransitionTime")
    modes = ",".join(spec_of(pv).get("accessModes") or [])
    return msg(
        "ST001.volume_line",
        label=label,
        pv=name(pv),
        phase=_phase(pv) or "?",
        since=msg("ST001.since", since=since) if since else "",
        zone=pv_zone(pv) or UNKNOWN,
        size=_size(pv),
        modes=modes,
        sc=spec_of(pv).get("storageClassName") or "(none)",
        policy=_policy(pv),
    )


def _user_line(ns: str, claim: str, user: User | None) -> str:
    if user is None:
        return msg("ST001.no_user", namespace=ns, claim=claim)
    how = msg(f"ST001.user_{user.how}", claim=claim)
    return msg("ST001.user", kind=user.kind, workload=f"{ns}/{user.name}", n=user.replicas, how=how)


def _partner_caveat(ctx: StorageContext, workload: str, partner: str, old_zone: str | None) -> str:
    zones = ctx.zones_of(partner)
    where = (
        msg("ST001.partner_zone", partner=partner, zones=", ".join(zones))
        if zones
        else msg("ST001.partner_zone_unknown", partner=partner)
    )
    clash = msg("ST001.clash") if old_zone and zones and old_zone not in zones else ""
    return msg(
        "ST001.caveat",
        workload=workload,
        partner=partner,
        where=where,
        old_zone=old_zone or msg("ST001.unknown_zone"),
        clash=clash,
    )


# -- ST002 ----------------------------------------------------------------------
def unbound_claims(pvcs: list[Obj], events: list[Obj], now: datetime, grace_minutes: float) -> list[Finding]:
    """ST002: claims that are Lost, or Pending for longer than the grace period, with their newest events.

    A claim is Pending while its volume is provisioned (seconds to a few minutes): that is not stuck.
    """
    found = []
    for pvc in sorted(pvcs, key=name):
        phase = _phase(pvc) or "unknown"
        created = parse_time((pvc.get("metadata") or {}).get("creationTimestamp"))
        young = created is not None and now - created < timedelta(minutes=grace_minutes)
        if phase == "Bound" or (phase == "Pending" and young):
            continue
        found.append(_unbound_finding(pvc, phase, created, now, events))
    return found


def _unbound_finding(
    pvc: Obj, phase: str, created: datetime | None, now: datetime, events: list[Obj]
) -> Finding:
    ns, claim, spec = namespace(pvc), name(pvc), spec_of(pvc)
    size = (spec.get("resources") or {}).get("requests", {}).get("storage", "?")
    evidence: list[str] = [
        msg(
            "ST002.requests",
            size=size,
            sc=spec.get("storageClassName") or "(default)",
            volume=spec.get("volumeName") or "-",
            created=msg("ST002.created", ago=ago(created, now)) if created else "",
        )
    ]
    evidence += [
        msg("ST002.event", reason=e.get("reason"), message=e.get("message"))
        for e in _claim_events(claim, events)[-2:]
    ]
    fix = [f"kubectl describe pvc -n {ns} {claim}"]
    if phase == "Lost":
        advice = [msg("ST002.lost_advice")]
    else:
        fix.append("kubectl get storageclass")
        advice = [msg("ST002.pending_advice")]
    about = ObjectRef.of(pvc, "PersistentVolumeClaim")
    return finding(
        "ST002",
        msg("ST002.lost", claim=f"{ns}/{claim}")
        if phase == "Lost"
        else msg("ST002.not_bound", claim=f"{ns}/{claim}", phase=phase),
        evidence,
        fix,
        advice=advice,
        object=about,
    )


def _claim_events(claim: str, events: list[Obj]) -> list[Obj]:
    def about(event: Obj) -> bool:
        involved = event.get("involvedObject") or {}
        return involved.get("kind") == "PersistentVolumeClaim" and involved.get("name") == claim

    mine = [e for e in events if about(e)]
    return sorted(mine, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))


def database_claims(ctx: StorageContext, databases: list[str]) -> dict[str, str]:
    """Claim -> the database workload of the namespace that mounts it."""
    return {claim: db for db in databases for claim in claims_of(db, ctx.pvcs, ctx.workloads, ctx.pods)}


def deleted_database_volumes(
    db_claims: dict[str, str], pvcs: list[Obj], pvs: list[Obj], classes: list[Obj]
) -> tuple[list[Finding], list[str]]:
    """ST002: database claims whose data goes with the claim (reclaimPolicy Delete), and facts.

    db_claims: claim name -> the database workload that mounts it. A bound claim is judged by its
    PV's policy (what actually happens to the data); an unbound one by its StorageClass's.
    """
    found, facts = [], []
    by_claim, by_pv, by_class = by_name(pvcs), by_name(pvs), by_name(classes)
    for claim, workload in sorted(db_claims.items()):
        pvc = by_claim[claim]
        class_name = claim_class(pvc, classes)
        pv, sc = by_pv.get(spec_of(pvc).get("volumeName") or ""), by_class.get(class_name or "")
        policy = _policy(pv) if pv else (class_policy(sc) if sc else None)
        where = f"{namespace(pvc)}/{claim} ({workload})"
        if policy is None:
            facts.append(msg("ST002.policy_unknown", where=where))
        elif policy != "Retain":
            about = ObjectRef.of(pvc, "PersistentVolumeClaim")
            found.append(replace(_delete_finding(where, pv, class_name, sc, policy), object=about))
    return found, facts


def class_policy(sc: Obj) -> str:
    return str(sc.get("reclaimPolicy") or "Delete")


def _delete_finding(
    where: str, pv: Obj | None, class_name: str | None, sc: Obj | None, policy: str
) -> Finding:
    source = f"PersistentVolume {name(pv)}" if pv else f"StorageClass {class_name}"
    diagnosis = msg("ST002.delete", where=where, policy=policy, source=source)
    policy_text = f" (reclaimPolicy {class_policy(sc)})" if sc else ""
    volume = msg("ST002.volume_policy", pv=name(pv), policy=_policy(pv)) if pv else msg("ST002.not_bound_yet")
    evidence: list[str] = [
        msg("ST002.class_line", sc=class_name or "(none)", policy=policy_text, volume=volume)
    ]
    fix = [retain(name(pv))] if pv else []
    advice = []
    if class_name:
        copy = f"{class_name}-retain"
        fix.append(
            f'kubectl get sc {class_name} -o json | jq \'.metadata = {{name: "{copy}"}} | '
            '.reclaimPolicy = "Retain"\' | kubectl apply -f -'
        )
        advice.append(msg("ST002.copy_advice", copy=copy))
    else:
        advice.append(msg("ST002.retain_advice"))
    return finding("ST002", diagnosis, evidence, fix, advice=advice)
