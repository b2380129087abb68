"""Run the health suite the way users do, against a scenario, and read what it reported."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.kube.server import FakeCluster
from tests.scenarios.installation import Scenario

ROOT = Path(__file__).resolve().parents[1]
CHECKS = ROOT / "checks"
# The locale of every run: a developer with LANG=ja_JP gets the results CI gets (the language
# defaults from the locale). A test of the locale itself passes its own (`locale=`), or None
# to keep the environment's.
PINNED_LOCALE = "C.UTF-8"


@dataclass
class SuiteRun:
    result: pytest.RunResult
    doc: dict[str, Any]
    requests: list[tuple[str, str]]

    @property
    def records(self) -> list[dict[str, Any]]:
        return list(self.doc.get("results", []))

    def outcomes(self) -> dict[tuple[str, str | None], str]:
        return {(r["id"], r["namespace"]): r["outcome"] for r in self.records}

    def with_outcome(self, *outcomes: str) -> set[tuple[str, str | None]]:
        return {key for key, outcome in self.outcomes().items() if outcome in outcomes}

    def message(self, check_id: str, namespace: str | None) -> str:
        for r in self.records:
            if r["id"] == check_id and r["namespace"] == namespace:
                return str(r["message"])
        raise KeyError((check_id, namespace))

    def output(self) -> str:
        return "\n".join(self.result.outlines + self.result.errlines)


def pinned_locale(env: dict[str, str], locale: str | None = PINNED_LOCALE) -> dict[str, str]:
    """`env` with LANG and LC_ALL set to `locale` (LC_MESSAGES dropped); as it is for None."""
    if locale is None:
        return env
    pinned = {k: v for k, v in env.items() if k != "LC_MESSAGES"}
    pinned.update(LANG=locale, LC_ALL=locale)
    return pinned


def run_suite(pytester: pytest.Pytester, *args: str, locale: str | None = PINNED_LOCALE) -> SuiteRun:
    results = pytester.path / "results.json"
    with pytest.MonkeyPatch.context() as mp:
        for var, value in pinned_locale({}, locale).items():
            mp.setenv(var, value)
        if locale is not None:
            mp.delenv("LC_MESSAGES", raising=False)
        result = pytester.runpytest_subprocess(
            str(CHECKS),
            f"--rootdir={ROOT}",
            "--results-json",
            str(results),
            "--html",
            str(pytester.path / "report.html"),
            *args,
        )
    doc = json.loads(results.read_text()) if results.exists() else {}
    return SuiteRun(result, doc, [])


def run_live(
    pytester: pytest.Pytester,
    sc: Scenario,
    *args: str,
    namespaces: tuple[str, ...] = ("prod",),
    live: bool = False,
    locale: str | None = PINNED_LOCALE,
) -> SuiteRun:
    """live=False: --no-live, the scenario's databases are not on this machine (tests/test_probes_*)."""
    args = args if live else ("--no-live", *args)
    with FakeCluster(
        sc.objects,
        logs=sc.logs,
        version=sc.version,
        forbidden=sc.forbidden,
        failing=sc.failing,
        node_docs=sc.node_docs,
    ) as fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        ns_args = [f"--namespace={ns}" for ns in namespaces]
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig), *ns_args, *args, locale=locale)
        run.requests = list(fake.requests)
    return run


def run_snapshot(
    pytester: pytest.Pytester,
    snapshot: Path,
    *args: str,
    namespaces: tuple[str, ...] = ("prod",),
    locale: str | None = PINNED_LOCALE,
) -> SuiteRun:
    ns_args = [f"--namespace={ns}" for ns in namespaces]
    return run_suite(pytester, "--snapshot", str(snapshot), *ns_args, *args, locale=locale)
