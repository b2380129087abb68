"""Kubernetes API versions that were removed, and how they affect a given cluster version.

The table lives in ``data/deprecated_apis.toml`` (from the official Deprecated API
Migration Guide). Besides reading it, nothing here does I/O.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, NamedTuple

Status = Literal["removed", "removed-next", "ok"]

_TABLE_RESOURCE = "data/deprecated_apis.toml"
_VERSION_RE = re.compile(r"^\s*v?(\d+)\.(\d+)")
_DIGITS_RE = re.compile(r"^\s*(\d+)")


@dataclass(frozen=True, order=True)
class Version:
    """A Kubernetes minor release, e.g. 1.29; patch and vendor suffixes are dropped."""

    major: int
    minor: int

    @classmethod
    def parse(cls, value: str | Mapping[str, Any] | Version) -> Version:
        """Accept "1.29", "v1.29.3", "v1.29.3-eks-abc" or a /version dict.

        Managed clusters report minor as "29+" in the /version dict, so only the
        leading digits count; gitVersion is the fallback when major/minor are unusable.
        """
        if isinstance(value, Version):
            return value
        if isinstance(value, Mapping):
            return cls._from_mapping(value)
        match = _VERSION_RE.match(value)
        if match is None:
            raise ValueError(f"not a Kubernetes version: {value!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def _from_mapping(cls, info: Mapping[str, Any]) -> Version:
        major = _DIGITS_RE.match(str(info.get("major", "")))
        minor = _DIGITS_RE.match(str(info.get("minor", "")))
        if major and minor:
            return cls(int(major.group(1)), int(minor.group(1)))
        git_version = info.get("gitVersion")
        if isinstance(git_version, str):
            return cls.parse(git_version)
        raise ValueError(f"not a Kubernetes version: {dict(info)!r}")

    def next_minor(self) -> Version:
        return Version(self.major, self.minor + 1)

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class ApiChange:
    """One (group/version, kind) that stopped being served in ``removed_in``."""

    group_version: str
    kind: str
    deprecated_in: Version | None
    removed_in: Version
    replacement: str

    @property
    def group(self) -> str:
        return split_group_version(self.group_version)[0]


class Classification(NamedTuple):
    status: Status
    change: ApiChange | None


def split_group_version(group_version: str) -> tuple[str, str]:
    """("apps", "v1") for "apps/v1"; the core group is "" ("v1" -> ("", "v1"))."""
    group, sep, version = group_version.strip().rpartition("/")
    return (group, version) if sep else ("", version)


@cache
def load_table() -> tuple[ApiChange, ...]:
    text = resources.files("vantiq_health").joinpath(_TABLE_RESOURCE).read_text("utf-8")
    rows = tuple(_row(entry) for entry in tomllib.loads(text).get("api", []))
    _reject_duplicates(rows)
    return rows


def _row(entry: Mapping[str, Any]) -> ApiChange:
    deprecated = entry.get("deprecated_in")
    return ApiChange(
        group_version=str(entry["group_version"]),
        kind=str(entry["kind"]),
        deprecated_in=Version.parse(str(deprecated)) if deprecated else None,
        removed_in=Version.parse(str(entry["removed_in"])),
        replacement=str(entry["replacement"]),
    )


def _reject_duplicates(rows: tuple[ApiChange, ...]) -> None:
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (row.group_version, row.kind)
        if key in seen:
            raise ValueError(f"{_TABLE_RESOURCE}: duplicate row {key}")
        seen.add(key)


@cache
def _index() -> dict[tuple[str, str], ApiChange]:
    return {(row.group_version, row.kind): row for row in load_table()}


@cache
def _built_in_groups() -> frozenset[str]:
    return frozenset(row.group for row in load_table())


def lookup(group_version: str, kind: str) -> ApiChange | None:
    return _index().get((group_version.strip(), kind.strip()))


def classify(
    group_version: str,
    kind: str,
    version: Version,
    served: frozenset[str] | None = None,
) -> Classification:
    """How ``group_version``/``kind`` fares on a cluster at ``version``.

    ``served`` is the set of "group/version" strings from live discovery; when
    given, a built-in group's version that the cluster does not serve counts as
    removed even if the table says otherwise (e.g. disabled via --runtime-config).
    """
    change = lookup(group_version, kind)
    if change is not None and version >= change.removed_in:
        return Classification("removed", change)
    if served is not None and _missing_from_discovery(group_version, served):
        return Classification("removed", change)
    if change is not None and change.removed_in == version.next_minor():
        return Classification("removed-next", change)
    return Classification("ok", change)


def _missing_from_discovery(group_version: str, served: frozenset[str]) -> bool:
    group, _ = split_group_version(group_version)
    # The core group comes from /api, which callers often leave out of `served`;
    # groups the table does not know (CRDs, aggregated APIs) are not ours to judge.
    if not group or group not in _built_in_groups():
        return False
    return group_version.strip() not in served
