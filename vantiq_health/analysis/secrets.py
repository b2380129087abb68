"""SEC: missing Secrets/ConfigMaps, defective credential values, values changed under a running pod."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vantiq_health.analysis.k8s import (
    Obj,
    PodSpecSource,
    containers,
    last_write,
    name,
    parse_time,
    per_source,
    restart_command,
)
from vantiq_health.findings import Finding, ObjectRef, finding
from vantiq_health.i18n import msg
from vantiq_health.redact import CREDENTIAL_KEY, DEFECTS, fingerprint_of

SKIP_TYPES = {
    "kubernetes.io/service-account-token",
    "kubernetes.io/dockerconfigjson",
    "kubernetes.io/dockercfg",
    "bootstrap.kubernetes.io/token",
    "helm.sh/release.v1",
}


@dataclass(frozen=True)
class Ref:
    """One reference from a pod spec to a Secret or ConfigMap (or one key of it)."""

    kind: str  # "Secret" or "ConfigMap"
    name: str
    key: str | None  # None: the whole object (envFrom, a volume without items)
    optional: bool
    how: str  # "env" / "envFrom" / "volume"
    where: str  # "pod vantiq-0, container keycloak-init, env KEYCLOAK_PASSWORD"
    container: str | None
    volume: str | None = None


def _env_refs(container: Obj, label: str) -> list[Ref]:
    refs = []
    cname = container.get("name", "")
    for env in container.get("env") or []:
        source = env.get("valueFrom") or {}
        for field, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            ref = source.get(field)
            if ref:
                where = f"{label}, container {cname}, env {env.get('name')}"
                refs.append(
                    Ref(
                        kind,
                        ref.get("name", ""),
                        ref.get("key"),
                        bool(ref.get("optional")),
                        "env",
                        where,
                        cname,
                    )
                )
    for env_from in container.get("envFrom") or []:
        for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            ref = env_from.get(field)
            if ref:
                where = f"{label}, container {cname}, envFrom {kind.lower()} {ref.get('name')}"
                refs.append(
                    Ref(kind, ref.get("name", ""), None, bool(ref.get("optional")), "envFrom", where, cname)
                )
    return refs


def _volume_sources(volume: Obj) -> list[tuple[str, Obj]]:
    sources = []
    if "secret" in volume:
        sources.append(("Secret", {**volume["secret"], "name": volume["secret"].get("secretName", "")}))
    if "configMap" in volume:
        sources.append(("ConfigMap", volume["configMap"]))
    for projected in (volume.get("projected") or {}).get("sources") or []:
        if "secret" in projected:
            sources.append(("Secret", projected["secret"]))
        if "configMap" in projected:
            sources.append(("ConfigMap", projected["configMap"]))
    return sources


def _volume_refs(spec: Obj, label: str) -> list[Ref]:
    mounts: dict[str, list[str]] = defaultdict(list)
    for container in containers(spec):
        for mount in container.get("volumeMounts") or []:
            mounts[mount.get("name", "")].append(f"{container.get('name')}:{mount.get('mountPath')}")
    refs = []
    for volume in spec.get("volumes") or []:
        if _service_account_volume(volume, spec):
            continue
        at = ", ".join(mounts.get(volume.get("name", ""), [])) or "not mounted"
        where = f"{label}, volume {volume.get('name')} ({at})"
        for kind, source in _volume_sources(volume):
            optional = bool(source.get("optional"))
            keys = [item.get("key") for item in source.get("items") or []]
            refs.append(
                Ref(kind, source.get("name", ""), None, optional, "volume", where, None, volume.get("name"))
            )
            refs.extend(
                Ref(kind, source.get("name", ""), k, optional, "volume", where, None, volume.get("name"))
                for k in keys
                if k
            )
    return refs


SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount"


def _service_account_volume(volume: Obj, spec: Obj) -> bool:
    """The token volume Kubernetes injects itself (kube-api-access-*, legacy *-token-*): not ours to judge."""
    if any(s.get("serviceAccountToken") for s in (volume.get("projected") or {}).get("sources") or []):
        return True
    return any(
        m.get("name") == volume.get("name") and m.get("mountPath") == SERVICE_ACCOUNT_PATH
        for c in containers(spec)
        for m in c.get("volumeMounts") or []
    )


@per_source  # SEC001, SEC002 and SEC003 all read them: once per pod
def references(source: PodSpecSource) -> list[Ref]:
    refs = []
    for container in containers(source.spec):
        refs.extend(_env_refs(container, source.label))
    refs.extend(_volume_refs(source.spec, source.label))
    return refs


def _data_keys(obj: Obj) -> set[str]:
    return set((obj.get("data") or {}).keys()) | set((obj.get("binaryData") or {}).keys())


def missing_references(
    sources: list[PodSpecSource],
    secrets: list[Obj],
    configmaps: list[Obj] | None,
    namespace: str,
    *,
    secret_keys_known: bool = True,
) -> list[Finding]:
    """SEC001: references to Secrets, ConfigMaps or keys that do not exist (and are not optional)."""
    existing = {
        "Secret": {name(s): _data_keys(s) for s in secrets},
        "ConfigMap": {name(c): _data_keys(c) for c in configmaps or []},
    }
    missing: dict[tuple[str, str, str | None], list[str]] = defaultdict(list)
    for source in sources:
        for ref in references(source):
            if ref.optional or (ref.kind == "ConfigMap" and configmaps is None):
                continue
            keys = existing[ref.kind].get(ref.name)
            key_known = secret_keys_known or ref.kind != "Secret"
            if keys is None or (ref.key is not None and key_known and ref.key not in keys):
                missing[(ref.kind, ref.name, ref.key if keys is not None else None)].append(ref.where)
    found = []
    for (kind, obj_name, key), wheres in sorted(
        missing.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2] or "")
    ):
        named = f"{kind} {namespace}/{obj_name}"
        what = msg("SEC001.no_key", ref=named, key=repr(key)) if key else msg("SEC001.missing", ref=named)
        keys_now = existing[kind].get(obj_name)
        evidence: list[str] = [msg("SEC001.referenced_by", where=w) for w in sorted(set(wheres))]
        if keys_now is not None:
            evidence.append(msg("SEC001.keys_it_has", keys=", ".join(sorted(keys_now)) or msg("SEC001.none")))
        fix, advice = _missing_fix(kind, obj_name, key, namespace)
        about = ObjectRef(kind, namespace, obj_name)
        found.append(finding("SEC001", what, evidence, fix, object=about, advice=advice))
    return found


def _missing_fix(kind: str, obj_name: str, key: str | None, namespace: str) -> tuple[list[str], list[str]]:
    """(commands, advice): the commands paste and run as they are; what they cannot do is advice."""
    if kind == "Secret":
        if key:
            look = f"kubectl get secret {obj_name} -n {namespace} -o jsonpath='{{.data}}' | jq 'keys'"
            return [look], [msg("SEC001.regenerate_key", key=key)]
        return [f"kubectl get secrets -n {namespace}"], [msg("SEC001.regenerate", name=obj_name)]
    return [f"kubectl get configmaps -n {namespace}"], [msg("SEC001.redeploy_configmap", name=obj_name)]


# -- SEC002 -------------------------------------------------------------------
def _single_value_use(sources: list[PodSpecSource]) -> dict[tuple[str, str | None], list[tuple[str, str]]]:
    """(secret, key) consumed as environment variables -> (where, how to restart it); key None: envFrom."""
    uses: dict[tuple[str, str | None], list[tuple[str, str]]] = defaultdict(list)
    for source in sources:
        restart = (
            restart_command(source.pod) if source.pod else ""
        )  # a CronJob's next run reads the new value
        for ref in references(source):
            if ref.kind == "Secret" and ref.how in ("env", "envFrom"):
                uses[(ref.name, ref.key)].append((ref.where, restart))
    return uses


def credential_defects(secrets: list[Obj], sources: list[PodSpecSource], namespace: str) -> list[Finding]:
    """SEC002: single-value credentials with copy-paste defects (judged on redaction records only)."""
    uses = _single_value_use(sources)
    found = []
    for secret in sorted(secrets, key=name):
        if secret.get("type") in SKIP_TYPES:
            continue
        for key, record in sorted((secret.get("data") or {}).items()):
            wheres = uses.get((name(secret), key), []) + uses.get((name(secret), None), [])
            defects = _judged_defects(key, record, consumed=bool(wheres))
            if defects:
                found.append(_defect_finding(secret, key, record, defects, wheres, namespace))
    return found


def _judged_defects(key: str, record: Any, *, consumed: bool) -> list[str]:
    if not isinstance(record, dict):
        return []
    defects = list(record.get("defects") or [])
    if "not-base64" in defects:
        return ["not-base64"]
    if record.get("shape") != "single":
        return []  # PEM blocks and multi-line files are judged by their own format checks
    if not consumed and not CREDENTIAL_KEY.search(key):
        return []
    if not consumed:
        defects = [d for d in defects if d != "empty"]  # an unused optional credential may be empty
    return defects


def _defect(defect: str) -> str:
    """A defect in the run's language (its English text is the redaction module's)."""
    key = "SEC002.defect_" + defect.replace("-", "_")
    return msg(key) if defect in DEFECTS else defect


def _defect_finding(
    secret: Obj,
    key: str,
    record: dict[str, Any],
    defects: list[str],
    uses: list[tuple[str, str]],
    namespace: str,
) -> Finding:
    secret_name = name(secret)
    said = msg("common.joined", items=tuple(_defect(d) for d in defects))
    # the fingerprint is keyed (HMAC): equal values look equal, a guessed password cannot be confirmed
    evidence: list[str] = [
        msg(
            "SEC002.value",
            length=record.get("length", 0),
            fingerprint=fingerprint_of(record) or "-",
            said=said,
        )
    ]
    evidence.extend(msg("SEC002.used_by", where=w) for w in sorted({where for where, _ in uses}))
    jsonpath = key.replace(".", "\\.")
    fix = [
        f"kubectl get secret {secret_name} -n {namespace} -o jsonpath='{{.data.{jsonpath}}}' | base64 -d | od -c | tail -n 3",
        f"kubectl patch secret {secret_name} -n {namespace} --type merge -p "
        f"'{{\"data\":{{\"{key}\":\"'\"$(printf '%s' 'NEW-VALUE' | base64 | tr -d '\\n')\"'\"}}}}'",
    ]
    fix.extend(sorted({restart for _, restart in uses if restart}))
    advice: list[str] = [msg("SEC002.advice")]
    if any(not restart for _, restart in uses):
        advice.append(msg("SEC002.cronjob_advice"))
    diagnosis = msg("SEC002.defect", secret=f"{namespace}/{secret_name}", key=repr(key), said=said)
    return finding("SEC002", diagnosis, evidence, fix, object=ObjectRef.of(secret, "Secret"), advice=advice)


# -- SEC003 -------------------------------------------------------------------
def stale_values(
    sources: list[PodSpecSource],
    secrets: list[Obj],
    configmaps: list[Obj],
    read_at_start: set[str],
    namespace: str,
) -> list[Finding]:
    """SEC003: Secrets/ConfigMaps written after the container that reads them at start started."""
    written = {("Secret", name(s)): last_write(s) for s in secrets}
    written.update({("ConfigMap", name(c)): last_write(c) for c in configmaps})
    found = []
    for source in sources:
        if source.pod is None:
            continue
        started = _container_starts(source.pod)
        stale: dict[tuple[str, str], list[str]] = defaultdict(list)
        for ref in references(source):
            at_start = ref.how in ("env", "envFrom") or (ref.kind == "Secret" and ref.name in read_at_start)
            changed = written.get((ref.kind, ref.name))
            for cname in [ref.container] if ref.container else _mounting(source.spec, ref):
                start = started.get(cname)
                if at_start and changed and start and changed > start:
                    stale[(ref.kind, ref.name)].append(
                        msg("SEC003.container_started", container=cname, at=start.isoformat())
                    )
        for (kind, obj_name), lines in sorted(stale.items()):
            change = written[(kind, obj_name)]
            assert change is not None
            found.append(
                finding(
                    "SEC003",
                    msg(
                        "SEC003.stale",
                        source=source.label,
                        ref=f"{kind} {namespace}/{obj_name}",
                        changed=change.isoformat(),
                    ),
                    [
                        msg("SEC003.last_written", kind=kind, at=change.isoformat()),
                        *sorted(set(lines)),
                    ],
                    [restart_command(source.pod)],
                    object=ObjectRef.of(source.pod, "Pod"),
                )
            )
    return found


def _container_starts(pod: Obj) -> dict[str, datetime]:
    starts = {}
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        started = parse_time(((cs.get("state") or {}).get("running") or {}).get("startedAt"))
        if started:
            starts[str(cs.get("name"))] = started
    return starts


def _mounting(spec: Obj, ref: Ref) -> list[str]:
    """The containers that mount the volume a reference came from."""
    return [
        str(c.get("name"))
        for c in spec.get("containers") or []
        if any(m.get("name") == ref.volume for m in c.get("volumeMounts") or [])
    ]


def has_managed_fields(objs: list[Obj]) -> bool:
    return any((o.get("metadata") or {}).get("managedFields") for o in objs)
