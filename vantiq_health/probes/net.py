"""The first two steps every driver shares: resolve the name, open a TCP connection, both bounded."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from vantiq_health.probes.result import DNS, REFUSED, TIMEOUT, UNREACHABLE, ProbeResult


def resolve(host: str, port: int, timeout: float) -> list[str]:
    """The addresses of a name; getaddrinfo has no timeout of its own, so it runs in a daemon thread."""
    found: list[list[str]] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.append(list(dict.fromkeys(str(info[4][0]) for info in infos)))
        except (OSError, UnicodeError) as exc:  # UnicodeError: a label no DNS name can have
            failed.append(exc)

    thread = threading.Thread(target=work, name=f"resolve-{host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if failed:
        raise failed[0]
    if not found:
        raise TimeoutError(f"resolving {host} took longer than {timeout:g} s")
    return found[0]


def reach(result: ProbeResult, host: str, port: int, timeout: float) -> str | None:
    """Resolve and connect; the address on success, None with the result's error set otherwise."""
    try:
        addresses = resolve(host, port, timeout)
    except (OSError, UnicodeError) as exc:
        result.error_class, result.error = DNS, f"name {host} does not resolve: {exc}"
        return None
    result.reached.append("resolve")
    address = addresses[0]
    try:
        with socket.create_connection((address, port), timeout=timeout):
            pass
    except TimeoutError:
        result.error_class = TIMEOUT
        result.error = f"TCP connect to {address}:{port} timed out after {timeout:g} s"
        return None
    except ConnectionRefusedError:
        result.error_class, result.error = REFUSED, f"TCP connect to {address}:{port}: connection refused"
        return None
    except OSError as exc:
        result.error_class, result.error = UNREACHABLE, f"TCP connect to {address}:{port}: {exc}"
        return None
    result.reached.append("tcp")
    return address


def timed(
    kind: str, host: str, port: int, timeout: float, vantage: str, session: Callable[[ProbeResult, str], Any]
) -> ProbeResult:
    """Resolve and connect, then run the driver's session on the address; the result says how far it got.

    The work runs in a daemon thread the caller waits for: a driver blocked in C (libpq's connect
    retries through EINTR) must not keep Ctrl-C waiting for its timeout.
    """
    result = ProbeResult(kind, f"{host}:{port}", vantage)
    started = time.monotonic()

    def work() -> None:
        address = reach(result, host, port, timeout)
        if address is not None:
            session(result, address)

    try:
        _interruptible(work, f"probe-{kind}", cap=timeout * 4 + 5)
    except TimeoutError as exc:
        result.error_class, result.error = TIMEOUT, str(exc)
    finally:
        result.latency_ms = (time.monotonic() - started) * 1000
    return result


def _interruptible(work: Callable[[], None], name: str, cap: float) -> None:
    """Run `work` in a daemon thread; the waiting thread stays responsive to KeyboardInterrupt."""
    done = threading.Event()
    failed: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:  # handed to the waiting thread as is
            failed.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name=name, daemon=True).start()
    if not done.wait(cap):  # each step has its own timeout: this only bounds a driver that ignores it
        raise TimeoutError(f"the probe did not finish within {cap:g} s")
    if failed:
        raise failed[0]
