"""ST: volumes left Released, claims not Bound, database volumes deleted with their claim, encryption at rest."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

from vantiq_health.analysis.k8s import SHORT_KIND, Obj, name, namespace, owner
from vantiq_health.findings import Finding, ObjectRef, finding

ZONE_KEYS = (
    "topology.kubernetes.io/zone",
    "topology.disk.csi.azure.com/zone",
    "failure-domain.beta.kubernetes.io/zone",
)
DEFAULT_CLASS_KEYS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
UNKNOWN = "unknown"


def spec_of(obj: Obj) -> Obj:
    return obj.get("spec") or {}


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


def by_name(objs: list[Obj]) -> dict[str, Obj]:
    return {name(o): o for o in objs}


def _claim_volume(ns: str, claim: str, pvcs: list[Obj], pvs: list[Obj]) -> Obj | None:
    """The PV currently bound to claim ns/claim."""
    pvc = by_name(pvcs).get(claim)
    volume = spec_of(pvc).get("volumeName") if pvc else None
    if volume:
        return by_name(pvs).get(volume)
    return next((pv for pv in pvs if _claim_ref(pv) == (ns, claim) and _phase(pv) == "Bound"), None)


def _claim_ref(pv: Obj) -> tuple[str, str]:
    ref = spec_of(pv).get("claimRef") or {}
    return str(ref.get("namespace", "")), str(ref.get("name", ""))


def _phase(obj: Obj) -> str:
    return str((obj.get("status") or {}).get("phase", ""))


def _size(pv: Obj) -> str:
    return str((spec_of(pv).get("capacity") or {}).get("storage", "?"))


def _policy(pv: Obj) -> str:
    return str(spec_of(pv).get("persistentVolumeReclaimPolicy") or "Delete")


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
    ns, claim = _claim_ref(pv)
    current = _claim_volume(ns, claim, ctx.pvcs, ctx.pvs)
    old_zone, user = pv_zone(pv), claim_user(claim, ctx.workloads, ctx.pods)
    diagnosis = (
        f"PersistentVolume {name(pv)} ({_size(pv)}) is Released: it holds the old data of claim {ns}/{claim}"
    )
    if current is None:
        diagnosis += ", which no longer exists"
    else:
        diagnosis += f", now bound to {name(current)}"
        if old_zone and pv_zone(current) and old_zone != pv_zone(current):
            diagnosis += f"; the two are in different zones (old {old_zone}, current {pv_zone(current)})"
    evidence = [
        _volume_line("old volume", pv),
        *([_volume_line("current volume", current)] if current else []),
    ]
    evidence.append(_user_line(ns, claim, user))
    if user and user.name in partners:
        evidence.append(_partner_caveat(ctx, user.name, partners[user.name], old_zone))
    fix = recovery_steps(pv, current, user, ctx.pvcs)
    return finding("ST001", diagnosis, evidence, fix, object=ObjectRef.of(pv, "PersistentVolume"))


def _volume_line(label: str, pv: Obj) -> str:
    since = (pv.get("status") or {}).get("lastPhaseTransitionTime")
    modes = ",".join(spec_of(pv).get("accessModes") or [])
    return (
        f"{label} {name(pv)}: {_phase(pv) or '?'}{f' since {since}' if since else ''}, "
        f"zone {pv_zone(pv) or UNKNOWN}, {_size(pv)} {modes}, StorageClass {spec_of(pv).get('storageClassName') or '(none)'}, "
        f"reclaimPolicy {_policy(pv)}"
    )


def _user_line(ns: str, claim: str, user: User | None) -> str:
    if user is None:
        return f"no Deployment or StatefulSet of {ns} mounts claim {claim}"
    how = {
        "volume": f"mounts claim {claim}",
        "template": f"creates claim {claim} from its volumeClaimTemplates",
        "name": f"is named like claim {claim} (its spec does not show the claim)",
    }[user.how]
    replicas = f"{user.replicas} replica{'' if user.replicas == 1 else 's'}"
    return f"{user.kind} {ns}/{user.name} ({replicas}) {how}"


def _partner_caveat(ctx: StorageContext, workload: str, partner: str, old_zone: str | None) -> str:
    zones = ctx.zones_of(partner)
    where = (
        f"{partner}'s volume is in zone {', '.join(zones)}"
        if zones
        else f"the zone of {partner}'s volume is unknown"
    )
    clash = " — they would not fit on one node" if old_zone and zones and old_zone not in zones else ""
    return (
        f"caveat: {workload} and {partner} must run on the same node, so their volumes must be in the same zone: "
        f"{where}, this old volume in {old_zone or 'an unknown zone'}{clash}; to put a volume in the intended zone "
        "an existing PVC may have to be deleted"
    )


def recovery_steps(pv: Obj, current: Obj | None, user: User | None, pvcs: list[Obj]) -> list[str]:
    """The notes' recovery: scale down, free the PV, claim it, point the workload at it, scale up."""
    ns, claim = _claim_ref(pv)
    # A StatefulSet names its claims itself, and a claim that is gone can simply be recreated:
    # both take the old volume under the claim's own name, no claimName to edit.
    exists = claim in by_name(pvcs)
    same_name = not exists or (user is not None and user.how == "template")
    new_claim = claim if same_name else f"old-{claim}-pv"
    kind, wl, replicas = (user.short, user.name, user.replicas) if user else ("deploy|sts", "<workload>", 1)
    scale = user is not None or exists  # a gone claim that nothing mounts has no workload to stop
    steps = [f"kubectl scale {kind} -n {ns} {wl} --replicas=0"] if scale else []
    if same_name and exists:
        steps.extend(_free_claim_name(ns, claim, current))
    steps.append(f'kubectl patch pv {name(pv)} -p \'{{"spec":{{"claimRef": null}}}}\'')
    steps.append(f"cat > {new_claim}.yaml <<'EOF'\n{claim_yaml(pv, new_claim, ns)}EOF")
    steps.append(f"kubectl apply -f {new_claim}.yaml")
    if not same_name:
        steps.append(
            f"kubectl edit {kind} -n {ns} {wl}  # volumes: persistentVolumeClaim.claimName: {new_claim} (was {claim})"
        )
    if scale:
        steps.append(f"kubectl scale {kind} -n {ns} {wl} --replicas={max(replicas, 1)}")
    return steps


def _free_claim_name(ns: str, claim: str, current: Obj | None) -> list[str]:
    """A StatefulSet's claim keeps its name: the current claim goes, its volume must be kept."""
    steps = []
    if current is not None and _policy(current) != "Retain":
        steps.append(
            f'kubectl patch pv {name(current)} -p \'{{"spec":{{"persistentVolumeReclaimPolicy":"Retain"}}}}\''
            "  # else deleting the claim deletes the current data"
        )
    steps.append(
        f"kubectl delete pvc -n {ns} {claim}  # the StatefulSet names its claims: the old volume takes this name"
    )
    return steps


def claim_yaml(pv: Obj, claim: str, ns: str) -> str:
    """A PVC that binds exactly this PV (storageClassName must match, "" included)."""
    spec, empty = spec_of(pv), '""'
    modes = "".join(f"  - {m}\n" for m in spec.get("accessModes") or ["ReadWriteOnce"])
    return (
        "apiVersion: v1\nkind: PersistentVolumeClaim\n"
        f"metadata:\n  name: {claim}\n  namespace: {ns}\n"
        f"spec:\n  accessModes:\n{modes}"
        f"  resources:\n    requests:\n      storage: {_size(pv)}\n"
        f"  volumeName: {name(pv)}\n"
        f"  storageClassName: {spec.get('storageClassName') or empty}\n"
        f"  volumeMode: {spec.get('volumeMode') or 'Filesystem'}\n"
    )


# -- ST002 ----------------------------------------------------------------------
def unbound_claims(pvcs: list[Obj], events: list[Obj]) -> list[Finding]:
    """ST002: claims that are Pending or Lost, with the newest events about them."""
    found = []
    for pvc in sorted(pvcs, key=name):
        phase = _phase(pvc) or "unknown"
        if phase == "Bound":
            continue
        ns, claim, spec = namespace(pvc), name(pvc), spec_of(pvc)
        what = "is Lost: its PersistentVolume is gone" if phase == "Lost" else f"is {phase}, not Bound"
        size = (spec.get("resources") or {}).get("requests", {}).get("storage", "?")
        evidence = [
            f"requests {size}, StorageClass {spec.get('storageClassName') or '(default)'}, "
            f"volumeName {spec.get('volumeName') or '-'}"
        ]
        evidence += [
            f"event {e.get('reason')}: {e.get('message')}" for e in _claim_events(claim, events)[-2:]
        ]
        fix = [f"kubectl describe pvc -n {ns} {claim}"]
        about = ObjectRef.of(pvc, "PersistentVolumeClaim")
        found.append(
            finding("ST002", f"PersistentVolumeClaim {ns}/{claim} {what}", evidence, fix, object=about)
        )
    return found


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
            facts.append(f"{where}: reclaim policy unknown (its PV and StorageClass could not be read)")
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
    diagnosis = (
        f"database volume {where} has reclaimPolicy {policy} ({source}): "
        "deleting the claim (an undeploy) deletes the data with it"
    )
    policy_text = f" (reclaimPolicy {class_policy(sc)})" if sc else ""
    volume = f"volume {name(pv)} reclaimPolicy {_policy(pv)}" if pv else "not bound yet"
    evidence = [f"StorageClass {class_name or '(none)'}{policy_text}, {volume}"]
    fix = []
    if pv:
        fix.append(
            f'kubectl patch pv {name(pv)} -p \'{{"spec":{{"persistentVolumeReclaimPolicy":"Retain"}}}}\''
        )
    fix.append(
        f"new volumes: reclaimPolicy of a StorageClass is immutable: kubectl get sc {class_name or '<class>'} -o yaml "
        "> retain-sc.yaml, give it a new name and reclaimPolicy: Retain, kubectl apply -f retain-sc.yaml, "
        "and use it for the database volumes in the deploy configuration"
    )
    return finding("ST002", diagnosis, evidence, fix)
