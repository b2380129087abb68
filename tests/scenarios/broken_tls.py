"""Broken variants of the baseline for the Vantiq TLS certificate (VQ001) and license (VQ002).

The certificates are real (`cryptography`, tests/scenarios/certs.py); the
license is a signed-token-shaped file in a PEM-style armour whose `exp` claim
is the only thing the suite reads of it. (vq001-expired and vq001-wrong-host
live with the environment's variants.)
"""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from tests.scenarios.certs import issue, server_chain
from tests.scenarios.installation import DOMAIN, Scenario
from tests.scenarios.objects import b64
from tests.scenarios.variants import Variant

LICENSE_CANARY = "Canary Customer K.K."  # in the license's claims: never in a report


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def license_file(expires: datetime, *, armour: bool = True) -> bytes:
    """A license as a signed token: header.claims.signature, its claims naming the customer and the expiry."""
    claims = {"iss": "Vantiq", "sub": LICENSE_CANARY, "exp": int(expires.timestamp()), "maxUsers": 250}
    token = ".".join(
        [
            _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode()),
            _b64url(json.dumps(claims).encode()),
            _b64url(b"signature-bytes-" * 8),
        ]
    )
    if not armour:
        return token.encode()
    body = base64.b64encode(token.encode()).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return (
        "-----BEGIN VANTIQ LICENSE-----\n" + "\n".join(lines) + "\n-----END VANTIQ LICENSE-----\n"
    ).encode()


def _tls(sc: Scenario, crt: bytes, key: bytes) -> None:
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"].update({"tls.crt": b64(crt), "tls.key": b64(key)})


def _issued(sc: Scenario, start_days: float, end_days: float, *sans: str) -> tuple[bytes, bytes]:
    now = sc.clock.now
    root = issue(
        "Scenario Root CA", ca=True, not_before=now - timedelta(days=60), not_after=now + timedelta(days=3650)
    )
    inter = issue(
        "Scenario Issuing CA",
        ca=True,
        issuer=root,
        not_before=now - timedelta(days=60),
        not_after=now + timedelta(days=1800),
    )
    leaf = issue(
        DOMAIN,
        sans=sans or (DOMAIN,),
        issuer=inter,
        not_before=now + timedelta(days=start_days),
        not_after=now + timedelta(days=end_days),
    )
    return leaf.cert_pem + inter.cert_pem, leaf.key_pem


def _vq001_not_yet_valid(sc: Scenario) -> None:
    """The renewal was issued with a start date two days ahead and deployed at once."""
    _tls(sc, *_issued(sc, 2, 400))


def _vq001_key_mismatch(sc: Scenario) -> None:
    """tls.key is the key of the previous certificate, not of the renewed one."""
    crt, _ = server_chain(DOMAIN, sc.clock.now)
    old = issue(
        DOMAIN, not_before=sc.clock.now, not_after=sc.clock.now + timedelta(days=9), key_label="old key"
    )
    _tls(sc, crt, old.key_pem)


def _vq001_wildcard_apex(sc: Scenario) -> None:
    """A wildcard certificate for *.vantiq.example.com deployed for the apex vantiq.example.com."""
    _tls(sc, *_issued(sc, -30, 300, f"*.{DOMAIN}"))


def _vq001_not_pem(sc: Scenario) -> None:
    """tls.crt holds the DER file (the .cer the CA sent), not PEM."""
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"]["tls.crt"] = b64(
        b"0\x82\x03\x1e0\x82\x02\x06\xa0\x03"
    )


def _vq001_self_signed(sc: Scenario) -> None:
    """A self-signed certificate made for a test and left in prod; the config does not declare it."""
    now = sc.clock.now
    alone = issue(
        DOMAIN, sans=(DOMAIN,), not_before=now - timedelta(days=1), not_after=now + timedelta(days=365)
    )
    _tls(sc, alone.cert_pem, alone.key_pem)


def _vq001_out_of_order(sc: Scenario) -> None:
    """The intermediate was pasted before the server's certificate."""
    crt, key = server_chain(DOMAIN, sc.clock.now)
    end = b"-----END CERTIFICATE-----\n"
    leaf, inter = (part + end for part in crt.split(end)[:2])
    _tls(sc, inter + leaf, key)


def _vq001_incomplete(sc: Scenario) -> None:
    """Only the server's certificate was deployed: the intermediate is missing."""
    crt, key = server_chain(DOMAIN, sc.clock.now)
    end = b"-----END CERTIFICATE-----\n"
    _tls(sc, crt.split(end)[0] + end, key)


def _vq001_expiring(sc: Scenario) -> None:
    """Ten days left and no renewal in sight."""
    _tls(sc, *server_chain(DOMAIN, sc.clock.now, days_left=10.5))


def _license(sc: Scenario, content: bytes) -> None:
    sc.find("Secret", "prod", "vantiq-license")["data"]["license.key"] = b64(content)


def _vq002_missing(sc: Scenario) -> None:
    """The license Secret was deleted with the old namespace's leftovers."""
    sc.remove("Secret", "prod", "vantiq-license")


def _vq002_not_mounted(sc: Scenario) -> None:
    """A hand-edited StatefulSet lost the license mount; its pods start without the file."""
    for i in range(3):
        for c in sc.find("Pod", "prod", f"vantiq-{i}")["spec"]["containers"]:
            c["volumeMounts"] = [m for m in c.get("volumeMounts") or [] if m["name"] != "vantiq-license"]


def _vq002_expiring(sc: Scenario) -> None:
    """The license runs out in twelve days."""
    _license(sc, license_file(sc.clock.now + timedelta(days=12, hours=3)))


def _vq002_expired(sc: Scenario) -> None:
    _license(sc, license_file(sc.clock.now - timedelta(days=2)))


CRITICAL_SAN = f"host {DOMAIN} not in the SANs"
VARIANTS = [
    Variant(
        "vq001-not-yet-valid",
        _vq001_not_yet_valid,
        {("VQ001", "prod"): ("the certificate is not valid before", "notBefore")},
    ),
    Variant(
        "vq001-key-mismatch",
        _vq001_key_mismatch,
        {("VQ001", "prod"): ("the private key does not belong to the certificate", "openssl pkey -pubout")},
    ),
    Variant(
        "vq001-wildcard-apex",
        _vq001_wildcard_apex,
        {("VQ001", "prod"): (CRITICAL_SAN, f"SANs: *.{DOMAIN}")},
    ),
    Variant(
        "vq001-not-pem",
        _vq001_not_pem,
        {("VQ001", "prod"): ("the certificate does not parse", "no PEM block")},
    ),
    Variant(
        "vq001-self-signed",
        _vq001_self_signed,
        {("VQ001", "prod"): ("self-signed and the installation does not declare it", f"CN={DOMAIN}")},
    ),
    Variant(
        "vq001-out-of-order",
        _vq001_out_of_order,
        {("VQ001", "prod"): ("the certificate chain is out of order", "is number 2, not the first")},
    ),
    Variant(
        "vq001-incomplete",
        _vq001_incomplete,
        {("VQ001", "prod"): ("the certificate chain is incomplete", "CN=Scenario Issuing CA")},
    ),
    Variant(
        "vq001-expiring",
        _vq001_expiring,
        warns={("VQ001", "prod"): ("the certificate expires in 10 day(s)",)},
    ),
    Variant(
        "vq002-missing",
        _vq002_missing,
        {("SEC001", "prod"): ("Secret prod/vantiq-license does not exist",)},
        warns={
            ("VQ002", "prod"): ("Secret prod/vantiq-license does not exist: Vantiq has no license to read",)
        },
    ),
    Variant(
        "vq002-not-mounted",
        _vq002_not_mounted,
        warns={
            ("VQ002", "prod"): (
                "the license Secret vantiq-license is not mounted at /opt/vantiq/config/license in 3 vantiq pod(s)",
                "pod vantiq-0, container vantiq: nothing is mounted at /opt/vantiq/config/license",
            )
        },
    ),
    Variant(
        "vq002-expiring",
        _vq002_expiring,
        warns={("VQ002", "prod"): ("the Vantiq license in Secret vantiq-license expires in 12 day(s)",)},
    ),
    Variant(
        "vq002-expired",
        _vq002_expired,
        warns={("VQ002", "prod"): ("the Vantiq license in Secret vantiq-license expired on",)},
    ),
]
