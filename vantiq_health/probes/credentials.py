"""A container's environment as the pod gets it: `value`, `secretKeyRef`, `configMapKeyRef`, `envFrom`.

Where a value comes from is always known (and may be reported); the value
itself is read only when a probe must log in with it, and a Secret's value
is never reported. A value that cannot be read says why, so a check skips
instead of probing with a default the pod never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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

    @property
    def known(self) -> bool:
        return self.text is not None


def _from_ref(
    var: str, kind: str, ref: Obj, namespace: str, secrets: SecretReader, configmaps: ConfigMapReader
) -> EnvValue:
    obj_name, key = ref.get("name", ""), ref.get("key", "")
    source = f"{kind} {obj_name} key {key}"
    if kind == "Secret":
        text = secret_text(secrets(namespace, obj_name, key))
        missing = "" if text is not None else f"Secret {obj_name} key {key} is not readable"
        return EnvValue(var, source, (obj_name, key), text, missing)
    cm = configmaps(namespace, obj_name)
    data = (cm or {}).get("data") or {}
    text = data.get(key) if isinstance(data.get(key), str) else None
    return EnvValue(var, source, None, text, "" if text is not None else f"{source} is missing")


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


def container_env(
    container: Obj,
    namespace: str,
    secrets: SecretReader,
    configmaps: ConfigMapReader,
    keys: KeyLister,
) -> dict[str, EnvValue]:
    """Every variable of a container as the kubelet sets it: `env` wins over `envFrom`."""
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
    return env


def lookup(env: dict[str, EnvValue], var: str, default: str | None) -> EnvValue:
    """A variable, or the image's default when the pod does not set it."""
    if var in env:
        return env[var]
    if default is None:
        return EnvValue(var, "unset", None, None, f"{var} is not set")
    return EnvValue(var, "default", None, default)


def env_of(cluster: Any, namespace: str, container: Obj, *, values: bool = True) -> dict[str, EnvValue]:
    """A container's environment read through the cluster view; values=False: sources only."""

    def secrets(ns: str, name: str, key: str) -> Any:
        return cluster.secret_bytes(ns, name, key) if values else None

    def configmaps(ns: str, name: str) -> Obj | None:
        return cluster.get("configmaps", ns, name) if values else None

    def keys(ns: str, kind: str, name: str) -> list[str]:
        resource = "secrets" if kind == "Secret" else "configmaps"
        obj = cluster.get(resource, ns, name) or {}
        return sorted((obj.get("data") or {}).keys())

    return container_env(container, namespace, secrets, configmaps, keys)
