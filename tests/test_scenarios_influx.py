"""MT004 without the optional `get nodes/proxy`: it judges the telegraf logs alone and names what it could not see."""

from __future__ import annotations

import pytest

from tests.harness import run_live
from tests.scenarios.installation import baseline


def test_without_nodes_proxy_clean_logs_are_no_pass(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden = [("get", "nodes/proxy", "*")]
    run = run_live(pytester, sc, "-k", "MT004")
    assert run.outcomes() == {("MT004", "shared"): "skipped"}, run.output()
    message = run.message("MT004", "shared")
    assert "volume usage of node aks-nodepool1-0" in message
    assert "needs: get nodes/proxy" in message
