"""KC: Keycloak runs, reaches PostgreSQL with the credentials it is given, and admits keycloak-init.

The database settings are those of the keycloak image (Keycloak 15, WildFly):
`jdbc:postgresql://${DB_ADDR:postgres}/${DB_DATABASE:keycloak}${JDBC_PARAMS:}`,
user `${DB_USER:keycloak}`, password `${DB_PASSWORD:password}`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from vantiq_health.analysis.k8s import Obj, container_statuses, name, owner
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes.credentials import EnvValue, env_of, lookup

AZURE_SUFFIX = ".postgres.database.azure.com"
DEFAULTS = {"DB_ADDR": "postgres", "DB_PORT": "5432", "DB_DATABASE": "keycloak", "DB_USER": "keycloak"}
DEFAULTS_WITH_SECRET = {**DEFAULTS, "DB_PASSWORD": "password", "JDBC_PARAMS": ""}
HTTPS_REQUIRED = "HTTPS required [invalid request]"
# (pattern, what it means) — the lines of 「Keycloak pod が起動しない」
LOG_SIGNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"password authentication failed for user"),
        msg("KC001.sign_password"),
    ),
    (
        re.compile(r"IJ031084: Unable to create connection"),
        msg("KC001.sign_pool"),
    ),
    (
        re.compile(r"Connection refused|Connection to \S+ refused", re.IGNORECASE),
        msg("KC001.sign_refused"),
    ),
)
LogReader = Callable[[Obj, str, bool], list[str]]  # (pod, container, previous) -> lines; raises Unavailable


@dataclass(frozen=True)
class KeycloakDb:
    """Keycloak's database settings as its pod resolves them."""

    addr: EnvValue
    port: EnvValue
    database: EnvValue
    user: EnvValue
    password: EnvValue
    jdbc_params: EnvValue
    pod: str

    @property
    def host_port(self) -> tuple[str, int]:
        """DB_ADDR may carry the port itself (it is pasted into the JDBC URL)."""
        addr = self.addr.text or DEFAULTS["DB_ADDR"]
        host, sep, port = addr.rpartition(":")
        if sep and port.isdigit() and not host.endswith("]"):
            return host, int(port)
        port_text = self.port.text or DEFAULTS["DB_PORT"]
        return addr, int(port_text) if port_text.isdigit() else 5432

    @property
    def sslmode(self) -> str | None:
        """libpq's sslmode for the JDBC parameters (`?sslmode=require`, `?ssl=true`); None: driver default."""
        params = dict(
            part.split("=", 1)
            for part in (self.jdbc_params.text or "").lstrip("?&").split("&")
            if "=" in part
        )
        if params.get("sslmode"):
            return params["sslmode"]
        if params.get("ssl", "").lower() == "true":
            return "require"
        return None

    def password_source(self) -> str:
        return _source_text(self.password)


def _source_text(value: EnvValue) -> str:
    if value.secret:
        if value.file:
            return msg(
                "KC001.source_secret_file", secret=value.secret[0], key=value.secret[1], file=value.file
            )
        return msg("KC001.source_secret", secret=value.secret[0], key=value.secret[1])
    if value.source == "value":
        return msg("KC001.source_literal", name=value.name)
    if value.source == "default":
        return msg("KC001.source_default", name=value.name)
    return value.source


def keycloak_pods(pods: Iterable[Obj], statefulset: str) -> list[Obj]:
    pattern = re.compile(rf"{re.escape(statefulset)}-\d+")
    return sorted(
        (p for p in pods if owner(p) == ("StatefulSet", statefulset) or pattern.fullmatch(name(p))), key=name
    )


def keycloak_container(pod: Obj, container_name: str) -> Obj | None:
    found = (pod.get("spec") or {}).get("containers") or []
    for c in found:
        if c.get("name") == container_name:
            return c
    with_db = [c for c in found if any(e.get("name") == "DB_ADDR" for e in c.get("env") or [])]
    return (with_db or found or [None])[0]


def database_settings(env: dict[str, EnvValue], pod: str) -> KeycloakDb:
    values = {var: lookup(env, var, default) for var, default in DEFAULTS_WITH_SECRET.items()}
    return KeycloakDb(
        values["DB_ADDR"],
        values["DB_PORT"],
        values["DB_DATABASE"],
        values["DB_USER"],
        values["DB_PASSWORD"],
        values["JDBC_PARAMS"],
        pod,
    )


def database_of(
    cluster: Any, config: Any, namespace: str, pods: list[Obj], *, values: bool
) -> KeycloakDb | None:
    """Keycloak's database settings from a keycloak pod, or the StatefulSet's template without pods."""
    wanted = config.name(namespace, "keycloak")
    specs = [(name(p), p.get("spec") or {}) for p in pods]
    if not specs:
        sts = cluster.get("statefulsets", namespace, wanted) or {}
        template = ((sts.get("spec") or {}).get("template") or {}).get("spec")
        specs = [(f"statefulset {wanted}", template)] if template else []
    for label, spec in specs:
        container = keycloak_container({"spec": spec}, wanted)
        if container is not None:
            env = env_of(cluster, namespace, container, values=values, pod={"spec": spec})
            return database_settings(env, label)
    return None


# -- KC001 ------------------------------------------------------------------------------------------
def _not_running(pod: Obj) -> str | None:
    phase = (pod.get("status") or {}).get("phase", "Unknown")
    problems = []
    for cs, is_init in container_statuses(pod):
        waiting = (cs.get("state") or {}).get("waiting")
        if waiting and waiting.get("reason") not in (None, "PodInitializing", "ContainerCreating"):
            problems.append(
                msg(
                    "KC001.waiting",
                    container=cs.get("name"),
                    reason=waiting.get("reason"),
                    n=cs.get("restartCount", 0),
                )
            )
        elif not is_init and not cs.get("ready") and "running" not in (cs.get("state") or {}):
            problems.append(msg("KC001.not_running", container=cs.get("name")))
    if phase != "Running" or problems:
        if problems:
            return msg("KC001.pod_problems", pod=name(pod), phase=phase, problems=tuple(problems))
        return msg("KC001.pod_phase", pod=name(pod), phase=phase)
    return None


def _restarted(pod: Obj, container: str) -> bool:
    return any(cs.get("name") == container and cs.get("restartCount", 0) for cs, _ in container_statuses(pod))


def _signs(lines: list[str]) -> dict[str, str]:
    """The first line of each known sign: meaning -> line."""
    found: dict[str, str] = {}
    for line in lines:
        for pattern, meaning in LOG_SIGNS:
            if meaning not in found and pattern.search(line):
                found[meaning] = line.strip()[:300]
    return found


def keycloak_failures(
    pods: list[Obj], container: str, read_log: LogReader, db: KeycloakDb | None, namespace: str
) -> tuple[list[Finding], list[str]]:
    """KC001 findings, and the logs that could not be read (an unread log is no clean log)."""
    if not pods:
        return [
            finding(
                "KC001",
                msg("KC001.no_pod", namespace=namespace),
                fix=[f"kubectl get sts,pods -n {namespace}"],
            )
        ], []
    found, unread = [], []
    for pod in pods:
        state = _not_running(pod)
        signs: dict[str, str] = {}
        for previous in (False, True) if _restarted(pod, container) else (False,):
            try:
                signs.update(_signs(read_log(pod, container, previous)))
            except Exception as exc:  # Unavailable: named, never taken for a clean log
                if not previous:
                    unread.append(f"{name(pod)} [{container}]: {exc}")
        if state or signs:
            found.append(_kc001_finding(pod, state, signs, db, namespace))
    return found, unread


def _kc001_finding(
    pod: Obj, state: str | None, signs: dict[str, str], db: KeycloakDb | None, namespace: str
) -> Finding:
    meanings = [meaning for _, meaning in LOG_SIGNS if meaning in signs] or [msg("KC001.it_is_not_running")]
    evidence: list[str] = [state] if state else []
    evidence += [msg("KC001.log_of", pod=name(pod), line=line) for line in signs.values()]
    fix = [f"kubectl logs -n {namespace} {name(pod)} --previous"]
    if db is not None:
        host, port = db.host_port
        evidence.append(msg("KC001.password_from", source=db.password_source(), user=db.user.text or "?"))
        evidence.append(msg("KC001.database", db=f"{host}:{port}/{db.database.text or '?'}"))
        if db.password.secret:
            secret, key = db.password.secret
            fix.append(
                f"kubectl get secret -n {namespace} {secret} -o jsonpath='{{.data.{key}}}' | base64 -d"
                "   # compare with the database's password (this prints it: not in a shared terminal)"
            )
    found = owner(pod)
    if found:
        fix.append(f"kubectl rollout restart {found[0].lower()}/{found[1]} -n {namespace}   # after the fix")
    return finding("KC001", msg("KC001.keycloak", pod=name(pod), meanings=tuple(meanings)), evidence, fix)


# -- KC003 ------------------------------------------------------------------------------------------
def azure_user_form(db: KeycloakDb, namespace: str) -> list[Finding]:
    host, _ = db.host_port
    user = db.user.text or ""
    fix: list[str] = [msg("KC003.fix")]
    if not host.endswith(AZURE_SUFFIX):
        if "@" in user and db.addr.source == "default":
            return [
                finding(
                    "KC003",
                    msg("KC003.no_addr", user=user, host=host),
                    [msg("KC003.addr_unset", pod=db.pod, source=_source_text(db.user))],
                    fix,
                )
            ]
        return []
    server = host.split(".", 1)[0]
    if user.rpartition("@")[2] == server and user.rpartition("@")[0]:
        return []
    why = (
        msg("KC003.no_at", user=user, server=server)
        if "@" not in user
        else msg("KC003.other_server", user=user, named=user.rpartition("@")[2], server=server)
    )
    return [
        finding(
            "KC003",
            msg("KC003.needs_form", why=why),
            [msg("KC003.addr", pod=db.pod, host=host, source=_source_text(db.user))],
            [f"dbUser: {user.partition('@')[0] or 'keycloak'}@{server}", *fix],
        )
    ]


# -- KC006 ------------------------------------------------------------------------------------------
def _init_succeeded(pod: Obj, container: str) -> bool:
    for cs, is_init in container_statuses(pod):
        if is_init and cs.get("name") == container:
            done = (cs.get("state") or {}).get("terminated") or {}
            return done.get("exitCode") == 0 and not cs.get("restartCount")
    return True  # no such init container: nothing to judge


def _node_addresses(nodes: list[Obj]) -> list[str]:
    out = []
    for node in nodes:
        for addr in (node.get("status") or {}).get("addresses") or []:
            if addr.get("type") == "InternalIP":
                out.append(
                    msg(
                        "KC006.node",
                        node=name(node),
                        address=addr.get("address"),
                        kind=_ip_kind(addr.get("address")),
                    )
                )
    return out


def _ip_kind(text: str | None) -> str:
    try:
        ip = ipaddress.ip_address(text or "")
    except ValueError:
        return msg("KC006.not_an_address")
    shared = ipaddress.ip_network("100.64.0.0/10")
    return msg("KC006.private") if ip.is_private or ip in shared else msg("KC006.public")


def https_required(
    pods: list[Obj], container: str, read_log: LogReader, nodes: list[Obj], namespace: str
) -> tuple[list[Finding], list[str]]:
    """KC006: keycloak-init refused with HTTPS required; pods whose init completed are not read."""
    found, unread = [], []
    for pod in pods:
        if _init_succeeded(pod, container):
            continue
        lines: list[str] = []
        for previous in (False, True) if _restarted(pod, container) else (False,):
            try:
                lines += read_log(pod, container, previous)
            except Exception as exc:  # Unavailable
                if not previous:
                    unread.append(f"{name(pod)} [{container}]: {exc}")
        hits = [line.strip() for line in lines if HTTPS_REQUIRED in line]
        if hits:
            found.append(
                finding(
                    "KC006",
                    msg("KC006.refused", container=container, pod=name(pod)),
                    [
                        msg("KC006.log_of", pod=name(pod), container=container, line=hits[-1]),
                        *_node_addresses(nodes),
                    ],
                    [
                        msg("KC006.rebuild"),
                        f"kubectl logs -n {namespace} {name(pod)} -c {container}",
                    ],
                )
            )
    return found, unread


# -- the database host from the spec alone (ST002, ST003: which volumes are databases) ----------
def keycloak_db_host(workloads: list[Obj], pods: list[Obj], keycloak: str) -> str | None:
    """DB_ADDR of the keycloak container, when the spec gives it as a literal value."""
    specs = [
        ((w.get("spec") or {}).get("template") or {}).get("spec") or {}
        for w in workloads
        if name(w) == keycloak
    ]
    specs += [(p.get("spec") or {}) for p in pods if (owner(p) or ("", ""))[1] == keycloak]
    for spec in specs:
        for container in spec.get("containers") or []:
            for env in container.get("env") or []:
                if env.get("name") == "DB_ADDR" and env.get("value"):
                    return str(env["value"]).strip()
    return None
