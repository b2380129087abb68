"""A container's environment as the pod gets it: `value`, `secretKeyRef`, `configMapKeyRef`, `envFrom`,
and `X_FILE` variables naming a mounted Secret file (the Keycloak image reads `DB_PASSWORD_FILE`,
`KEYCLOAK_PASSWORD_FILE` ... into `DB_PASSWORD`, `KEYCLOAK_PASSWORD`).

Where a value comes from is always known (and may be reported); the value
itself is read only when a probe must log in with it, and a Secret's value
is never reported. A value that cannot be read says why, so a check skips
instead of probing with a default the pod never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from vantiq_health.i18n import msg

Obj = dict[str, Any]
# (namespace, Secret name, key) -> the raw value, as the cluster view's secret_bytes returns it
SecretReader = Callable[[str, str, str], Any]
ConfigMapReader = Callable[[str, str], Obj | None]


def secret_text(raw: Any) -> str | None:
    """The one place that turns what the cluster view returns for a Secret value into text."""
    if raw is None:
        return None
    reveal = getattr(raw, "reveal", None)
    data = reveal() if callable(reveal) else raw
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


@dataclass(frozen=True)
class EnvValue:
    """One environment variable of a container: where it comes from and, when readable, its value."""

    name: str
    source: str  # "value", "Secret keycloak-db key password", "ConfigMap x key y", "default"
    secret: tuple[str, str] | None = None  # (Secret, key) when a Secret feeds it
    text: str | None = None  # None: not readable (see `missing`)
    missing: str = ""
    file: str = ""  # the mounted file the process reads it from (`X_FILE`)

    @property
    def known(self) -> bool:
        return self.text is not None

    @property
    def shown(self) -> str:
        """As a report may name it (user, database): the value, or offline where it comes from."""
        return self.text if self.text is not None else f"from {self.source}"


def _from_ref(
    var: str, kind: str, ref: Obj, namespace: str, secrets: SecretReader, configmaps: ConfigMapReader
) -> EnvValue:
    obj_name, key = ref.get("name", ""), ref.get("key", "")
    source = f"{kind} {obj_name} key {key}"
    if kind == "Secret":
        text = secret_text(secrets(namespace, obj_name, key))
        missing = "" if text is not None else msg("common.secret_key_unreadable", secret=obj_name, key=key)
        return EnvValue(var, source, (obj_name, key), text, missing)
    cm = configmaps(namespace, obj_name)
    data = (cm or {}).get("data") or {}
    text = data.get(key) if isinstance(data.get(key), str) else None
    return EnvValue(
        var, source, None, text, "" if text is not None else msg("common.source_missing", source=source)
    )


def _env_from(
    container: Obj, namespace: str, secrets: SecretReader, configmaps: ConfigMapReader, keys: KeyLister
) -> dict[str, EnvValue]:
    found: dict[str, EnvValue] = {}
    for item in container.get("envFrom") or []:
        prefix = item.get("prefix", "")
        for field, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            ref = item.get(field)
            if not ref:
                continue
            for key in keys(namespace, kind, ref.get("name", "")):
                var = f"{prefix}{key}"
                found[var] = _from_ref(
                    var, kind, {"name": ref.get("name", ""), "key": key}, namespace, secrets, configmaps
                )
    return found


KeyLister = Callable[[str, str, str], list[str]]


def _secret_sources(volume: Obj) -> list[tuple[str, list[Any] | None]]:
    """(Secret name, items or None) a volume projects, in order."""
    if isinstance(volume.get("secret"), dict):
        return [(str(volume["secret"].get("secretName", "")), volume["secret"].get("items"))]
    return [
        (str(src["secret"].get("name", "")), src["secret"].get("items"))
        for src in (volume.get("projected") or {}).get("sources") or []
        if isinstance(src, dict) and isinstance(src.get("secret"), dict)
    ]


def mounted_secret(
    pod: Obj, container: Obj, path: str, namespace: str, keys: KeyLister
) -> tuple[str, str] | None:
    """(Secret, key) behind a file path in a container, as the kubelet mounts it; None otherwise."""
    mounts = [
        m
        for m in container.get("volumeMounts") or []
        if isinstance(m, dict)
        and (
            path == str(m.get("mountPath", "")).rstrip("/")
            or path.startswith(str(m.get("mountPath", "")).rstrip("/") + "/")
        )
    ]
    if not mounts:
        return None
    mount = max(mounts, key=lambda m: len(str(m.get("mountPath", ""))))
    rel = path[len(str(mount.get("mountPath", "")).rstrip("/")) :].lstrip("/")
    if mount.get("subPath"):
        rel = "/".join(p for p in (str(mount["subPath"]), rel) if p)
    volumes = [v for v in (pod.get("spec") or {}).get("volumes") or [] if isinstance(v, dict)]
    volume = next((v for v in volumes if v.get("name") == mount.get("name")), {})
    for secret, items in _secret_sources(volume):
        if items:
            key = next((i.get("key") for i in items if isinstance(i, dict) and i.get("path") == rel), None)
            if key:
                return secret, str(key)
        elif rel in keys(namespace, "Secret", secret):
            return secret, rel
    return None


def _file_vars(
    env: dict[str, EnvValue], pod: Obj, container: Obj, namespace: str, secrets: SecretReader, keys: KeyLister
) -> None:
    """`X_FILE=/path` fills X from the mounted Secret file, unless X is set itself."""
    for var, value in list(env.items()):
        target = var.removesuffix("_FILE")
        if target == var or target in env or value.source != "value" or not value.text:
            continue
        ref = mounted_secret(pod, container, value.text, namespace, keys)
        if ref is None:
            env[target] = EnvValue(
                target, f"file {value.text}", None, None, f"{value.text} is not a mounted Secret key"
            )
            continue
        found = _from_ref(
            target, "Secret", {"name": ref[0], "key": ref[1]}, namespace, secrets, lambda *_: None
        )
        env[target] = replace(found, file=value.text)


def container_env(
    container: Obj,
    namespace: str,
    secrets: SecretReader,
    configmaps: ConfigMapReader,
    keys: KeyLister,
    pod: Obj | None = None,
) -> dict[str, EnvValue]:
    """Every variable of a container as the kubelet sets it: `env` wins over `envFrom`; with the pod,
    `X_FILE` variables naming a mounted Secret file give X."""
    env = _env_from(container, namespace, secrets, configmaps, keys)
    for item in container.get("env") or []:
        var = item.get("name", "")
        source = item.get("valueFrom") or {}
        if "value" in item or not source:
            env[var] = EnvValue(var, "value", None, str(item.get("value", "")))
        elif "secretKeyRef" in source:
            env[var] = _from_ref(var, "Secret", source["secretKeyRef"], namespace, secrets, configmaps)
        elif "configMapKeyRef" in source:
            env[var] = _from_ref(var, "ConfigMap", source["configMapKeyRef"], namespace, secrets, configmaps)
        else:  # fieldRef / resourceFieldRef: set by the kubelet, never a credential
            env[var] = EnvValue(var, "field", None, None, f"{var} is set from the pod's fields")
    if pod is not None:
        _file_vars(env, pod, container, namespace, secrets, keys)
    return env


def lookup(env: dict[str, EnvValue], var: str, default: str | None) -> EnvValue:
    """A variable, or the image's default when the pod does not set it."""
    if var in env:
        return env[var]
    if default is None:
        return EnvValue(var, "unset", None, None, f"{var} is not set")
    return EnvValue(var, "default", None, default)


def env_of(
    cluster: Any, namespace: str, container: Obj, *, values: bool = True, pod: Obj | None = None
) -> dict[str, EnvValue]:
    """A container's environment read through the cluster view; values=False: sources only."""

    def secrets(ns: str, name: str, key: str) -> Any:
        return cluster.secret_bytes(ns, name, key) if values else None

    def configmaps(ns: str, name: str) -> Obj | None:
        return cluster.get("configmaps", ns, name) if values else None

    def keys(ns: str, kind: str, name: str) -> list[str]:
        resource = "secrets" if kind == "Secret" else "configmaps"
        obj = cluster.get(resource, ns, name) or {}
        return sorted((obj.get("data") or {}).keys())

    return container_env(container, namespace, secrets, configmaps, keys, pod)
