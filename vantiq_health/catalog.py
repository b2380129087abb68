"""The check catalog: ids, titles, severities, remediation and source sections."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources

SEVERITIES = ("critical", "error", "warning", "info")


@dataclass(frozen=True)
class CatalogEntry:
    id: str
    title: str
    severities: tuple[str, ...]  # the first is the default for a finding
    component: str
    source: str
    remediation: str
    planned: bool = False
    why: str = ""  # why the check matters, the closing line of its findings

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
        entries[check_id] = CatalogEntry(
            id=check_id,
            title=fields["title"],
            severities=severities,
            component=fields["component"],
            source=fields["source"],
            remediation=fields["remediation"],
            planned=fields.get("planned", False),
            why=fields.get("why", ""),
        )
    return entries


def entry(check_id: str) -> CatalogEntry:
    try:
        return catalog()[check_id]
    except KeyError:
        raise KeyError(f"{check_id} is not in the check catalog") from None
