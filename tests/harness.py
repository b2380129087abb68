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


def run_suite(pytester: pytest.Pytester, *args: str) -> SuiteRun:
    results = pytester.path / "results.json"
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
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig), *ns_args, *args)
        run.requests = list(fake.requests)
    return run


def run_snapshot(
    pytester: pytest.Pytester, snapshot: Path, *args: str, namespaces: tuple[str, ...] = ("prod",)
) -> SuiteRun:
    ns_args = [f"--namespace={ns}" for ns in namespaces]
    return run_suite(pytester, "--snapshot", str(snapshot), *ns_args, *args)
