"""KC005: the Vantiq realm's Frontend URL is https://<the Ingress domain>/auth/ (「IDEにログイン…ループする」)."""

from __future__ import annotations

from urllib.parse import urlsplit

from vantiq_health.analysis.k8s import Obj
from vantiq_health.findings import Finding, finding
from vantiq_health.i18n import msg
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
    return [msg("KC005.fix", realm=realm, url=url)]


def _judge(realm: str, url: str | None, domains: list[str]) -> str | None:
    if not url:
        return msg("KC005.no_url", realm=realm)
    parts = urlsplit(url)
    if domains and parts.hostname not in domains:
        return msg("KC005.other_domain", realm=realm, url=url, domains=", ".join(domains))
    if parts.scheme != "https" or parts.path.rstrip("/") != "/auth":
        return msg("KC005.bad_form", realm=realm, url=url)
    return None


def frontend_url_findings(
    result: ProbeResult, domains: list[str], admin_password: EnvValue
) -> tuple[list[Finding], list[str]]:
    if not result.ok:
        source = (
            msg("KC005.secret_key", secret=admin_password.secret[0], key=admin_password.secret[1])
            if admin_password.secret
            else admin_password.source
        )
        what = msg("KC005.admin_refused") if result.error_class == "auth-failed" else msg("KC005.admin_fails")
        return [
            finding(
                "KC005",
                msg(
                    "KC005.admin",
                    what=what,
                    error_class=result.error_class,
                    name=admin_password.name,
                    source=source,
                ),
                [result.describe(), msg("KC005.server_said", error=result.error)],
            )
        ], []
    realms = result.data.get("realms", {})
    if not realms:
        return [finding("KC005", msg("KC005.no_realm"))], []
    found, facts = [], []
    for realm, doc in sorted(realms.items()):
        problem = doc.get("error") or _judge(realm, doc.get("frontendUrl"), domains)
        if problem:
            found.append(finding("KC005", problem, [result.describe()], _fix(realm, domains)))
        else:
            facts.append(msg("KC005.fact", realm=realm, url=doc.get("frontendUrl")))
    return found, facts
