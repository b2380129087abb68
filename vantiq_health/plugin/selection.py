"""Selecting checks by id: `-k WL001`, `--check WL001,SEC002`, `--skip-check HM002`.

Planned checks of the catalog have no test; a selection that only they match
would run nothing in silence, so `planned_matches` names them for the
closing line (see `exitcodes`).

PYTEST_DONT_REWRITE: plugin modules import each other before pytest registers them.
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest
from _pytest.mark.expression import Expression

from vantiq_health.catalog import CatalogEntry, catalog
from vantiq_health.i18n import tr
from vantiq_health.plugin.api import RUN_KEY, check_id_of
from vantiq_health.plugin.setup import is_check_run, option_adder


def pytest_addoption(parser: pytest.Parser) -> None:
    add = option_adder(parser)
    add(
        "--check",
        action="append",
        dest="vh_check",
        metavar="IDS",
        help="run only these checks (repeatable, comma lists ok): --check WL001,SEC002",
    )
    add(
        "--skip-check",
        action="append",
        dest="vh_skip_check",
        metavar="IDS",
        help="do not run these checks (repeatable, comma lists ok): --skip-check HM002",
    )


def check_ids(values: Iterable[str] | None) -> list[str]:
    """["wl001,SEC002", "HM002"] -> [WL001, SEC002, HM002]."""
    out: list[str] = []
    for value in values or []:
        out.extend(i.strip().upper() for i in value.split(",") if i.strip() and i.strip().upper() not in out)
    return out


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Unknown ids are a usage error before anything connects to the cluster."""
    if not is_check_run(config):
        return
    given = check_ids(config.getoption("vh_check")) + check_ids(config.getoption("vh_skip_check"))
    unknown = [i for i in given if i not in catalog()]
    if unknown:
        raise pytest.UsageError(tr("common.unknown_check", ids=", ".join(unknown)))


def pytest_itemcollected(item: pytest.Item) -> None:
    check_id = check_id_of(item) if RUN_KEY in item.config.stash else None
    if check_id:
        item.extra_keyword_matches.add(check_id)  # -k WL001, -k SEC00


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if RUN_KEY not in config.stash:
        return
    wanted = check_ids(config.getoption("vh_check"))
    unwanted = check_ids(config.getoption("vh_skip_check"))
    if not wanted and not unwanted:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        check_id = check_id_of(item)
        selected = (not wanted or check_id in wanted) and check_id not in unwanted
        (keep if selected else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def planned_matches(config: pytest.Config) -> list[str]:
    """The planned checks the selection (--check, -m, -k) asks for; [] without a selection."""
    wanted = check_ids(config.getoption("vh_check"))
    markexpr = config.getoption("markexpr", "") or ""
    keywordexpr = (config.getoption("keyword", "") or "").strip()
    if not (wanted or markexpr or keywordexpr):
        return []
    return [
        e.id
        for e in catalog().values()
        if e.planned
        and (not wanted or e.id in wanted)
        and (not markexpr or _matches(markexpr, e, substring=False))
        and (not keywordexpr or _matches(keywordexpr, e, substring=True))
    ]


def _matches(expr: str, meta: CatalogEntry, substring: bool) -> bool:
    names = {meta.id, meta.component} if substring else {"check", meta.component}

    def match(name: str, /, **kwargs: str | int | bool | None) -> bool:
        if substring:
            return any(name.lower() in n.lower() for n in names)
        return name in names and not kwargs

    try:
        return Expression.compile(expr).evaluate(match)
    except Exception:  # pytest itself reports a malformed expression
        return False


def planned_line(ids: list[str], others_ran: bool = False) -> str:
    key = "common.planned_one" if len(ids) == 1 else "common.planned_many"
    return tr(f"{key}_not_run" if others_ran else key, ids=", ".join(ids))
