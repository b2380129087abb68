"""KC005: the Vantiq realm's Frontend URL is https://<the Ingress domain>/auth/ (「IDEにログイン…ループする」)."""

from __future__ import annotations

from urllib.parse import urlsplit

from vantiq_health.analysis.k8s import Obj
from vantiq_health.findings import Finding, finding
from vantiq_health.probes.credentials import EnvValue
from vantiq_health.probes.result import ProbeResult


def ingress_domains(ingresses: list[Obj]) -> list[str]:
    hosts = {
        rule.get("host")
        for ing in ingresses
        for rule in (ing.get("spec") or {}).get("rules") or []
        if rule.get("host")
    }
    return sorted(str(h) for h in hosts)


def _fix(realm: str, domains: list[str]) -> list[str]:
    url = f"https://{domains[0]}/auth/" if domains else "https://<domain>/auth/"
    return [f"Keycloak admin console → realm {realm} → Realm Settings → General → Frontend URL = {url}"]


def _judge(realm: str, url: str | None, domains: list[str]) -> str | None:
    if not url:
        return f"realm {realm} has no Frontend URL: the Vantiq IDE login loops with an error"
    parts = urlsplit(url)
    if domains and parts.hostname not in domains:
        return f"realm {realm}'s Frontend URL {url} does not name the Ingress domain ({', '.join(domains)})"
    if parts.scheme != "https" or parts.path.rstrip("/") != "/auth":
        return f"realm {realm}'s Frontend URL {url} is not of the form https://<domain>/auth/"
    return None


def frontend_url_findings(
    result: ProbeResult, domains: list[str], admin_password: EnvValue
) -> tuple[list[Finding], list[str]]:
    if not result.ok:
        source = (
            f"Secret {admin_password.secret[0]}, key {admin_password.secret[1]}"
            if admin_password.secret
            else admin_password.source
        )
        what = (
            "Keycloak refuses the admin login"
            if result.error_class == "auth-failed"
            else "the admin API fails"
        )
        return [
            finding(
                "KC005",
                f"{what} ({result.error_class}); {admin_password.name} comes from {source}",
                [result.describe(), f"server said: {result.error}"],
            )
        ], []
    realms = result.data.get("realms", {})
    if not realms:
        return [finding("KC005", "Keycloak has no realm besides master: the Vantiq realm is missing")], []
    found, facts = [], []
    for realm, doc in sorted(realms.items()):
        problem = doc.get("error") or _judge(realm, doc.get("frontendUrl"), domains)
        if problem:
            found.append(finding("KC005", problem, [result.describe()], _fix(realm, domains)))
        else:
            facts.append(f"realm {realm}: Frontend URL {doc.get('frontendUrl')}")
    return found, facts
