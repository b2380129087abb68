"""Setting up a run: the config, the cluster view and the namespaces to check."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from vantiq_health import sensitive
from vantiq_health.apis import Version
from vantiq_health.config import Config, ConfigError, load_config
from vantiq_health.i18n import msg
from vantiq_health.view.base import ClusterView, SetupError, Unavailable

DEFAULT_CONFIG = "vantiq-health.toml"


@dataclass
class RunOptions:
    namespaces: list[str]
    system_namespace: str | None  # None: the default
    kubeconfig: str | None
    context: str | None
    snapshot: str | None
    config: str | None
    target_version: str | None = None
    request_timeout: float = 30.0


@dataclass
class Run:
    """Everything a check run knows before the first check."""

    config: Config
    view: ClusterView
    namespaces: list[str]  # installation namespaces
    system_namespace: str
    system_present: bool
    namespace_note: str = ""
    target_version: str | None = None
    notes: list[str] = field(default_factory=list)
    # namespaces the source does not hold -> why; the checks that read their objects skip saying so
    absent: dict[str, str] = field(default_factory=dict)

    @property
    def all_namespaces(self) -> list[str]:
        """The installation namespaces and the system namespace, each once."""
        extra = [] if self.system_namespace in self.namespaces else [self.system_namespace]
        return self.namespaces + extra

    def source_line(self) -> str:
        """Where the objects come from, as the header and the report say it."""
        src = self.view.describe()
        if src["mode"] == "snapshot":
            return f"snapshot {src['snapshot']} (captured {src['captured_at']})"
        return f"context {src['context']} at {src['server']}"

    def server_version(self) -> str:
        try:
            return str(self.view.version().get("gitVersion", "unknown"))
        except Unavailable as exc:
            return f"unknown ({exc})"


def demo_snapshot() -> Path:
    """The bundled demo snapshot (`make report` without a cluster)."""
    return Path(str(resources.files("vantiq_health").joinpath("demo")))


def split_namespaces(given: list[str] | None) -> list[str]:
    """--namespace is repeatable and takes comma lists: ["a,b", "c"] -> [a, b, c]."""
    out: list[str] = []
    for value in given or []:
        out.extend(n.strip() for n in value.split(",") if n.strip() and n.strip() not in out)
    return out


def _config(path: str | None) -> Config:
    if path is not None:
        return load_config(Path(path))
    default = Path(DEFAULT_CONFIG)
    return load_config(default if default.is_file() else None)


def _view(opts: RunOptions, config: Config) -> tuple[ClusterView, str | None]:
    if opts.snapshot:
        from vantiq_health.view.snapshot import SnapshotView

        cap = int(config.threshold("snapshot_max_file_mb") * 2**20)
        return SnapshotView(Path(opts.snapshot), max_file_bytes=cap), None
    from vantiq_health.view.live import LiveView, load_api_client

    api, context, context_ns = load_api_client(opts.kubeconfig, opts.context)
    view = LiveView(api, context=context, read_timeout=opts.request_timeout)
    view.connect()
    return view, context_ns


def _default_namespaces(view: ClusterView, context_ns: str | None, config: Config) -> tuple[list[str], str]:
    if view.mode == "live":
        ns = context_ns or "default"
        origin = "the kubeconfig context's namespace" if context_ns else "'default' (the context sets none)"
        return [ns], f"namespace {ns}: {origin}; pass --namespace to choose"
    meta = getattr(view, "meta", {})
    if meta.get("namespaces"):
        return list(meta["namespaces"]), "namespaces: as saved in the snapshot"
    vantiq = config.names["vantiq"]
    found = _namespaces_of(view, "statefulsets", lambda name: name == vantiq)
    # a cluster-info dump has no StatefulSets, but it has their pods
    found = found or _namespaces_of(view, "pods", re.compile(rf"{re.escape(vantiq)}-\d+").fullmatch)
    if not found and not getattr(view, "namespaces_present", list)():
        return [], "the snapshot holds no namespaced objects: only the cluster-scoped checks run"
    if not found:
        raise SetupError(msg("common.setup_no_namespace"))
    return found, f"namespaces running {vantiq} (found in the snapshot): {', '.join(found)}"


def _namespaces_of(view: ClusterView, resource: str, wanted: Callable[[str], object]) -> list[str]:
    try:
        objs = view.objects(resource)
    except Unavailable:
        return []
    return sorted({o["metadata"].get("namespace", "") for o in objs if wanted(o["metadata"].get("name", ""))})


def start(opts: RunOptions, default_system_namespace: str) -> Run:
    """Build the run, or raise SetupError/ConfigError with a one-line reason."""
    config = _config(opts.config)
    if config.fingerprint_key:  # before the view reads (and fingerprints) anything
        sensitive.use_key(config.fingerprint_key)
    if opts.target_version:
        try:
            Version.parse(opts.target_version)
        except ValueError:
            raise SetupError(msg("common.setup_target_version", given=repr(opts.target_version))) from None
    view, context_ns = _view(opts, config)
    namespaces = split_namespaces(opts.namespaces)
    note = ""
    if not namespaces:
        namespaces, note = _default_namespaces(view, context_ns, config)
    exists = {ns: _exists(view, ns) for ns in namespaces}
    missing = [ns for ns, found in exists.items() if found is False]
    if missing:
        key = (
            "common.setup_ns_missing_snapshot"
            if view.mode == "snapshot"
            else "common.setup_ns_missing_cluster"
        )
        raise SetupError(msg(key, namespace=missing[0]))
    saved = getattr(view, "meta", {}).get("system_namespace")  # a snapshot saved by this suite
    system = opts.system_namespace or saved or default_system_namespace
    if system not in exists:
        exists[system] = _exists(view, system)
    system_present = exists[system] is not False
    if opts.system_namespace and not system_present:
        raise SetupError(msg("common.setup_system_ns_missing", namespace=system))
    run = Run(config, view, namespaces, system, system_present, note, opts.target_version)
    run.notes.extend(getattr(view, "notes", []))  # files a snapshot ignored, and why
    _note_absent(run, exists)
    return run


def _exists(view: ClusterView, namespace: str) -> bool | None:
    found = view.namespace_exists(namespace)
    holds = getattr(view, "namespaces", None)
    if found is False and view.mode == "snapshot" and callable(holds) and not holds():
        return None  # a capture of cluster-scoped objects only cannot tell
    return found


def _note_absent(run: Run, exists: dict[str, bool | None]) -> None:
    """Namespaces a snapshot cannot show, and a system namespace that does not exist."""
    if not run.system_present:
        run.absent[run.system_namespace] = (
            f"system namespace {run.system_namespace} does not exist (set it with --system-namespace)"
        )
        run.notes.append(
            f"system namespace {run.system_namespace} not found: its checks are skipped (--system-namespace)"
        )
    if run.view.mode != "snapshot":
        return  # live, None means we may not ask: the lists themselves will tell
    unknown = [ns for ns in run.all_namespaces if exists.get(ns) is None]
    for ns in unknown:
        run.absent[ns] = (
            f"the snapshot holds no objects of namespace {ns} (capture: kubectl get KIND -n {ns} -o json)"
        )
    if unknown:
        run.notes.append(
            f"the snapshot holds no objects of {', '.join(unknown)}: the checks that read their objects skip"
        )


__all__ = ["ConfigError", "Run", "RunOptions", "SetupError", "start"]


def describe(run: Run) -> dict[str, Any]:
    return {
        **run.view.describe(),
        "server_version": run.server_version(),
        "namespaces": run.namespaces,
        "system_namespace": run.system_namespace,
    }
