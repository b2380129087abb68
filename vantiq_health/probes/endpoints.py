"""Where a probe connects, and from which vantage the result may judge the network.

Three ways to reach a service, decided once per target:
- explicit: `--endpoint NAME[@NS]=HOST:PORT|URL` (a VPN, a managed database, the tests);
- in-cluster: the suite runs in a pod (KUBERNETES_SERVICE_HOST), Service DNS names work;
- from a workstation: a port-forward to a ready pod of a Service, or, for a host outside the cluster,
  a direct connection whose resolve/TCP failures are not findings (the host may only
  accept the cluster's traffic).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from vantiq_health.i18n import msg

NAMES = ("postgres", "mongodb", "keycloak", "influxdb", "grafana", "grafanadb", "dns", "ingress")
HTTP_NAMES = {"keycloak": "/auth", "grafana": "", "influxdb": "", "ingress": ""}
_SPEC = re.compile(r"(?P<name>[a-z]+)(?:@(?P<ns>[a-z0-9]([-a-z0-9]*[a-z0-9])?))?=(?P<target>.+)")

# vantages
# (each a `Msg`: its English text is the machine value, shown in the run's language)
EXPLICIT = msg("common.vantage_explicit")  # "explicit --endpoint"
POD_NETWORK = msg("common.vantage_pod_network")  # "pod network (in-cluster)"
PORT_FORWARD = msg("common.vantage_port_forward")  # "port-forward to the service's pod"
WORKSTATION = msg("common.vantage_workstation")  # "this workstation"
JUDGES_NETWORK = {EXPLICIT, POD_NETWORK, PORT_FORWARD}
NOT_REACHABLE = "not reachable from here — run in the cluster or pass --endpoint"


class EndpointError(ValueError):
    """A malformed --endpoint value."""


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None  # None: every installation namespace
    host: str
    port: int
    url: str | None = None  # HTTP services: the base URL

    def describe(self) -> str:
        where = f"@{self.namespace}" if self.namespace else ""
        return f"{self.name}{where}={self.url or f'{self.host}:{self.port}'}"


def _host_port(text: str, spec: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not host or not 0 < int(port) < 65536:
        raise EndpointError(msg("common.endpoint_host_port", spec=spec))
    return host.strip("[]"), int(port)


def parse_endpoint(spec: str) -> Endpoint:
    match = _SPEC.fullmatch(spec.strip())
    if not match:
        raise EndpointError(msg("common.endpoint_form", spec=spec))
    service, ns, target = match["name"], match["ns"], match["target"]
    if service not in NAMES:
        raise EndpointError(
            msg("common.endpoint_unknown", spec=spec, service=service, known=", ".join(NAMES))
        )
    if "://" in target:
        if service not in HTTP_NAMES:
            raise EndpointError(msg("common.endpoint_no_url", spec=spec, service=service))
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise EndpointError(msg("common.endpoint_url", spec=spec))
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return Endpoint(service, ns, parts.hostname, port, target.rstrip("/"))
    host, port = _host_port(target, spec)
    url = f"http://{host}:{port}{HTTP_NAMES[service]}" if service in HTTP_NAMES else None
    return Endpoint(service, ns, host, port, url)


@dataclass(frozen=True)
class Endpoints:
    items: tuple[Endpoint, ...] = ()

    def find(self, service: str, namespace: str | None) -> Endpoint | None:
        """The endpoint for a service in a namespace: one given for that namespace wins over a general one."""
        general = None
        for ep in self.items:
            if ep.name != service:
                continue
            if ep.namespace == namespace:
                return ep
            if ep.namespace is None:
                general = ep
        return general

    def describe(self) -> str:
        return ", ".join(ep.describe() for ep in self.items)


def parse_endpoints(specs: list[str]) -> Endpoints:
    found = [parse_endpoint(spec) for value in specs for spec in value.split(",") if spec.strip()]
    seen: set[tuple[str, str | None]] = set()
    for ep in found:
        if (ep.name, ep.namespace) in seen:
            raise EndpointError(msg("common.endpoint_twice", spec=ep.describe()))
        seen.add((ep.name, ep.namespace))
    return Endpoints(tuple(found))


def in_cluster() -> bool:
    return bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def service_name(host: str, namespace: str) -> str | None:
    """The Service a host names in the cluster (`svc`, `svc.ns`, `svc.ns.svc[.cluster.local]`), or None."""
    labels = host.rstrip(".").split(".")
    if len(labels) == 1:
        return labels[0]
    if len(labels) == 2 and labels[1] == namespace:
        return labels[0]
    if len(labels) >= 3 and labels[2] == "svc":
        return labels[0]
    return None
