"""A real InfluxDB 1.x on loopback (Debian `influxdb`) with authentication on, for the probe tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from influxdb import InfluxDBClient

INFLUXD = shutil.which("influxd") or "/usr/bin/influxd"
ADMIN_USER, ADMIN_PASSWORD = "admin", "Infl8x-s3cret"  # the baseline's influxdb-auth Secret
CONFIG = """reporting-disabled = true
bind-address = "127.0.0.1:{rpc}"
[meta]
  dir = "{tmp}/meta"
[data]
  dir = "{tmp}/data"
  wal-dir = "{tmp}/wal"
[http]
  bind-address = "127.0.0.1:{port}"
  auth-enabled = true
  log-enabled = false
[monitor]
  store-enabled = false
"""


@dataclass
class InfluxServer:
    host: str
    port: int

    def admin(self, database: str | None = None) -> InfluxDBClient:
        return InfluxDBClient(self.host, self.port, ADMIN_USER, ADMIN_PASSWORD, database, timeout=5)

    def reset(self) -> None:
        """No databases: each scenario writes what it needs."""
        client = self.admin()
        try:
            for db in client.get_list_database():
                client.drop_database(db["name"])
        finally:
            client.close()

    def write(self, database: str, measurement: str, minutes_ago: float, count: int = 3, **tags: str) -> None:
        """`count` points one second apart, the newest `minutes_ago` before the server's now."""
        client = self.admin(database)
        try:
            client.create_database(database)
            newest = time.time_ns() - int(minutes_ago * 60e9)
            points = [
                {
                    "measurement": measurement,
                    "tags": tags,
                    "time": newest - i * 1_000_000_000,
                    "fields": {"value": 1.0 + i},
                }
                for i in range(count)
            ]
            client.write_points(points, time_precision="n")
        finally:
            client.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"influxd exited: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("influxd did not listen within 15 s")


def available() -> bool:
    return Path(INFLUXD).exists()


@pytest.fixture(scope="session")
def influx_server() -> Iterator[InfluxServer]:
    """InfluxDB with auth on and one admin user (the anonymous CREATE USER is allowed only while none exists)."""
    if not available():
        pytest.skip(f"InfluxDB 1.x is not installed ({INFLUXD}: apt-get install influxdb)")
    tmp = Path(tempfile.mkdtemp(prefix="vh-influx-"))
    port = _free_port()
    config = tmp / "influxdb.conf"
    config.write_text(CONFIG.format(tmp=tmp, port=port, rpc=_free_port()))
    log = tmp / "log"
    with log.open("wb") as out:
        proc = subprocess.Popen([INFLUXD, "-config", str(config)], stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(port, proc, log)
        anonymous = InfluxDBClient("127.0.0.1", port, timeout=5)
        anonymous.query(f"CREATE USER {ADMIN_USER} WITH PASSWORD '{ADMIN_PASSWORD}' WITH ALL PRIVILEGES")
        anonymous.close()
        yield InfluxServer("127.0.0.1", port)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(tmp, ignore_errors=True)
