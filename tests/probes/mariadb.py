"""A real MariaDB (Debian `mariadb-server`) on loopback for Grafana's MySQL probe (MT002).

`mariadb-install-db` then `mariadbd`, both with `--no-defaults` and `--user=root`; root exists
only as `@localhost` (the socket), so the tests' login is `'grafana'@'127.0.0.1'` over TCP.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pymysql
import pytest

INSTALL_DB, SERVER = Path("/usr/bin/mariadb-install-db"), Path("/usr/sbin/mariadbd")
GRAFANA_USER, GRAFANA_PASSWORD = "grafana", "MySql-s3cret"  # the baseline's grafanadb-mysql mysql-password
# Grafana's own tables (the notes' `show tables` after Grafana started on MySQL), a few of them
GRAFANA_TABLES = ("alert", "dashboard", "dashboard_version", "data_source", "migration_log", "org", "user")


@dataclass
class MariaDb:
    host: str
    port: int
    socket: Path

    def admin(self, *statements: str) -> None:
        conn = pymysql.connect(unix_socket=str(self.socket), user="root", autocommit=True)
        try:
            with conn.cursor() as cur:
                for sql in statements:
                    cur.execute(sql)
        finally:
            conn.close()

    def schema(self, name: str, tables: tuple[str, ...]) -> None:
        """A fresh schema `name` holding `tables`, that Grafana's login may use."""
        self.admin(f"DROP DATABASE IF EXISTS `{name}`", f"CREATE DATABASE `{name}`")
        self.admin(*(f"CREATE TABLE `{name}`.`{t}` (id BIGINT PRIMARY KEY)" for t in tables))
        self.admin(f"GRANT ALL ON `{name}`.* TO '{GRAFANA_USER}'@'127.0.0.1'")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(tmp: Path) -> tuple[MariaDb, subprocess.Popen[bytes]]:
    data, sock = tmp / "data", tmp / "mysqld.sock"
    subprocess.run(
        [
            str(INSTALL_DB),
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    with (tmp / "server.log").open("wb") as log:
        proc = _spawn(data, sock, port, tmp, log)
    server = MariaDb("127.0.0.1", port, sock)
    deadline = time.monotonic() + 30
    while not _accepts(port):  # connect with the driver only once the server listens
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError((tmp / "server.log").read_text()[-2000:])
        time.sleep(0.1)
    server.admin(f"CREATE USER '{GRAFANA_USER}'@'127.0.0.1' IDENTIFIED BY '{GRAFANA_PASSWORD}'")
    return server, proc


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def _spawn(data: Path, sock: Path, port: int, tmp: Path, log: IO[bytes]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(SERVER),
            "--no-defaults",
            f"--datadir={data}",
            "--user=root",
            "--bind-address=127.0.0.1",
            f"--port={port}",
            f"--socket={sock}",
            f"--pid-file={tmp / 'mysqld.pid'}",
            "--skip-name-resolve",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def available() -> bool:
    return INSTALL_DB.exists() and SERVER.exists()


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDb]:
    """MariaDB with a `grafana` login over TCP; each test makes the schema it needs."""
    if not available():
        pytest.skip(f"MariaDB is not installed ({SERVER})")
    tmp = Path(tempfile.mkdtemp(prefix="vh-mariadb-"))
    server, proc = start(tmp)
    try:
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)
