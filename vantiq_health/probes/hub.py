"""The session's probes: each target resolved and tried once, whatever the number of checks asking."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from vantiq_health.probes.endpoints import Endpoints
from vantiq_health.session import Run


class Probes:
    def __init__(self, run: Run, endpoints: Endpoints, *, live: bool, timeout: float) -> None:
        self.run, self.endpoints, self.live, self.timeout = run, endpoints, live, timeout
        self._lock = threading.Lock()
        self._results: dict[Any, Any] = {}
        self._closers: list[Callable[[], None]] = []

    @classmethod
    def from_pytest(cls, config: pytest.Config, run: Run) -> Probes:
        from vantiq_health.plugin.probes import ENDPOINTS_KEY

        endpoints = config.stash.get(ENDPOINTS_KEY, Endpoints())
        assert isinstance(endpoints, Endpoints)
        return cls(
            run,
            endpoints,
            live=not config.getoption("vh_no_live"),
            timeout=float(config.getoption("vh_probe_timeout")),
        )

    def close(self) -> None:
        while self._closers:
            self._closers.pop()()
