"""The PostgreSQL probe against a real PostgreSQL 15 on loopback: each failure told apart."""

from __future__ import annotations

import time

import pytest

from tests.probes.postgres import KEYCLOAK_PASSWORD, PgServer, blackholed_port, pg_server
from vantiq_health.probes.postgres import Login, probe

__all__ = ["blackholed_port", "pg_server"]  # fixtures


def _login(pg: PgServer, **changes: object) -> Login:
    values: dict[str, object] = {
        "host": pg.host,
        "port": pg.port,
        "database": "keycloak",
        "user": "keycloak",
        "password": KEYCLOAK_PASSWORD,
    }
    values.update(changes)
    return Login(**values)  # type: ignore[arg-type]


def test_right_password_logs_in_and_reads_the_facts(pg_server: PgServer) -> None:
    result = probe(_login(pg_server), 5, "test")
    assert result.ok, result.error
    assert result.reached == ["resolve", "tcp", "tls", "auth", "query"]
    assert result.data["keepalives"]["tcp_keepalives_idle"] == 120
    assert result.data["server_version"].startswith("15.")
    assert "Kc-db-pass" not in str(result.to_dict())


@pytest.mark.parametrize(
    ("changes", "error_class", "failed_at", "text"),
    [
        (
            {"password": "Wrong-pass-canary"},
            "auth-failed",
            "auth",
            'password authentication failed for user "keycloak"',
        ),
        ({"database": "keycloak_typo"}, "no-database", "auth", 'database "keycloak_typo" does not exist'),
        ({"port": 1}, "refused", "tcp", "connection refused"),
        (
            {"host": "x" * 64 + ".example"},
            "dns",
            "resolve",
            "does not resolve",
        ),  # refused locally: no DNS query
        ({"user": "tlsonly", "sslmode": "disable"}, "tls-required", "tls", "no encryption"),
        ({"sslmode": "verify-full"}, "tls-failed", "tls", "root certificate"),
    ],
    ids=["wrong-password", "wrong-database", "closed-port", "no-such-name", "tls-required", "tls-failed"],
)
def test_each_failure_has_its_own_class(
    pg_server: PgServer, changes: dict[str, object], error_class: str, failed_at: str, text: str
) -> None:
    result = probe(_login(pg_server, **changes), 5, "test")
    assert (result.error_class, result.failed_at) == (error_class, failed_at), result.error
    assert text in result.error
    assert "Wrong-pass-canary" not in result.error
    assert KEYCLOAK_PASSWORD not in result.error


def test_a_blackholed_address_times_out_within_the_probe_timeout(blackholed_port: int) -> None:
    started = time.monotonic()
    result = probe(Login("127.0.0.1", blackholed_port, "keycloak", "keycloak", "x"), 1.0, "test")
    elapsed = time.monotonic() - started
    assert (result.error_class, result.failed_at) == ("timeout", "tcp"), result.error
    assert 0.9 < elapsed < 2.5


def test_the_session_only_reads(pg_server: PgServer) -> None:
    """The probe's session is read-only: a write in it is refused by the server."""
    import psycopg2

    from vantiq_health.probes.postgres import _connect

    conn = _connect(_login(pg_server), "127.0.0.1", 5)
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.errors.ReadOnlySqlTransaction):
            cur.execute("CREATE TABLE written_by_a_probe (x int)")
    finally:
        conn.close()
