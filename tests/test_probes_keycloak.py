"""KC002/KC004 through the whole suite: the baseline's keycloak pods, a real PostgreSQL on loopback.

The baseline's Keycloak logs in as `keycloak@keycloak-pg` (Azure's user@servername form) with the
password of its `keycloak-db` Secret; the test server has that role.
"""

from __future__ import annotations

import contextlib
import copy
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import psycopg2
import pytest

from tests.harness import CHECKS, ROOT, SuiteRun, run_live, run_snapshot, run_suite
from tests.probes.portforward import ForwardingCluster
from tests.probes.postgres import PgServer, blackholed_port, pg_server
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import b64

__all__ = ["blackholed_port", "pg_server"]  # fixtures
ROLE, PASSWORD = "keycloak@keycloak-pg", "Pg-s3cret-value"  # the baseline's DB_USER and keycloak-db value
LIVE = ("KC002", "KC004")


@pytest.fixture(scope="module")
def pg(pg_server: PgServer) -> PgServer:
    with contextlib.suppress(psycopg2.errors.DuplicateObject):
        pg_server.admin(f"CREATE ROLE \"{ROLE}\" LOGIN PASSWORD '{PASSWORD}'")
    return pg_server


def _set_keycloak_env(sc: Scenario, var: str, value: str) -> None:
    for i in range(3):
        for item in sc.find("Pod", "shared", f"keycloak-{i}")["spec"]["containers"][0]["env"]:
            if item["name"] == var:
                item.clear()
                item.update(name=var, value=value)


def _run(pytester: pytest.Pytester, sc: Scenario, *args: str) -> SuiteRun:
    return run_live(pytester, sc, "-k", "keycloak", *args, live=True)


def _outcomes(run: SuiteRun) -> dict[str, str]:
    return {check_id: outcome for (check_id, _), outcome in run.outcomes().items() if check_id in LIVE}


def test_the_credentials_keycloak_is_given_log_in(pytester: pytest.Pytester, pg: PgServer) -> None:
    run = _run(pytester, baseline(), f"--endpoint=postgres={pg.host}:{pg.port}")
    assert _outcomes(run) == {"KC002": "passed", "KC004": "passed"}, run.output()
    message = run.message("KC002", "shared")
    assert f"logged in as {ROLE} to {pg.host}:{pg.port}/keycloak from explicit --endpoint" in message
    assert "resolve → tcp → tls → auth → query" in message
    assert "tcp_keepalives_idle=120" in run.message("KC004", "shared")
    assert f"endpoints: postgres={pg.host}:{pg.port}" in run.output()  # the header
    assert (
        f"postgres {pg.host}:{pg.port} from explicit --endpoint: reached resolve" in run.output()
    )  # summary


def test_a_wrong_password_names_the_secret_and_never_shows(pytester: pytest.Pytester, pg: PgServer) -> None:
    sc = baseline()
    sc.find("Secret", "shared", "keycloak-db")["data"]["password"] = b64("Wr0ng-canary-pw")
    run = _run(
        pytester,
        sc,
        f"--endpoint=postgres={pg.host}:{pg.port}",
        "-rA",
        "-vv",
        "--junitxml=junit.xml",
        "--save-snapshot=saved",
    )
    assert _outcomes(run) == {"KC002": "failed", "KC004": "skipped"}, run.output()
    message = run.message("KC002", "shared")
    assert f"PostgreSQL refuses the password for user {ROLE}" in message
    assert "DB_PASSWORD comes from Secret keycloak-db, key password" in message
    assert f'password authentication failed for user "{ROLE}"' in message
    assert "see KC002" in run.message("KC004", "shared")
    # the saved snapshot carries the probe's record: support gets the same verdict offline
    offline = run_snapshot(pytester, pytester.path / "saved", "-k", "keycloak")
    assert _outcomes(offline) == {"KC002": "failed", "KC004": "skipped"}, offline.output()
    assert f"PostgreSQL refuses the password for user {ROLE}" in offline.message("KC002", "shared")
    assert "DB_PASSWORD comes from Secret keycloak-db, key password" in offline.message("KC002", "shared")
    for path in [p for p in pytester.path.rglob("*") if p.is_file()]:
        assert b"Wr0ng-canary-pw" not in path.read_bytes(), path
    assert "Wr0ng-canary-pw" not in run.output() + offline.output()


def _password_from_a_mounted_file(sc: Scenario) -> None:
    """DB_PASSWORD_FILE naming the keycloak-db Secret mounted as files, as the Keycloak image reads it."""
    for i in range(3):
        spec = sc.find("Pod", "shared", f"keycloak-{i}")["spec"]
        container = spec["containers"][0]
        container["env"] = [e for e in container["env"] if e["name"] != "DB_PASSWORD"]
        container["env"].append({"name": "DB_PASSWORD_FILE", "value": "/run/secrets/db/pw"})
        container.setdefault("volumeMounts", []).append({"name": "db", "mountPath": "/run/secrets/db"})
        spec.setdefault("volumes", []).append(
            {
                "name": "db",
                "secret": {"secretName": "keycloak-db", "items": [{"key": "password", "path": "pw"}]},
            }
        )


def test_a_password_from_a_mounted_secret_file_logs_in(pytester: pytest.Pytester, pg: PgServer) -> None:
    sc = baseline()
    _password_from_a_mounted_file(sc)
    run = _run(pytester, sc, f"--endpoint=postgres={pg.host}:{pg.port}")
    assert _outcomes(run) == {"KC002": "passed", "KC004": "passed"}, run.output()
    sc.find("Secret", "shared", "keycloak-db")["data"]["password"] = b64("Wr0ng-file-pw")
    run = _run(pytester, sc, f"--endpoint=postgres={pg.host}:{pg.port}")
    assert _outcomes(run)["KC002"] == "failed", run.output()
    message = run.message("KC002", "shared")
    assert "DB_PASSWORD comes from Secret keycloak-db, key password, mounted as /run/secrets/db/pw" in message
    assert "Wr0ng-file-pw" not in run.output()


def test_a_missing_database_is_told_apart(pytester: pytest.Pytester, pg: PgServer) -> None:
    sc = baseline()
    _set_keycloak_env(sc, "DB_DATABASE", "keycloak_typo")
    run = _run(pytester, sc, f"--endpoint=postgres={pg.host}:{pg.port}")
    assert _outcomes(run)["KC002"] == "failed"
    assert "database keycloak_typo does not exist" in run.message("KC002", "shared")


def test_a_closed_port_is_refused(pytester: pytest.Pytester, silent_port: int) -> None:
    closed = silent_port + 1 if silent_port < 65535 else silent_port - 1
    run = _run(pytester, baseline(), f"--endpoint=postgres=127.0.0.1:{closed}")
    assert _outcomes(run) == {"KC002": "failed", "KC004": "skipped"}, run.output()
    assert "nothing accepts connections at 127.0.0.1" in run.message("KC002", "shared")


def _durations(junit: Path) -> dict[str, float]:
    cases = ET.parse(junit).getroot().iter("testcase")
    return {c.get("name", ""): float(c.get("time", "0")) for c in cases}


def test_a_dead_target_costs_its_timeout_once(pytester: pytest.Pytester, blackholed_port: int) -> None:
    run = _run(
        pytester,
        baseline(),
        f"--endpoint=postgres=127.0.0.1:{blackholed_port}",
        "--probe-timeout=2",
        "--junitxml=junit.xml",
    )
    assert _outcomes(run) == {"KC002": "failed", "KC004": "skipped"}, run.output()
    assert "times out" in run.message("KC002", "shared")
    probe_time = sum(
        t
        for name, t in _durations(pytester.path / "junit.xml").items()
        if "database" in name or "pool" in name
    )
    assert 1.9 < probe_time < 3.5


def test_a_workstation_does_not_judge_an_outside_network(
    pytester: pytest.Pytester, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _set_keycloak_env(sc, "DB_ADDR", f"127.0.0.1:{silent_port + 1}")
    run = _run(pytester, sc)
    assert _outcomes(run) == {"KC002": "skipped", "KC004": "skipped"}, run.output()
    assert "not reachable from here — run in the cluster or pass --endpoint" in run.message("KC002", "shared")


def test_in_the_cluster_a_refused_connection_is_a_finding(
    pytester: pytest.Pytester, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    sc = baseline()
    _set_keycloak_env(sc, "DB_ADDR", f"127.0.0.1:{silent_port + 1}")
    run = _run(pytester, sc)
    assert _outcomes(run)["KC002"] == "failed", run.output()
    assert "from pod network (in-cluster)" in run.message("KC002", "shared")


def test_no_live_and_snapshots_skip_saying_so(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "-k", "keycloak")
    assert _outcomes(run) == {"KC002": "skipped", "KC004": "skipped"}
    assert "live probes are off (--no-live)" in run.message("KC002", "shared")
    assert "live probes: off (--no-live)" in run.output()
    snap = run_snapshot(pytester, write_get_output(baseline(), pytester.path / "snap"), "-k", "keycloak")
    assert _outcomes(snap) == {"KC002": "skipped", "KC004": "skipped"}
    assert "a snapshot holds no live service and this one no record of the probe" in snap.message(
        "KC002", "shared"
    )


@pytest.fixture
def crowded_pool(pg: PgServer) -> Iterator[None]:
    """21 idle connections of Keycloak's user from one address, keepalives left to the OS (7200 s)."""
    pg.admin(f'ALTER ROLE "{ROLE}" SET tcp_keepalives_idle = 0')
    conns = [
        psycopg2.connect(host=pg.host, port=pg.port, dbname="keycloak", user=ROLE, password=PASSWORD)
        for _ in range(21)
    ]
    try:
        yield
    finally:
        for conn in conns:
            conn.close()
        pg.admin(f'ALTER ROLE "{ROLE}" RESET tcp_keepalives_idle')


def test_a_crowded_pool_and_late_keepalives_warn(
    pytester: pytest.Pytester, pg: PgServer, crowded_pool: None
) -> None:
    run = _run(pytester, baseline(), f"--endpoint=postgres={pg.host}:{pg.port}")
    assert _outcomes(run) == {"KC002": "passed", "KC004": "warning"}, run.output()
    message = run.message("KC004", "shared")
    assert "21 connections of the keycloak user from 127.0.0.1: more than the pool's maximum (20)" in message
    assert "first keepalive after 7200 s" in message


def _in_cluster_database(sc: Scenario) -> None:
    """Keycloak's database as a Service inside the cluster, with one ready pod behind it."""
    _set_keycloak_env(sc, "DB_ADDR", "keycloak-postgresql")
    template = sc.find("Pod", "shared", "keycloak-0")
    pod = copy.deepcopy(template)
    pod["metadata"].update(name="keycloak-postgresql-0", labels={"app": "keycloak-postgresql"})
    pod["metadata"].pop("ownerReferences", None)
    service = copy.deepcopy(sc.find("Service", "shared", "keycloak"))
    service["metadata"]["name"] = "keycloak-postgresql"
    service["spec"].update(
        selector={"app": "keycloak-postgresql"},
        ports=[{"name": "pg", "port": 5432, "targetPort": 5432, "protocol": "TCP"}],
    )
    sc.add(pod, service)


def _run_forwarding(pytester: pytest.Pytester, sc: Scenario, fake: ForwardingCluster) -> SuiteRun:
    with fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        return run_suite(pytester, "--kubeconfig", str(kubeconfig), "--namespace=prod", "-k", "keycloak")


def test_a_port_forward_carries_the_database_login(
    pytester: pytest.Pytester, pg: PgServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _in_cluster_database(sc)
    fake = ForwardingCluster(
        sc.objects, {("shared", "keycloak-postgresql-0"): (pg.host, pg.port)}, logs=sc.logs
    )
    run = _run_forwarding(pytester, sc, fake)
    assert _outcomes(run) == {"KC002": "passed", "KC004": "passed"}, run.output()
    assert "from port-forward to the service's pod" in run.message("KC002", "shared")
    assert fake.streams_opened >= 2  # the permission check, the TCP step, the login
    assert fake.streams_closed == fake.streams_opened  # every stream closed by the end of the run


def test_without_the_portforward_permission_live_checks_skip_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _in_cluster_database(sc)
    fake = ForwardingCluster(sc.objects, {}, logs=sc.logs, allow_portforward=False)
    run = _run_forwarding(pytester, sc, fake)
    assert _outcomes(run) == {"KC002": "skipped", "KC004": "skipped"}, run.output()
    assert "needs: create pods/portforward in shared" in run.message("KC002", "shared")


def test_a_malformed_endpoint_is_a_usage_error(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--endpoint=postgres=db-without-port")
    assert run.result.ret == 4
    assert "vantiq-health: --endpoint postgres=db-without-port: expected HOST:PORT or a URL" in run.output()


def test_ctrl_c_during_a_forwarded_probe_closes_the_forward(
    pytester: pytest.Pytester, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database behind the forward never answers; the operator presses Ctrl-C mid-probe."""
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _in_cluster_database(sc)
    fake = ForwardingCluster(sc.objects, {("shared", "keycloak-postgresql-0"): ("127.0.0.1", silent_port)})
    with fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        args = ["--kubeconfig", str(kubeconfig), "--namespace=prod", "-k", "KC002", "--probe-timeout=60"]
        proc = subprocess.Popen(
            [sys.executable, "-m", "pytest", str(CHECKS), f"--rootdir={ROOT}", *args],
            cwd=pytester.path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while fake.streams_opened < 2 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)  # the permission check's stream, then the probe's own
        assert fake.streams_opened >= 2, proc.communicate(timeout=30)[0].decode()
        interrupted = time.monotonic()
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=30)[0].decode()
        deadline = time.monotonic() + 5
        while fake.streams_closed < fake.streams_opened and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fake.streams_closed == fake.streams_opened, output
    assert proc.returncode == 2, output  # pytest's "interrupted"
    assert time.monotonic() - interrupted < 30, "Ctrl-C waited for the probe's timeout"
    assert "KeyboardInterrupt" in output
    assert "Exception in thread" not in output


def test_in_japanese_the_skip_reasons_and_vantages_are_japanese(
    pytester: pytest.Pytester, silent_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _set_keycloak_env(sc, "DB_ADDR", f"127.0.0.1:{silent_port + 1}")
    run = _run(pytester, sc, "--lang", "ja")
    assert _outcomes(run) == {"KC002": "skipped", "KC004": "skipped"}, run.output()
    message = run.message("KC002", "shared")
    assert "ここからは到達できません — クラスター内で実行するか --endpoint を指定してください" in message
    assert "not reachable" not in message


def test_in_japanese_a_missing_portforward_permission_is_said_in_japanese(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    sc = baseline()
    _in_cluster_database(sc)
    fake = ForwardingCluster(sc.objects, {}, logs=sc.logs, allow_portforward=False)
    with fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        run = run_suite(
            pytester, "--kubeconfig", str(kubeconfig), "--namespace=prod", "-k", "keycloak", "--lang=ja"
        )
    assert _outcomes(run) == {"KC002": "skipped", "KC004": "skipped"}, run.output()
    message = run.message("KC002", "shared")
    assert (
        "必要な権限: 作業端末から Pod keycloak-postgresql-0 に接続するには shared の create pods/portforward"
        in message
    )
    assert "needs:" not in message
