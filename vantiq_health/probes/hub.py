"""The session's probes: each target reached and tried once, whatever the number of checks asking.

A failed target is remembered like a successful one, so a dead database costs its
timeout once per session; a reason to skip (no live probes, not reachable from
this vantage) is remembered as `Unavailable` and every check that asks skips with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vantiq_health.analysis import keycloak
from vantiq_health.analysis.k8s import Obj, label_selector_matches
from vantiq_health.i18n import msg, reason_of
from vantiq_health.probes import endpoints as ep
from vantiq_health.probes.credentials import EnvValue, env_of, lookup
from vantiq_health.probes.probe_pods import PodOptions
from vantiq_health.probes.result import ProbeResult, from_record
from vantiq_health.session import Run
from vantiq_health.view.base import Unavailable

if TYPE_CHECKING:  # the drivers load when a probe runs: a --no-live or snapshot run never imports them
    from vantiq_health.probes.influx_target import InfluxProbe
    from vantiq_health.probes.network import Network
    from vantiq_health.probes.portforward import Forward


@dataclass(frozen=True)
class Reach:
    host: str
    port: int
    vantage: str


@dataclass(frozen=True)
class MongoProbe:
    """MG001/MG002: the login Vantiq is given (sources only) and what the probe found with it."""

    user: EnvValue
    password: EnvValue
    result: ProbeResult


@dataclass(frozen=True)
class KeycloakProbe:
    """KC005: the admin password's source and what the admin API answered."""

    password: EnvValue
    result: ProbeResult


@dataclass(frozen=True)
class PostgresProbe:
    """KC002/KC004: Keycloak's database settings and what the probe found with them."""

    db: keycloak.KeycloakDb
    result: ProbeResult


def service_label(service: Obj) -> str:
    return f"Service {(service.get('metadata') or {}).get('name', '')}"


def _ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)


def _backing_pod(service: Obj, pods: list[Obj], port: int) -> tuple[str | None, int]:
    """A ready pod the Service selects, and the container port its `port` maps to."""
    spec = service.get("spec") or {}
    selector = spec.get("selector") or {}
    target: Any = next(
        (p.get("targetPort", port) for p in spec.get("ports") or [] if p.get("port") == port), port
    )
    chosen = sorted(
        (
            p
            for p in pods
            if selector
            and _ready(p)
            and label_selector_matches(
                {"matchLabels": selector}, (p.get("metadata") or {}).get("labels") or {}
            )
        ),
        key=lambda p: str((p.get("metadata") or {}).get("name", "")),
    )
    if not chosen:
        return None, port
    if isinstance(target, str):  # a named container port
        ports = [
            cp for c in (chosen[0].get("spec") or {}).get("containers") or [] for cp in c.get("ports") or []
        ]
        target = next((cp.get("containerPort") for cp in ports if cp.get("name") == target), port)
    return str(chosen[0]["metadata"]["name"]), int(target)


class Probes:
    def __init__(
        self,
        run: Run,
        endpoints: ep.Endpoints,
        *,
        live: bool,
        timeout: float,
        pod_options: PodOptions | None = None,
    ) -> None:
        self.run, self.endpoints, self.live, self.timeout = run, endpoints, live, timeout
        self.pod_options = pod_options or PodOptions()
        self._lock = threading.Lock()
        self._key_locks: dict[Any, threading.Lock] = {}
        self._done: dict[Any, tuple[bool, Any]] = {}
        self._closers: list[Callable[[], None]] = []

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()

    def on_close(self, closer: Callable[[], None]) -> None:
        self._closers.append(closer)

    def results(self) -> list[ProbeResult]:
        """Every probe this session ran (for reports and --save-snapshot)."""
        with self._lock:
            found = [v for ok, v in self._done.values() if ok]
        return [getattr(v, "result", v) for v in found if isinstance(getattr(v, "result", v), ProbeResult)]

    # -- once per target -------------------------------------------------------------------------
    def _once(self, key: Any, make: Callable[[], Any]) -> Any:
        with self._lock:
            lock = self._key_locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._done:
                try:
                    self._done[key] = (True, make())
                except Unavailable as exc:
                    self._done[key] = (False, reason_of(exc))
            ok, value = self._done[key]
        if not ok:
            raise Unavailable(value)
        return value

    def require_live(self) -> None:
        self._require_live()

    def _require_live(self) -> None:
        if not self.live:
            raise Unavailable(msg("common.live_off"))

    @property
    def offline(self) -> bool:
        """A snapshot: probes are not run, the capturing run's records are read back."""
        return self.run.view.mode == "snapshot"

    def _recorded(self, key: str, probe: Callable[[], ProbeResult]) -> ProbeResult:
        """A probe's record: run now and remembered for --save-snapshot, or, offline, the one the
        capturing run saved — so a snapshot a customer sends gives the same live verdicts."""
        self._require_live()
        view = self.run.view
        if not self.offline:
            result = probe()
            view.remember(f"probe/{key}", result.to_dict())
            return result
        saved = view.recall(f"probe/{key}")
        if saved is None:
            raise Unavailable(msg("common.snapshot_no_record"))
        found = from_record(saved)
        if found is None:
            raise Unavailable(msg("common.snapshot_bad_record", probe=key))
        return found

    def reach(self, service: str, namespace: str, host: str, port: int) -> Reach:
        """Where to connect for a service, and the vantage that decides what a network failure means."""
        explicit = self.endpoints.find(service, namespace)
        if explicit is not None:
            return Reach(explicit.host, explicit.port, ep.EXPLICIT)
        if ep.in_cluster():
            return Reach(host, port, ep.POD_NETWORK)
        svc = ep.service_name(host, namespace)
        svc_obj = self.run.view.get("services", namespace, svc) if svc is not None else None
        if svc_obj is not None:
            forward = self._forward(svc_obj, namespace, port, service_name=service_label(svc_obj))
            return Reach("127.0.0.1", forward.port, ep.PORT_FORWARD)
        return Reach(host, port, ep.WORKSTATION)

    def _forward(self, service: Obj, namespace: str, port: int, service_name: str) -> Forward:
        """A port-forward to a ready pod behind the Service, opened once per target."""
        pod, remote = _backing_pod(service, self.run.view.objects("pods", namespace), port)
        if pod is None:
            raise Unavailable(msg("common.no_pod_to_forward", service=service_name, namespace=namespace))
        api = getattr(self.run.view, "api", None)
        if api is None:
            raise Unavailable(msg("common.forward_needs_live"))

        def make() -> Forward:
            from vantiq_health.probes.portforward import Forward

            forward = Forward(api, namespace, pod, remote, self.timeout)
            self._closers.append(forward.close)
            return forward

        found: Forward = self._once(("forward", namespace, pod, remote), make)
        return found

    def _judged(self, result: ProbeResult) -> ProbeResult:
        """A network failure seen from a workstation to an outside host is no finding: skip."""
        if result.network_failure and result.vantage not in ep.JUDGES_NETWORK:
            raise Unavailable(msg("common.not_reachable", target=result.target, error=result.error))
        return result

    # -- services --------------------------------------------------------------------------------
    def postgres(self, namespace: str) -> PostgresProbe:
        """Keycloak's database, logged into with the credentials the keycloak pods get."""
        return self._once(("postgres", namespace), lambda: self._postgres(namespace))

    def _postgres(self, namespace: str) -> PostgresProbe:
        from vantiq_health.probes import postgres

        self._require_live()
        view, config = self.run.view, self.run.config
        pods = keycloak.keycloak_pods(view.objects("pods", namespace), config.name(namespace, "keycloak"))
        db = keycloak.database_of(view, config, namespace, pods, values=not self.offline)
        if db is None:
            raise Unavailable(msg("common.no_keycloak_for_db", namespace=namespace))

        def probe() -> ProbeResult:
            assert db is not None
            for value in (db.addr, db.user, db.database, db.password):
                if not value.known:
                    raise Unavailable(msg("common.value_not_known", name=value.name, missing=value.missing))
            host, port = db.host_port
            where = self.reach("postgres", namespace, host, port)
            login = postgres.Login(
                where.host,
                where.port,
                db.database.text or "",
                db.user.text or "",
                db.password.text or "",
                db.sslmode,
            )
            return postgres.probe(login, self.timeout, where.vantage)

        return PostgresProbe(db, self._judged(self._recorded(f"postgres/{namespace}", probe)))

    def mongodb(self, namespace: str) -> MongoProbe:
        """The installation's MongoDB, logged into with the credentials the vantiq pods get."""
        return self._once(("mongodb", namespace), lambda: self._mongodb(namespace))

    def _mongo_login(self, namespace: str) -> tuple[EnvValue, EnvValue, str]:
        view, config = self.run.view, self.run.config
        vantiq = config.name(namespace, "vantiq")
        pods = keycloak.keycloak_pods(view.objects("pods", namespace), vantiq)
        if not pods:
            raise Unavailable(msg("common.no_pod_for_mongo", vantiq=vantiq, namespace=namespace))
        container = keycloak.keycloak_container(pods[0], vantiq)
        env = env_of(view, namespace, container or {}, values=not self.offline, pod=pods[0])
        user = lookup(env, config.name(namespace, "mongo_user_env"), None)
        password = lookup(env, config.name(namespace, "mongo_password_env"), None)
        return user, password, keycloak.name(pods[0])

    def _mongodb(self, namespace: str) -> MongoProbe:
        from vantiq_health.probes import mongodb

        self._require_live()
        user, password, pod = self._mongo_login(namespace)

        def probe() -> ProbeResult:
            for value in (user, password):
                if not value.known:
                    raise Unavailable(
                        msg("common.pod_value_not_known", name=value.name, pod=pod, missing=value.missing)
                    )
            service = self.run.config.name(namespace, "mongodb_service")
            where = self.reach("mongodb", namespace, f"{service}.{namespace}.svc", 27017)
            login = mongodb.Login(
                where.host,
                where.port,
                user.text or "",
                password.text or "",
                self.run.config.name(namespace, "mongo_auth_db"),
            )
            return mongodb.probe(login, self.timeout, where.vantage)

        return MongoProbe(user, password, self._judged(self._recorded(f"mongodb/{namespace}", probe)))

    def keycloak(self, namespace: str) -> KeycloakProbe:
        """Keycloak's admin API with the admin login the keycloak pods get (KEYCLOAK_USER/_PASSWORD)."""
        return self._once(("keycloak", namespace), lambda: self._keycloak(namespace))

    def _keycloak_url(self, namespace: str) -> tuple[str, str]:
        explicit = self.endpoints.find("keycloak", namespace)
        if explicit is not None and explicit.url:
            return explicit.url, ep.EXPLICIT
        name = self.run.config.name(namespace, "keycloak")
        service = self.run.view.get("services", namespace, name) or {}
        ports = (service.get("spec") or {}).get("ports") or [{"port": 8080}]
        where = self.reach("keycloak", namespace, f"{name}.{namespace}.svc", int(ports[0].get("port", 8080)))
        return f"http://{where.host}:{where.port}/auth", where.vantage

    def _keycloak(self, namespace: str) -> KeycloakProbe:
        from vantiq_health.probes import http

        self._require_live()
        view, config = self.run.view, self.run.config
        pods = keycloak.keycloak_pods(view.objects("pods", namespace), config.name(namespace, "keycloak"))
        if not pods:
            raise Unavailable(msg("common.no_keycloak_for_admin", namespace=namespace))
        container = keycloak.keycloak_container(pods[0], config.name(namespace, "keycloak")) or {}
        env = env_of(view, namespace, container, values=not self.offline, pod=pods[0])
        user, password = lookup(env, "KEYCLOAK_USER", "keycloak"), lookup(env, "KEYCLOAK_PASSWORD", None)

        def probe() -> ProbeResult:
            if not password.known:
                pod = keycloak.name(pods[0])
                raise Unavailable(
                    msg(
                        "common.pod_value_not_known",
                        name="KEYCLOAK_PASSWORD",
                        pod=pod,
                        missing=password.missing,
                    )
                )
            url, vantage = self._keycloak_url(namespace)
            realms = list(config.expect.get("keycloak_realms") or [])
            verify = not config.expect.get("self_signed", False)
            return http.keycloak_realms(
                url, user.text or "", password.text or "", realms, self.timeout, vantage, verify=verify
            )

        return KeycloakProbe(password, self._judged(self._recorded(f"keycloak/{namespace}", probe)))

    def served_certificate(self, namespace: str, host: str) -> ProbeResult:
        """VQ001 live: the certificate the ingress serves for an Ingress host (SNI), once per host."""
        return self._once(
            ("served-certificate", namespace, host), lambda: self._served_certificate(namespace, host)
        )

    def _served_certificate(self, namespace: str, host: str) -> ProbeResult:
        from vantiq_health.probes import tls

        def probe() -> ProbeResult:
            explicit = self.endpoints.find("ingress", namespace)
            if explicit is not None:
                where = Reach(explicit.host, explicit.port, ep.EXPLICIT)
            else:
                where = Reach(
                    *tls.ingress_address(self.run.view, namespace, host, in_cluster=ep.in_cluster())
                )
            return tls.served_certificate(where.host, where.port, host, self.timeout, where.vantage)

        return self._judged(self._recorded(f"served-certificate/{namespace}/{host}", probe))

    def influxdb(self, namespace: str) -> InfluxProbe:
        """The system namespace's InfluxDB, logged into with its Secret (probes/influx_target.py)."""
        from vantiq_health.probes import influx_target

        found: InfluxProbe = self._once(("influxdb", namespace), lambda: influx_target.probe(self, namespace))
        return found

    # -- the metrics pipeline (MT001, MT002, MT005, MT007): logic in probes/grafana_hub.py ------------
    def grafana(self, namespace: str) -> ProbeResult:
        """Grafana's API with the admin login of the Grafana Secret: its data sources and dashboards."""
        from vantiq_health.probes import grafana_hub

        def make() -> ProbeResult:
            found = self._recorded(f"grafana/{namespace}", lambda: grafana_hub.grafana(self, namespace))
            return self._judged(found)

        result: ProbeResult = self._once(("grafana", namespace), make)
        return result

    def grafanadb(self, namespace: str) -> Any:
        """Grafana's MySQL with Grafana's login: the tables of its schema (a `GrafanaDbProbe`)."""
        from vantiq_health.probes import grafana_hub

        return self._once(("grafanadb", namespace), lambda: grafana_hub.grafanadb(self, namespace))

    def access_review(self, user: str, groups: tuple[str, ...], verb: str, resource: str) -> bool:
        """A SubjectAccessReview through the cluster view (it stores nothing); a snapshot replays saved answers."""
        self._require_live()
        return self.run.view.access_review(user, groups, verb, resource)

    # -- the cluster network: NET001 live, NET002, NET005, VQ003 (probes/network.py) --------------
    def network(self) -> Network:
        """One run over the pod network per session: in-cluster, or from a probe pod."""
        from vantiq_health.probes import network

        found: Network = self._once(("network",), lambda: network.network(self))
        return found

    def dns(self, namespace: str) -> ProbeResult:
        """The MongoDB headless-service lookup, UDP then TCP (--endpoint dns=, or the pod network)."""
        from vantiq_health.probes import network

        found: ProbeResult = self._once(
            ("dns", namespace),
            lambda: self._recorded(f"dns/{namespace}", lambda: network.dns(self, namespace)),
        )
        return found
