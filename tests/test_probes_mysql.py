"""MT002's live half against a real MariaDB on loopback: Grafana's tables, an empty schema, a wrong password.

The baseline's Grafana is configured for MySQL (`[database] type = mysql, user = grafana,
name = grafana`) and its login's password is the `grafanadb-mysql` Secret's `mysql-password`;
the test server has that login.
"""

from __future__ import annotations

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot
from tests.probes.mariadb import GRAFANA_PASSWORD, GRAFANA_TABLES, MariaDb, mariadb
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.objects import b64
from vantiq_health.probes.mysql import Login, probe

__all__ = ["mariadb"]  # fixtures


def _login(db: MariaDb, **changes: object) -> Login:
    values: dict[str, object] = {
        "host": db.host,
        "port": db.port,
        "database": "grafana",
        "user": "grafana",
        "password": GRAFANA_PASSWORD,
    }
    values.update(changes)
    return Login(**values)  # type: ignore[arg-type]


def _run(pytester: pytest.Pytester, sc: Scenario, db: MariaDb, *args: str) -> SuiteRun:
    return run_live(
        pytester,
        sc,
        "--check",
        "MT002",
        f"--endpoint=grafanadb={db.host}:{db.port}",
        *args,
        namespaces=("prod", "shared"),
        live=True,
    )


def test_the_probe_lists_the_tables_of_grafanas_schema(mariadb: MariaDb) -> None:
    mariadb.schema("grafana", GRAFANA_TABLES)
    result = probe(_login(mariadb), 5, "test")
    assert result.ok, result.error
    assert result.reached == ["resolve", "tcp", "auth", "query"]
    assert result.data["tables"] == sorted(GRAFANA_TABLES)
    assert "MariaDB" in result.data["server_version"]
    assert GRAFANA_PASSWORD not in str(result.to_dict())


@pytest.mark.parametrize(
    ("changes", "error_class", "text"),
    [
        ({"password": "Wrong-canary-pw"}, "auth-failed", "Access denied for user 'grafana'@'127.0.0.1'"),
        ({"database": "grafana_typo"}, "not-authorized", "grafana_typo"),
        ({"port": 1}, "refused", "connection refused"),
    ],
    ids=["wrong-password", "schema-not-granted", "closed-port"],
)
def test_each_failure_has_its_own_class(
    mariadb: MariaDb, changes: dict[str, object], error_class: str, text: str
) -> None:
    mariadb.schema("grafana", GRAFANA_TABLES)
    result = probe(_login(mariadb, **changes), 5, "test")
    assert result.error_class == error_class, result.error
    assert text in result.error
    assert "Wrong-canary-pw" not in result.error


def test_the_session_only_reads(mariadb: MariaDb) -> None:
    """The probe's session is read-only: a write in it is refused by the server."""
    import pymysql

    from vantiq_health.probes.mysql import _connect

    mariadb.schema("grafana", GRAFANA_TABLES)
    conn = _connect(_login(mariadb), "127.0.0.1", 5)
    try:
        with conn.cursor() as cur, pytest.raises(pymysql.err.OperationalError, match="READ ONLY"):
            cur.execute("INSERT INTO dashboard VALUES (1)")
    finally:
        conn.close()


def test_grafanas_tables_in_mysql_pass(pytester: pytest.Pytester, mariadb: MariaDb) -> None:
    mariadb.schema("grafana", GRAFANA_TABLES)
    run = _run(pytester, baseline(), mariadb)
    assert run.outcomes() == {("MT002", "shared"): "passed"}, run.output()
    message = run.message("MT002", "shared")
    assert f"grafanadb {mariadb.host}:{mariadb.port} from explicit --endpoint" in message
    assert f"tables: {len(GRAFANA_TABLES)}" in message


def test_an_empty_grafana_schema_is_the_dashboards_lost_after_an_upgrade(
    pytester: pytest.Pytester, mariadb: MariaDb
) -> None:
    mariadb.schema("grafana", ())
    run = _run(pytester, baseline(), mariadb)
    assert run.outcomes() == {("MT002", "shared"): "failed"}, run.output()
    message = run.message("MT002", "shared")
    assert "Grafana is configured for MySQL but the grafana schema has no Grafana tables" in message
    assert "dashboards disappeared after the upgrade" in message
    assert "tables in grafana: none (show tables: Empty set)" in message
    assert "kubectl rollout restart deployment/grafana -n shared" in message


def test_a_wrong_password_names_the_secret_and_never_shows(
    pytester: pytest.Pytester, mariadb: MariaDb
) -> None:
    mariadb.schema("grafana", GRAFANA_TABLES)
    sc = baseline()
    sc.find("Secret", "shared", "grafanadb-mysql")["data"]["mysql-password"] = b64("Wr0ng-canary-pw")
    run = _run(pytester, sc, mariadb, "-rA", "--save-snapshot=saved")
    assert run.outcomes() == {("MT002", "shared"): "failed"}, run.output()
    message = run.message("MT002", "shared")
    assert (
        "Grafana's MySQL cannot be read with Grafana's login: MySQL refuses the password for user grafana"
        in message
    )
    assert "it comes from Secret grafanadb-mysql key mysql-password" in message
    assert "Access denied for user 'grafana'@'127.0.0.1'" in message
    for path in [p for p in pytester.path.rglob("*") if p.is_file()]:
        assert b"Wr0ng-canary-pw" not in path.read_bytes(), path
    assert "Wr0ng-canary-pw" not in run.output()
    offline = run_snapshot(
        pytester, pytester.path / "saved", "--check", "MT002", namespaces=("prod", "shared")
    )
    assert offline.outcomes() == run.outcomes(), offline.output()
    assert offline.message("MT002", "shared").splitlines()[:2] == message.splitlines()[:2]


def test_sqlite_is_judged_without_logging_in(pytester: pytest.Pytester, mariadb: MariaDb) -> None:
    """Grafana not on MySQL at all: the static verdict, no probe of a schema Grafana does not use."""
    sc = baseline()
    sc.find("ConfigMap", "shared", "grafana")["data"]["grafana.ini"] = "[database]\n"
    run = _run(pytester, sc, mariadb)
    assert run.outcomes() == {("MT002", "shared"): "failed"}, run.output()
    assert "lost on the next upgrade" in run.message("MT002", "shared")
    assert "grafanadb 127.0.0.1" not in run.output()
