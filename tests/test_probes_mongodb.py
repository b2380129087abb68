"""MG001/MG002 through the whole suite against mockupdb replica-set members speaking the wire protocol."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.harness import SuiteRun, run_live, run_snapshot, run_suite
from tests.probes.mongo import MongoMember, member
from tests.probes.portforward import ForwardingCluster
from tests.scenarios.installation import baseline
from tests.scenarios.objects import b64
from vantiq_health.probes import mongodb

USER, PASSWORD = "vantiq", "M0ngo-pr0d"  # the baseline's vantiq-mongodb Secret
NAMES = [f"mongodb-{i}.mongodb.prod.svc.cluster.local:27017" for i in range(3)]
DOWN = "(not reachable/healthy)"


@pytest.fixture(scope="module")
def members() -> Iterator[list[MongoMember]]:
    started = [MongoMember(USER, PASSWORD) for _ in range(3)]
    for m in started:
        m.start()
    try:
        yield started
    finally:
        for m in started:
            m.stop()


def _states(first: MongoMember, *states: str) -> None:
    """What replSetGetStatus on the member we reach says about the set."""
    first.members = [
        {**member(name, state, 0 if state == DOWN else 1), "_id": i} | ({"self": True} if i == 0 else {})
        for i, (name, state) in enumerate(zip(NAMES, states, strict=True))
    ]


def _run(pytester: pytest.Pytester, m: MongoMember, sc=None, *args: str) -> SuiteRun:
    return run_live(
        pytester, sc or baseline(), "-m", "mongodb", f"--endpoint=mongodb@prod={m.address}", *args, live=True
    )


def test_the_driver_logs_in_and_reads_the_set(members: list[MongoMember]) -> None:
    _states(members[0], "PRIMARY", "SECONDARY", "SECONDARY")
    host, port = members[0].address.rsplit(":", 1)
    ok = mongodb.probe(mongodb.Login(host, int(port), USER, PASSWORD), 3, "test")
    assert ok.ok, ok.error
    assert [m["stateStr"] for m in ok.data["members"]] == ["PRIMARY", "SECONDARY", "SECONDARY"]
    bad = mongodb.probe(mongodb.Login(host, int(port), USER, "Wr0ng-mongo-canary"), 3, "test")
    assert (bad.error_class, bad.failed_at) == ("auth-failed", "auth")
    assert "code 18" in bad.error
    assert "Wr0ng-mongo-canary" not in bad.error


def test_three_healthy_members_have_quorum(pytester: pytest.Pytester, members: list[MongoMember]) -> None:
    _states(members[0], "PRIMARY", "SECONDARY", "SECONDARY")
    run = _run(pytester, members[0])
    assert run.outcomes()[("MG001", "prod")] == "passed", run.output()
    assert run.outcomes()[("MG002", "prod")] == "passed"
    assert f"{NAMES[2]}: SECONDARY (health 1)" in run.message("MG001", "prod")
    assert f"logged in as {USER} to {members[0].address}" in run.message("MG002", "prod")


def test_one_member_down_still_has_quorum(pytester: pytest.Pytester, members: list[MongoMember]) -> None:
    _states(members[0], "PRIMARY", "SECONDARY", DOWN)
    run = _run(pytester, members[0])
    assert run.outcomes()[("MG001", "prod")] == "passed", run.output()
    assert f"{NAMES[2]}: {DOWN} (health 0)" in run.message("MG001", "prod")


def test_two_members_down_leave_no_primary(pytester: pytest.Pytester, members: list[MongoMember]) -> None:
    _states(members[0], "SECONDARY", DOWN, DOWN)
    run = _run(pytester, members[0])
    assert run.outcomes()[("MG001", "prod")] == "failed", run.output()
    message = run.message("MG001", "prod")
    assert "[critical] replica set rs0 has no quorum: 1 of 3 members healthy, no PRIMARY" in message
    assert "Vantiq becomes NotReady (503)" in message
    for name, state in zip(NAMES, ("SECONDARY", DOWN, DOWN), strict=True):
        assert f"{name}: {state}" in message


def test_a_wrong_password_fails_mg002_and_never_shows(
    pytester: pytest.Pytester, members: list[MongoMember]
) -> None:
    _states(members[0], "PRIMARY", "SECONDARY", "SECONDARY")
    sc = baseline()
    sc.find("Secret", "prod", "vantiq-mongodb")["data"]["password"] = b64("Wr0ng-mongo-canary")
    run = _run(pytester, members[0], sc, "-rA", "--junitxml=junit.xml", "--save-snapshot=saved")
    assert run.outcomes()[("MG002", "prod")] == "failed", run.output()
    assert run.outcomes()[("MG001", "prod")] == "skipped"
    message = run.message("MG002", "prod")
    assert (
        "MongoDB refuses the login of user vantiq; MONGO_PASSWORD comes from Secret vantiq-mongodb" in message
    )
    assert "AuthenticationFailed" in message
    offline = run_snapshot(pytester, pytester.path / "saved", "-k", "mongodb")
    assert offline.outcomes()[("MG002", "prod")] == "failed", offline.output()
    assert "MONGO_PASSWORD comes from Secret vantiq-mongodb" in offline.message("MG002", "prod")
    assert "AuthenticationFailed" in offline.message("MG002", "prod")
    for path in [p for p in pytester.path.rglob("*") if p.is_file()]:
        assert b"Wr0ng-mongo-canary" not in path.read_bytes(), path


def test_a_port_forward_reaches_a_member_from_a_workstation(
    pytester: pytest.Pytester, members: list[MongoMember], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    _states(members[0], "PRIMARY", "SECONDARY", "SECONDARY")
    sc = baseline()
    host, port = members[0].address.rsplit(":", 1)
    fake = ForwardingCluster(sc.objects, {("prod", "mongodb-0"): (host, int(port))}, logs=sc.logs)
    with fake:
        kubeconfig = fake.write_kubeconfig(pytester.path / "kubeconfig")
        run = run_suite(pytester, "--kubeconfig", str(kubeconfig), "--namespace=prod", "-m", "mongodb")
    assert run.outcomes()[("MG002", "prod")] == "passed", run.output()
    assert run.outcomes()[("MG001", "prod")] == "passed"
    assert "from port-forward to the service's pod" in run.message("MG002", "prod")
    assert fake.streams_closed == fake.streams_opened > 0
