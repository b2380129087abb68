"""Readers of PersistentVolumes and claims shared by the ST analyses and their fixes."""

from __future__ import annotations

from vantiq_health.analysis.k8s import Obj, name


def spec_of(obj: Obj) -> Obj:
    return obj.get("spec") or {}


def by_name(objs: list[Obj]) -> dict[str, Obj]:
    return {name(o): o for o in objs}


def claim_ref(pv: Obj) -> tuple[str, str]:
    ref = spec_of(pv).get("claimRef") or {}
    return str(ref.get("namespace", "")), str(ref.get("name", ""))


def phase(obj: Obj) -> str:
    return str((obj.get("status") or {}).get("phase", ""))


def size(pv: Obj) -> str:
    return str((spec_of(pv).get("capacity") or {}).get("storage", "?"))


def policy(pv: Obj) -> str:
    return str(spec_of(pv).get("persistentVolumeReclaimPolicy") or "Delete")
