"""A real PostgreSQL 15 on loopback for the probe tests (initdb and pg_ctl as `postgres` when root)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

# Debian installs each major version side by side: take the newest present (15 on bookworm, 17 on trixie).
BIN = max(
    Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
    key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    default=Path("/usr/lib/postgresql/15/bin/pg_ctl"),
).parent
SUPERUSER_PASSWORD = "Pg-super-only-in-tests"
KEYCLOAK_PASSWORD = "Kc-db-pass-in-tests"


@dataclass
class PgServer:
    host: str
    port: int
    data: Path

    def admin(self, sql: str, database: str = "postgres") -> None:
        conn = psycopg2.connect(
            host=self.host, port=self.port, dbname=database, user="postgres", password=SUPERUSER_PASSWORD
        )
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def connect_as_keycloak(self) -> psycopg2.extensions.connection:
        return psycopg2.connect(
            host=self.host, port=self.port, dbname="keycloak", user="keycloak", password=KEYCLOAK_PASSWORD
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(*cmd: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else list(cmd)


def _run(*cmd: str) -> None:
    subprocess.run(_as_postgres(*cmd), check=True, capture_output=True, timeout=60)


def start(tmp: Path, *settings: str) -> PgServer:
    data, sock_dir, pwfile = tmp / "data", tmp / "sock", tmp / "pw"
    sock_dir.mkdir()
    pwfile.write_text(SUPERUSER_PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(tmp, "postgres")
        for path in (sock_dir, pwfile):
            shutil.chown(path, "postgres")
    _run(str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}")
    _enable_tls(data)
    port = _free_port()
    opts = f"-c listen_addresses=127.0.0.1 -p {port} -k {sock_dir} -c ssl=on " + " ".join(
        f"-c {s}" for s in settings
    )
    _run(str(BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(tmp / "log"), "-o", opts, "start")
    server = PgServer("127.0.0.1", port, data)
    server.admin(f"CREATE ROLE keycloak LOGIN PASSWORD '{KEYCLOAK_PASSWORD}'")
    server.admin("CREATE DATABASE keycloak OWNER keycloak")
    server.admin(f"CREATE ROLE tlsonly LOGIN PASSWORD '{KEYCLOAK_PASSWORD}'")
    return server


def _enable_tls(data: Path) -> None:
    """A self-signed certificate, and `tlsonly` refused without TLS (an Azure-like server for one user)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "vh-test-postgres")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    (data / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    (data / "server.key").write_bytes(key_pem)
    hba = data / "pg_hba.conf"
    hba.write_text("hostnossl all tlsonly 127.0.0.1/32 reject\n" + hba.read_text())
    for name in ("server.crt", "server.key"):
        os.chmod(data / name, 0o600)
        if os.geteuid() == 0:
            shutil.chown(data / name, "postgres", "postgres")


def stop(server: PgServer) -> None:
    _run(str(BIN / "pg_ctl"), "-D", str(server.data), "-m", "immediate", "stop")


def available() -> bool:
    return (BIN / "initdb").exists()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """PostgreSQL with a `keycloak` role and database; keepalives set below a 4-minute middlebox."""
    if not available():
        pytest.skip(f"PostgreSQL 15 is not installed ({BIN})")
    tmp = Path(tempfile.mkdtemp(prefix="vh-pg-"))
    os.chmod(tmp, 0o755)
    server = start(tmp, "tcp_keepalives_idle=120", "tcp_keepalives_interval=30", "tcp_keepalives_count=4")
    try:
        yield server
    finally:
        stop(server)
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def blackholed_port() -> Iterator[int]:
    """A port whose listener's backlog is full: a new connect is never answered and times out."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = int(listener.getsockname()[1])
        fillers = []
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
            fillers.append(filler)
        try:
            yield port
        finally:
            for filler in fillers:
                filler.close()
