"""A broken variant of the baseline: what it breaks and the verdicts the suite must give on it.

Every family's variants (broken.py: WL, SEC; broken_storage.py: ST, HM) use
this one shape, and tests/test_scenarios.py runs them all, live and through a
snapshot.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.scenarios.installation import Scenario, baseline

# (check id, namespace or None for a cluster-scoped check) -> fragments its message must contain
Verdicts = dict[tuple[str, str | None], tuple[str, ...]]


@dataclass(frozen=True)
class Variant:
    name: str
    breaks: Callable[[Scenario], None]
    fails: Verdicts = field(default_factory=dict)  # every check that fails, no other
    warns: Verdicts = field(default_factory=dict)  # every recorded warning, no other
    args: tuple[str, ...] = ()  # extra options of the run


def build(variant: Variant) -> Scenario:
    sc = baseline()
    variant.breaks(sc)
    return sc
