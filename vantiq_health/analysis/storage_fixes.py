"""What to do about an ST001 finding: the notes' recovery of a Released volume, with the real names.

Commands paste as they are (the claim comes as one heredoc piped to kubectl apply); prose
goes to the advice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.analysis.volumes import by_name, claim_ref, policy, size, spec_of
from vantiq_health.i18n import msg

if TYPE_CHECKING:
    from vantiq_health.analysis.storage import User


def clash_steps(
    pv: Obj, workload: str, partner: str, old_zone: str, zones: list[str]
) -> tuple[list[str], list[str]]:
    """The notes' caveat: partners must share a zone, so the old volume needs its partner moved first."""
    fix = [] if policy(pv) == "Retain" else [retain(name(pv))]
    names = {"workload": workload, "partner": partner, "old_zone": old_zone}
    return fix, [
        msg("ST001.clash_advice", **names, zones=", ".join(zones)),
        msg("ST001.move_partner_advice", **names),
        msg("ST001.restore_advice", old_zone=old_zone),
    ]


def retain(pv_name: str) -> str:
    return f'kubectl patch pv {pv_name} -p \'{{"spec":{{"persistentVolumeReclaimPolicy":"Retain"}}}}\''


def recovery_steps(
    pv: Obj, current: Obj | None, user: User | None, pvcs: list[Obj]
) -> tuple[list[str], list[str]]:
    """The notes' recovery: scale down, free the PV, claim it, point the workload at it, scale up.

    Returns (commands, advice).
    """
    ns, claim = claim_ref(pv)
    # A StatefulSet names its claims itself, and a claim that is gone can simply be recreated:
    # both take the old volume under the claim's own name, no claimName to edit.
    exists = claim in by_name(pvcs)
    same_name = not exists or (user is not None and user.how == "template")
    new_claim = claim if same_name else f"old-{claim}-pv"
    steps = [f"kubectl scale {user.short} -n {ns} {user.name} --replicas=0"] if user else []
    advice: list[str] = []
    if same_name and exists:
        steps.extend(free_claim_name(ns, claim, current, advice))
    steps.append(f'kubectl patch pv {name(pv)} -p \'{{"spec":{{"claimRef": null}}}}\'')
    steps.append(f"kubectl apply -f - <<'EOF'\n{claim_yaml(pv, new_claim, ns)}EOF")
    if not same_name and user:
        steps.append(f"kubectl edit {user.short} -n {ns} {user.name}")
        advice.append(msg("ST001.edit_advice", new=new_claim, claim=claim))
    elif not same_name:
        advice.append(msg("ST001.mount_advice", new=new_claim, claim=claim))
    if user:
        steps.append(f"kubectl scale {user.short} -n {ns} {user.name} --replicas={max(user.replicas, 1)}")
    return steps, advice


def free_claim_name(ns: str, claim: str, current: Obj | None, advice: list[str]) -> list[str]:
    """A StatefulSet's claim keeps its name: the current claim goes, its volume must be kept."""
    steps = []
    if current is not None and policy(current) != "Retain":
        steps.append(retain(name(current)))
        advice.append(msg("ST001.retain_first_advice", pv=name(current)))
    steps.append(f"kubectl delete pvc -n {ns} {claim}")
    advice.append(msg("ST001.sts_name_advice", claim=claim))
    return steps


def claim_yaml(pv: Obj, claim: str, ns: str) -> str:
    """A PVC that binds exactly this PV (storageClassName must match, "" included)."""
    spec, empty = spec_of(pv), '""'
    modes = "".join(f"  - {m}\n" for m in spec.get("accessModes") or ["ReadWriteOnce"])
    return (
        "apiVersion: v1\nkind: PersistentVolumeClaim\n"
        f"metadata:\n  name: {claim}\n  namespace: {ns}\n"
        f"spec:\n  accessModes:\n{modes}"
        f"  resources:\n    requests:\n      storage: {size(pv)}\n"
        f"  volumeName: {name(pv)}\n"
        f"  storageClassName: {spec.get('storageClassName') or empty}\n"
        f"  volumeMode: {spec.get('volumeMode') or 'Filesystem'}\n"
    )
