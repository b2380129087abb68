"""Reading what is there: the objects of several kinds, and what could not be read.

Unreadable is not empty: a kind the view cannot read (403, 500, a timeout, a
snapshot that lacks it) is named in `unseen`, so that a check judges the rest
and says what it could not see instead of passing on it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vantiq_health.i18n import reason_of
from vantiq_health.view.base import ClusterView, Unavailable

Obj = dict[str, Any]


@dataclass
class Gathered:
    namespace: str | None
    items: dict[str, list[Obj]] = field(default_factory=dict)
    unseen: dict[str, str] = field(default_factory=dict)  # kind -> why it could not be read

    def __getitem__(self, kind: str) -> list[Obj]:
        return self.items.get(kind, [])

    def of(self, *kinds: str) -> list[Obj]:
        """The objects of these kinds together (those that could be read)."""
        return [obj for kind in kinds for obj in self[kind]]

    def seen(self, kind: str) -> bool:
        return kind in self.items and kind not in self.unseen

    def reasons(self, *kinds: str) -> list[str]:
        """Why these kinds (default: all) could not be read, one line each."""
        return [why for kind, why in self.unseen.items() if not kinds or kind in kinds]


def _not_served(exc: Unavailable) -> bool:
    """A kind the API server does not serve has no objects: that is empty, not unreadable."""
    return getattr(exc, "cause", None) == "not_served"


def gather(view: ClusterView, namespace: str | None, *kinds: str) -> Gathered:
    """Every kind that can be read, and the reason for each that cannot."""
    found = Gathered(namespace)
    for kind in kinds:
        try:
            found.items[kind] = view.objects(kind, namespace)
        except Unavailable as exc:
            found.items[kind] = []
            if not _not_served(exc):
                found.unseen[kind] = reason_of(exc)
    return found
