"""VQ001 (static half): the Vantiq TLS Secret's certificate, judged from its redaction record.

The cluster view keeps, for PEM values, the parsed metadata of every block in
order (subject, issuer, SANs, validity, public-key fingerprint); the private
key itself never reaches an analysis.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vantiq_health.analysis.k8s import Obj, name, parse_time
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
from vantiq_health.probes.result import ProbeResult

FAKE_CN = (
    "Kubernetes Ingress Controller Fake Certificate"  # what ingress-nginx serves without a usable Secret
)


def hostname_matches(host: str, pattern: str) -> bool:
    """A SAN matches a host as browsers match it: a wildcard stands for exactly one left-most label."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if not pattern.startswith("*."):
        return host == pattern
    head, _, rest = host.partition(".")
    return bool(head) and rest == pattern[2:]


def ingress_hosts(ingresses: list[Obj], secret_name: str) -> list[str]:
    """Hosts the Ingresses serve with this Secret (or, when none names it, every Ingress host)."""
    named: list[str] = []
    every: list[str] = []
    for ing in ingresses:
        spec = ing.get("spec") or {}
        for tls in spec.get("tls") or []:
            if isinstance(tls, dict) and tls.get("secretName") == secret_name:
                named.extend(str(h) for h in tls.get("hosts") or [])
        every.extend(str(r["host"]) for r in spec.get("rules") or [] if isinstance(r, dict) and r.get("host"))
    return sorted(set(named or every))


def _blocks(secret: Obj, key: str) -> tuple[list[dict[str, Any]], str | None]:
    record = (secret.get("data") or {}).get(key)
    if not isinstance(record, dict):
        return [], msg("VQ001.key_missing", key=key)
    if record.get("shape") != "pem" or not record.get("pem"):
        return [], msg("VQ001.no_pem", key=key, length=record.get("length", 0))
    broken = [b for b in record["pem"] if b.get("error")]
    if broken:
        error = broken[0]["error"].split(":")[0]
        return [], msg("VQ001.broken_block", key=key, type=broken[0].get("type", "PEM"), error=error)
    return list(record["pem"]), None


def certificate_findings(
    secret: Obj, ingresses: list[Obj], now: datetime, *, self_signed_ok: bool, expiry_days: float
) -> tuple[list[Finding], list[str]]:
    """VQ001's static findings and the facts a passing report shows."""
    sec = name(secret)
    inspect = f"kubectl get secret -n {secret['metadata'].get('namespace', '')} {sec} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d | openssl x509 -noout -subject -issuer -dates -ext subjectAltName"
    certs_blocks, problem = _blocks(secret, "tls.crt")
    certs = [b for b in certs_blocks if b.get("type") == "certificate"]
    if problem or not certs:
        return [
            finding(
                "VQ001",
                msg("VQ001.cert_not_parse", secret=sec),
                [problem or msg("VQ001.no_cert_block")],
                [inspect],
            )
        ], []
    leaf = _leaf(secret, certs)
    found: list[Finding] = []
    found += _validity(sec, leaf, now, expiry_days, inspect)
    found += _hosts(sec, leaf, ingress_hosts(ingresses, sec), inspect)
    found += _key_match(secret, sec, leaf)
    found += _chain(sec, certs, leaf, self_signed_ok)
    facts = [
        msg("VQ001.subject_issuer", secret=sec, subject=leaf.get("subject"), issuer=leaf.get("issuer")),
        msg(
            "VQ001.valid_between",
            secret=sec,
            start=leaf.get("not_before"),
            end=leaf.get("not_after"),
            sans=_sans(leaf.get("sans")),
        ),
    ]
    return found, facts


def _sans(sans: Any) -> str:
    return ", ".join(str(s) for s in sans or []) or msg("VQ001.none")


def _validity(
    sec: str, leaf: dict[str, Any], now: datetime, expiry_days: float, inspect: str
) -> list[Finding]:
    start, end = parse_time(leaf.get("not_before")), parse_time(leaf.get("not_after"))
    if end is not None and end <= now:
        return [
            finding(
                "VQ001",
                msg("VQ001.expired", secret=sec, date=str(end.date())),
                [f"notAfter {end.isoformat()}"],
                [inspect],
                "critical",
            )
        ]
    if start is not None and start > now:
        return [
            finding(
                "VQ001",
                msg("VQ001.not_yet_valid", secret=sec, start=start.isoformat()),
                [msg("VQ001.not_before", start=start.isoformat(), now=now.isoformat(timespec="seconds"))],
                [inspect],
                "critical",
            )
        ]
    if end is not None and (end - now).total_seconds() < expiry_days * 86400:
        days = int((end - now).total_seconds() // 86400)
        return [
            finding(
                "VQ001",
                msg("VQ001.expires_soon", secret=sec, days=days, date=str(end.date())),
                [f"notAfter {end.isoformat()}"],
                [inspect],
                "warning",
            )
        ]
    return []


def _hosts(sec: str, leaf: dict[str, Any], hosts: list[str], inspect: str) -> list[Finding]:
    sans = [str(s) for s in leaf.get("sans") or []]
    missed = [h for h in hosts if not any(hostname_matches(h, s) for s in sans)]
    if not missed:
        return []
    return [
        finding(
            "VQ001",
            msg("VQ001.hosts_not_covered", secret=sec, n=len(missed)),
            [msg("VQ001.host_not_in_sans", host=h) for h in missed] + [msg("VQ001.sans", sans=_sans(sans))],
            [inspect],
            "critical",
        )
    ]


def _key_match(secret: Obj, sec: str, leaf: dict[str, Any]) -> list[Finding]:
    keys, problem = _blocks(secret, "tls.key")
    key = next((b for b in keys if b.get("type") == "private-key"), None)
    if problem or key is None:
        if not isinstance((secret.get("data") or {}).get("tls.key"), dict):
            return []  # SEC001/SEC002 speak of missing keys
        return [
            finding(
                "VQ001",
                msg("VQ001.key_not_parse", secret=sec),
                [problem or msg("VQ001.no_key_block")],
                [],
                "critical",
            )
        ]
    if key.get("public_key") != leaf.get("public_key"):
        return [
            finding(
                "VQ001",
                msg("VQ001.key_mismatch", secret=sec),
                [msg("VQ001.key_mismatch_evidence")],
                [
                    f"kubectl get secret {sec} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d | openssl x509 -noout -pubkey | sha256sum",
                    f"kubectl get secret {sec} -o jsonpath='{{.data.tls\\.key}}' | base64 -d | openssl pkey -pubout | sha256sum",
                ],
                "critical",
            )
        ]
    return []


def _leaf(secret: Obj, certs: list[dict[str, Any]]) -> dict[str, Any]:
    """The server's own certificate: the one tls.key belongs to, else the first that is no CA, else the first.

    A chain out of order is one finding (the chain's), not also an expired or
    mismatched "leaf" that is really the intermediate placed first.
    """
    keys, _ = _blocks(secret, "tls.key")
    key = next((b.get("public_key") for b in keys if b.get("type") == "private-key"), None)
    by_key = [c for c in certs if key and c.get("public_key") == key]
    not_ca = [c for c in certs if c.get("ca") is False]
    return (by_key or not_ca or certs)[0]


def _chain(
    sec: str, certs: list[dict[str, Any]], leaf: dict[str, Any], self_signed_ok: bool
) -> list[Finding]:
    found = _order(sec, certs, leaf)
    last = certs[-1]
    if not found and not last.get("self_signed") and not last.get("ca", True):
        found.append(
            finding(
                "VQ001",
                msg("VQ001.chain_incomplete", secret=sec),
                [
                    msg(
                        "VQ001.chain_last",
                        n=len(certs),
                        subject=last.get("subject"),
                        issuer=last.get("issuer"),
                    ),
                    msg("VQ001.chain_clients"),
                ],
                [],
                "error",
                advice=[msg("VQ001.chain_advice")],
            )
        )
    if leaf.get("self_signed") and not self_signed_ok:
        found.append(
            finding(
                "VQ001",
                msg("VQ001.self_signed", secret=sec),
                [f"subject = issuer = {leaf.get('subject')}"],
                [],
                "error",
            )
        )
    return found


def _order(sec: str, certs: list[dict[str, Any]], leaf: dict[str, Any]) -> list[Finding]:
    """Leaf first, then each certificate's issuer."""
    subjects = [c.get("subject") for c in certs]
    misplaced = [
        msg("VQ001.misplaced", i=i + 1, subject=c.get("subject"), next=subjects[i + 1])
        for i, c in enumerate(certs[:-1])
        if c.get("issuer") != subjects[i + 1] and not c.get("self_signed")
    ]
    if leaf is not certs[0]:
        misplaced.insert(
            0,
            msg("VQ001.leaf_not_first", subject=leaf.get("subject"), i=certs.index(leaf) + 1),
        )
    if not misplaced or not any(c.get("issuer") in subjects for c in certs if not c.get("self_signed")):
        return []
    return [
        finding(
            "VQ001",
            msg("VQ001.out_of_order", secret=sec),
            misplaced,
            [],
            "error",
        )
    ]


# -- live: what the ingress serves (SNI) ----------------------------------------------------------
def secret_leaf(secret: Obj) -> dict[str, Any] | None:
    """The Secret's leaf certificate metadata, or None when tls.crt holds none that parses."""
    blocks, problem = _blocks(secret, "tls.crt")
    certs = [b for b in blocks if b.get("type") == "certificate"]
    return None if problem or not certs else certs[0]


def served_findings(secret: Obj, host: str, served: ProbeResult) -> tuple[list[Finding], list[str]]:
    """VQ001 live for one host: the certificate served with SNI `host` against the Secret's leaf."""
    leaf = secret_leaf(secret) or {}
    ask = f"openssl s_client -connect {served.target} -servername {host} </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256 -subject -enddate"
    if not served.ok:
        if served.network_failure:
            return [], [msg("VQ001.not_compared_network", host=host, error=served.error)]
        return [
            finding(
                "VQ001",
                msg("VQ001.no_handshake", target=served.target, host=host),
                [served.describe(), served.error],
                [ask],
                "error",
            )
        ], []
    got = served.data
    if got.get("fingerprint") == leaf.get("fingerprint"):
        return [], [msg("VQ001.serves_secret", host=host, target=served.target, vantage=served.vantage)]
    return [_mismatch(secret, host, served, leaf, ask)], []


def _mismatch(secret: Obj, host: str, served: ProbeResult, leaf: dict[str, Any], ask: str) -> Finding:
    sec, got = name(secret), served.data
    default = FAKE_CN in str(got.get("subject"))
    diagnosis = msg("VQ001.serves_default" if default else "VQ001.serves_other", host=host, secret=sec)
    return finding(
        "VQ001",
        diagnosis,
        [
            msg(
                "VQ001.served_by",
                target=served.target,
                vantage=served.vantage,
                subject=got.get("subject"),
                until=got.get("not_after"),
                fingerprint=got.get("fingerprint"),
            ),
            msg(
                "VQ001.secret_holds",
                secret=sec,
                subject=leaf.get("subject"),
                until=leaf.get("not_after"),
                fingerprint=leaf.get("fingerprint"),
            ),
        ],
        [
            ask,
            f"kubectl get secret -n {secret['metadata'].get('namespace', '')} {sec} -o jsonpath='{{.data.tls\\.crt}}' | base64 -d | openssl x509 -noout -fingerprint -sha256",
        ],
        "error",
        advice=[msg("VQ001.reload_advice")],
    )
