"""The project's own tests: warnings are errors here (not in check runs)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.add_marker(pytest.mark.filterwarnings("error"))


@pytest.fixture(autouse=True)
def _pinned_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """CI's locale for every test and every process it starts (the language defaults from the
    locale): a developer with LANG=ja_JP gets CI's results. A test of the locale sets its own."""
    monkeypatch.setenv("LANG", "C.UTF-8")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.delenv("LC_MESSAGES", raising=False)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback TCP port that accepts connections and never answers (a hung API server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield sock.getsockname()[1]
