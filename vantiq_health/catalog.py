"""The check catalog: ids, titles, severities, remediation, source sections, scope and needs."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

SEVERITIES = ("critical", "error", "warning", "info")
# where a check applies: each installation namespace, the system namespace, both, or once for the cluster
SCOPES = ("installation", "system", "installation+system", "cluster")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    severities: tuple[str, ...]  # the first is the default for a finding
    component: str
    source: str
    remediation: str
    planned: bool = False
    scope: str = "installation+system"
    needs: tuple[str, ...] = ()  # kinds without which the check cannot judge anything: it skips
    uses: tuple[str, ...] = ()  # kinds it reads besides: what it cannot read is named, never taken as empty

    @property
    def namespaced(self) -> bool:
        return self.scope != "cluster"

    @property
    def reads(self) -> tuple[str, ...]:
        """Every kind the check reads (the README's RBAC list and capture commands cover them)."""
        return self.needs + tuple(k for k in self.uses if k not in self.needs)

    @property
    def severity(self) -> str:
        """The catalog's severity as the spec writes it: "critical/warning"."""
        return "/".join(self.severities)


@cache
def catalog() -> dict[str, CatalogEntry]:
    raw = tomllib.loads(resources.files("vantiq_health").joinpath("data/catalog.toml").read_text())
    entries = {}
    for check_id, fields in raw.items():
        severities = tuple(fields["severity"].split("/"))
        unknown = set(severities) - set(SEVERITIES)
        if unknown:
            raise ValueError(f"catalog {check_id}: unknown severity {sorted(unknown)}")
        scope = fields.get("scope", "installation+system")
        if scope not in SCOPES:
            raise ValueError(f"catalog {check_id}: unknown scope {scope!r} (one of {', '.join(SCOPES)})")
        entries[check_id] = CatalogEntry(
            id=check_id,
            title=fields["title"],
            severities=severities,
            component=fields["component"],
            source=fields["source"],
            remediation=fields["remediation"],
            planned=fields.get("planned", False),
            scope=scope,
            needs=tuple(fields.get("needs", ())),
            uses=tuple(fields.get("uses", ())),
        )
    return entries


def implemented() -> set[str]:
    """The ids that have a check (the others are specified but planned)."""
    return {check_id for check_id, e in catalog().items() if not e.planned}


def entry(check_id: str) -> CatalogEntry:
    try:
        return catalog()[check_id]
    except KeyError:
        raise KeyError(f"{check_id} is not in the check catalog") from None
