"""VQ001 live: the served certificate (SNI) from a real TLS server on loopback, driver and whole suite.

The server plays the ingress controller: one certificate per SNI host, its
"Fake Certificate" for any other name. The suite reaches it with
`--endpoint ingress=127.0.0.1:PORT`, or through the Ingress's published
load-balancer address from the workstation vantage.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.probes.tls import Pair, SniServer, plain_server, sni_server
from tests.scenarios.certs import issue, server_chain
from tests.scenarios.installation import DOMAIN, Scenario, baseline
from tests.scenarios.objects import b64
from vantiq_health.analysis.tls import FAKE_CN
from vantiq_health.probes import endpoints as ep
from vantiq_health.probes.tls import ingress_address, served_certificate
from vantiq_health.view.base import Unavailable

NOW = datetime.now(UTC).replace(microsecond=0)
OTHER = "grafana.example.com"


def fake_pair() -> Pair:
    fake = issue(
        FAKE_CN,
        sans=("ingress.local",),
        not_before=NOW - timedelta(days=1),
        not_after=NOW + timedelta(days=365),
    )
    return fake.cert_pem, fake.key_pem


def _fingerprint(pem_bytes: bytes) -> str:
    from cryptography import x509

    from vantiq_health.pem import fingerprint

    return fingerprint(x509.load_pem_x509_certificate(pem_bytes))


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SniServer]:
    pairs = {DOMAIN: server_chain(DOMAIN, NOW), OTHER: server_chain(OTHER, NOW)}
    with sni_server(tmp_path / "certs", fake_pair(), pairs) as srv:
        yield srv


# -- the driver ---------------------------------------------------------------------------------
@pytest.mark.parametrize("host", [DOMAIN, OTHER])
def test_each_sni_host_gets_its_own_certificate(server: SniServer, host: str) -> None:
    result = served_certificate("127.0.0.1", server.port, host, 5, "test")
    assert result.ok, result.error
    assert result.reached == ["resolve", "tcp", "tls"]
    assert result.data["fingerprint"] == _fingerprint(server_chain(host, NOW)[0])
    assert result.data["sans"] == [host]
    assert result.data["sni"] == host
    assert server.asked[-1] == host


def test_an_unknown_host_gets_the_default_certificate(server: SniServer) -> None:
    result = served_certificate("127.0.0.1", server.port, "nobody.example.com", 5, "test")
    assert result.ok, result.error
    assert result.data["subject"] == f"CN={FAKE_CN}"


def test_a_closed_port_is_refused_at_tcp() -> None:
    result = served_certificate("127.0.0.1", 1, DOMAIN, 2, "test")
    assert (result.error_class, result.failed_at, result.network_failure) == ("refused", "tcp", True)


def test_a_server_without_tls_fails_at_the_handshake() -> None:
    with plain_server() as port:
        result = served_certificate("127.0.0.1", port, DOMAIN, 2, "test")
    assert (result.error_class, result.failed_at) == ("tls-failed", "tls"), result.error
    assert f"(SNI {DOMAIN}) failed" in result.error


# -- where the ingress is -----------------------------------------------------------------------
class _View:
    def __init__(self, objects: dict[tuple[str, str | None], list[dict]]) -> None:
        self._objects = objects

    def objects(self, resource: str, namespace: str | None = None) -> list[dict]:
        if (resource, namespace) not in self._objects:
            raise Unavailable(f"needs: list {resource}")
        return self._objects[(resource, namespace)]


def _published(sc: Scenario, address: str) -> dict:
    ing = sc.find("Ingress", "prod", "vantiq")
    ing["status"] = {"loadBalancer": {"ingress": [{"ip": address}]}}
    return ing


def test_from_a_workstation_the_published_address_is_not_judged() -> None:
    ing = _published(baseline(), "20.48.1.7")
    view = _View({("ingresses", "prod"): [ing]})
    assert ingress_address(view, "prod", DOMAIN, in_cluster=False) == ("20.48.1.7", 443, ep.WORKSTATION)


def test_in_cluster_the_controller_service_is_used() -> None:
    ing = _published(baseline(), "20.48.1.7")
    controller = {
        "metadata": {"name": "ingress-nginx-controller", "namespace": "ingress-nginx"},
        "spec": {
            "type": "LoadBalancer",
            "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443}],
        },
        "status": {"loadBalancer": {"ingress": [{"ip": "20.48.1.7"}]}},
    }
    view = _View({("ingresses", "prod"): [ing], ("services", None): [controller]})
    assert ingress_address(view, "prod", DOMAIN, in_cluster=True) == (
        "ingress-nginx-controller.ingress-nginx.svc",
        443,
        ep.POD_NETWORK,
    )
    # without the right to list Services cluster-wide, the published address, unjudged
    view = _View({("ingresses", "prod"): [ing]})
    assert ingress_address(view, "prod", DOMAIN, in_cluster=True)[2] == ep.WORKSTATION


def test_no_published_address_asks_for_the_endpoint() -> None:
    view = _View({("ingresses", "prod"): [baseline().find("Ingress", "prod", "vantiq")]})
    with pytest.raises(Unavailable, match="pass --endpoint ingress=HOST:PORT"):
        ingress_address(view, "prod", DOMAIN, in_cluster=False)
    with pytest.raises(Unavailable, match=f"no Ingress in prod serves {OTHER}"):
        ingress_address(view, "prod", OTHER, in_cluster=False)


# -- the whole suite ----------------------------------------------------------------------------
def _secret_pair(sc: Scenario) -> Pair:
    data = sc.find("Secret", "prod", "vantiq-ssl-cert")["data"]
    return base64.b64decode(data["tls.crt"]), base64.b64decode(data["tls.key"])


def _vq001(pytester: pytest.Pytester, sc: Scenario, *args: str) -> SuiteRun:
    run = run_live(pytester, sc, "-k", "tls_certificate", *args, live=True)
    assert set(run.outcomes()) == {("VQ001", "prod")}, run.output()
    return run


def test_the_served_certificate_is_the_secrets(pytester: pytest.Pytester, tmp_path: Path) -> None:
    sc = baseline()
    with sni_server(tmp_path / "certs", fake_pair(), {DOMAIN: _secret_pair(sc)}) as srv:
        run = _vq001(pytester, sc, f"--endpoint=ingress=127.0.0.1:{srv.port}")
        assert srv.asked == [DOMAIN]
    assert run.outcomes()[("VQ001", "prod")] == "passed", run.output()
    message = run.message("VQ001", "prod")
    assert (
        f"{DOMAIN}: the ingress at 127.0.0.1:{srv.port} (explicit --endpoint) serves the Secret's certificate"
        in message
    )
    assert (
        f"ingress 127.0.0.1:{srv.port} from explicit --endpoint: reached resolve → tcp → tls" in run.output()
    )


def test_a_renewal_the_controller_did_not_pick_up(pytester: pytest.Pytester, tmp_path: Path) -> None:
    sc = baseline()
    old = _secret_pair(sc)
    crt, key = server_chain(DOMAIN, sc.clock.now, days_left=400)  # renewed: a new certificate in the Secret
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"].update({"tls.crt": b64(crt), "tls.key": b64(key)})
    with sni_server(tmp_path / "certs", fake_pair(), {DOMAIN: old}) as srv:
        run = _vq001(pytester, sc, f"--endpoint=ingress=127.0.0.1:{srv.port}", "--save-snapshot=saved")
    # the saved snapshot carries the probe's record: the same verdict offline, the server gone
    offline = run_snapshot(pytester, pytester.path / "saved", "-k", "tls_certificate")
    for done in (run, offline):
        assert done.outcomes() == {("VQ001", "prod"): "failed"}, done.output()
        message = done.message("VQ001", "prod")
        assert (
            f"the ingress serves a different certificate for host {DOMAIN} than Secret vantiq-ssl-cert holds: "
            "the controller did not pick up a renewal" in message
        )
        assert f"SHA-256 {_fingerprint(old[0])}" in message
        assert f"SHA-256 {_fingerprint(crt)}" in message
        assert f"-servername {DOMAIN}" in message


def test_the_controllers_fake_certificate_is_named(pytester: pytest.Pytester, tmp_path: Path) -> None:
    sc = baseline()
    with sni_server(tmp_path / "certs", fake_pair(), {}) as srv:
        run = _vq001(pytester, sc, f"--endpoint=ingress=127.0.0.1:{srv.port}")
    assert run.outcomes()[("VQ001", "prod")] == "failed", run.output()
    assert f"the ingress serves its default certificate for host {DOMAIN}" in run.message("VQ001", "prod")


def test_static_findings_and_the_live_one_together(pytester: pytest.Pytester, tmp_path: Path) -> None:
    sc = baseline()
    crt, key = server_chain(DOMAIN, sc.clock.now, days_left=10.5)
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"].update({"tls.crt": b64(crt), "tls.key": b64(key)})
    with sni_server(tmp_path / "certs", fake_pair(), {DOMAIN: server_chain(DOMAIN, sc.clock.now)}) as srv:
        run = _vq001(pytester, sc, f"--endpoint=ingress=127.0.0.1:{srv.port}")
    message = run.message("VQ001", "prod")
    assert run.outcomes()[("VQ001", "prod")] == "failed", run.output()
    assert "the certificate expires in 10 day(s)" in message
    assert "the controller did not pick up a renewal" in message


def test_a_handshake_failure_is_an_error(pytester: pytest.Pytester) -> None:
    with plain_server() as port:
        run = _vq001(pytester, baseline(), f"--endpoint=ingress=127.0.0.1:{port}")
    assert run.outcomes()[("VQ001", "prod")] == "failed", run.output()
    assert (
        f"the ingress at 127.0.0.1:{port} does not complete a TLS handshake for host {DOMAIN}"
        in run.message("VQ001", "prod")
    )


def test_an_unreachable_published_address_is_no_finding(pytester: pytest.Pytester) -> None:
    """From a workstation the load balancer may refuse this network: the comparison skips, the rest stands."""
    sc = baseline()
    _published(sc, "127.0.0.1")  # nothing listens on 443 here
    run = _vq001(pytester, sc, "--probe-timeout=2")
    assert run.outcomes()[("VQ001", "prod")] == "passed", run.output()
    message = run.message("VQ001", "prod")
    assert f"{DOMAIN}: served certificate not compared: 127.0.0.1:443: {ep.NOT_REACHABLE}" in message


def test_no_live_keeps_the_static_verdict(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "-k", "tls_certificate")
    assert run.outcomes() == {("VQ001", "prod"): "passed"}, run.output()
    assert f"{DOMAIN}: served certificate not compared: live probes are off (--no-live)" in run.message(
        "VQ001", "prod"
    )
