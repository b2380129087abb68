"""VQ001 live: the certificate the ingress serves for a host (SNI), and where to ask for it.

The handshake sends the Ingress host as SNI and verifies nothing: the point is to
read what is served, trusted or not, and compare its fingerprint with the Secret's.

Where the ingress is reached (unless `--endpoint ingress=HOST:PORT`):
- in-cluster, the ingress controller's Service (the LoadBalancer Service whose
  address the Ingress's status publishes), by its Service DNS name, port 443;
- otherwise the address in the Ingress's `status.loadBalancer`, port 443. That
  address may only accept traffic from some networks, so a failure to reach it
  is not judged (the workstation vantage): the comparison is skipped instead.
"""

from __future__ import annotations

import socket
import ssl
from typing import Any

from cryptography import x509

from vantiq_health import pem
from vantiq_health.analysis.k8s import Obj, name
from vantiq_health.i18n import msg
from vantiq_health.probes import endpoints as ep
from vantiq_health.probes.net import timed
from vantiq_health.probes.result import TIMEOUT, TLS_FAILED, ProbeResult
from vantiq_health.view.base import Unavailable

HTTPS_PORT = 443


def served_certificate(host: str, port: int, sni: str, timeout: float, vantage: str) -> ProbeResult:
    """Connect to host:port, say `sni` in the handshake, and describe the leaf certificate served."""

    def session(result: ProbeResult, address: str) -> None:
        result.data["sni"] = sni
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE  # read what is served, whoever signed it
        try:
            with (
                socket.create_connection((address, port), timeout=timeout) as raw,
                context.wrap_socket(raw, server_hostname=sni) as tls,
            ):
                der = tls.getpeercert(binary_form=True)
                result.data["protocol"] = tls.version() or ""
        except TimeoutError:
            result.error_class = TIMEOUT
            result.error = msg(
                "VQ001.handshake_timeout", address=address, port=port, sni=sni, timeout=timeout
            )
            return
        except (ssl.SSLError, OSError) as exc:
            result.error_class = TLS_FAILED
            result.error = msg("VQ001.handshake_failed", address=address, port=port, sni=sni, error=str(exc))
            return
        if not der:
            result.error_class = TLS_FAILED
            result.error = msg("VQ001.no_cert_served", address=address, port=port, sni=sni)
            return
        result.reached.append("tls")
        result.data.update(describe(der))

    return timed("ingress", host, port, timeout, vantage, session)


def describe(der: bytes) -> dict[str, Any]:
    """What a report may say about a served certificate: it is public, the server sends it to anyone."""
    cert = x509.load_der_x509_certificate(der)
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        names = sans.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    return {
        "fingerprint": pem.fingerprint(cert),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "sans": names,
    }


# -- where the ingress is -----------------------------------------------------------------------
def _lb_addresses(obj: Obj) -> list[str]:
    entries = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return [str(e.get("ip") or e.get("hostname")) for e in entries if e.get("ip") or e.get("hostname")]


def _serves(ingress: Obj, host: str) -> bool:
    spec = ingress.get("spec") or {}
    hosts = {r.get("host") for r in spec.get("rules") or [] if isinstance(r, dict)}
    hosts |= {h for t in spec.get("tls") or [] if isinstance(t, dict) for h in t.get("hosts") or []}
    return host in hosts


def _controller_service(view: Any, address: str) -> tuple[str, int] | None:
    """The LoadBalancer Service that owns the Ingress's published address, by DNS name and HTTPS port."""
    try:
        services = view.objects("services", None)
    except Unavailable:
        return None  # no cluster-wide list of Services: the published address will do
    for svc in services:
        spec = svc.get("spec") or {}
        if spec.get("type") != "LoadBalancer" or address not in _lb_addresses(svc):
            continue
        ports = [
            p for p in spec.get("ports") or [] if p.get("port") == HTTPS_PORT or p.get("name") == "https"
        ]
        port = int(ports[0]["port"]) if ports else HTTPS_PORT
        return f"{name(svc)}.{svc['metadata'].get('namespace', '')}.svc", port
    return None


def ingress_address(view: Any, namespace: str, host: str, *, in_cluster: bool) -> tuple[str, int, str]:
    """(host, port, vantage) to ask for `host`'s certificate; Unavailable when no address is known."""
    ingresses = [i for i in view.objects("ingresses", namespace) if _serves(i, host)]
    if not ingresses:
        raise Unavailable(msg("VQ001.no_ingress_for_host", namespace=namespace, host=host))
    addresses = [a for i in ingresses for a in _lb_addresses(i)]
    if not addresses:
        raise Unavailable(msg("VQ001.no_lb_address", ingress=name(ingresses[0])))
    if in_cluster:
        service = _controller_service(view, addresses[0])
        if service is not None:
            return service[0], service[1], ep.POD_NETWORK
    return addresses[0], HTTPS_PORT, ep.WORKSTATION
