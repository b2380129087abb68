"""Tier 1 for the probe layer and the KC/MG analyses: pure functions, no server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from vantiq_health.analysis import keycloak, keycloak_realm, mongodb
from vantiq_health.probes.credentials import EnvValue, container_env, secret_text
from vantiq_health.probes.endpoints import EndpointError, parse_endpoint, parse_endpoints, service_name
from vantiq_health.probes.result import ProbeResult
from vantiq_health.view.base import Unavailable

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("postgres=db.example.com:5432", ("postgres", None, "db.example.com", 5432, None)),
        ("mongodb@prod=10.0.0.5:27017", ("mongodb", "prod", "10.0.0.5", 27017, None)),
        ("keycloak=10.0.0.9:8080", ("keycloak", None, "10.0.0.9", 8080, "http://10.0.0.9:8080/auth")),
        (
            "keycloak=https://kc.example.com/auth/",
            ("keycloak", None, "kc.example.com", 443, "https://kc.example.com/auth"),
        ),
    ],
)
def test_endpoints_parse(spec: str, expected: tuple[object, ...]) -> None:
    ep = parse_endpoint(spec)
    assert (ep.name, ep.namespace, ep.host, ep.port, ep.url) == expected


@pytest.mark.parametrize(
    "spec",
    ["postgres", "postgres=db", "postgres=db:99999", "redis=h:1", "postgres=http://db/", "mongodb@Prod=h:1"],
)
def test_malformed_endpoints_are_refused(spec: str) -> None:
    with pytest.raises(EndpointError):
        parse_endpoint(spec)


def test_a_namespace_endpoint_wins_over_a_general_one() -> None:
    eps = parse_endpoints(["mongodb=10.0.0.1:27017", "mongodb@prod=10.0.0.2:27017"])
    assert eps.find("mongodb", "prod").host == "10.0.0.2"  # type: ignore[union-attr]
    assert eps.find("mongodb", "staging").host == "10.0.0.1"  # type: ignore[union-attr]
    with pytest.raises(EndpointError, match="given twice"):
        parse_endpoints(["postgres=a:1", "postgres=b:2"])


def test_service_names_in_the_cluster() -> None:
    assert service_name("mongodb", "prod") == "mongodb"
    assert service_name("mongodb.prod.svc.cluster.local", "prod") == "mongodb"
    assert service_name("kc-pg.postgres.database.azure.com", "shared") is None


def test_the_environment_as_the_kubelet_sets_it() -> None:
    container = {
        "envFrom": [{"secretRef": {"name": "db"}, "prefix": "DB_"}, {"configMapRef": {"name": "cfg"}}],
        "env": [
            {"name": "DB_USER", "value": "override"},
            {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode"}}},
        ],
    }

    class Sensitive:  # what the cluster view may return for a Secret value
        def __init__(self, raw: bytes) -> None:
            self._raw = raw

        def reveal(self) -> bytes:
            return self._raw

    secrets = {("db", "PASSWORD"): Sensitive(b"pw"), ("db", "USER"): b"from-secret"}
    env = container_env(
        container,
        "shared",
        lambda ns, n, k: secrets.get((n, k)),
        lambda ns, n: {"data": {"mode": "ha", "LEVEL": "3"}},
        lambda ns, kind, n: ["PASSWORD", "USER"] if kind == "Secret" else ["LEVEL", "mode"],
    )
    assert env["DB_PASSWORD"] == EnvValue("DB_PASSWORD", "Secret db key PASSWORD", ("db", "PASSWORD"), "pw")
    assert env["DB_USER"].text == "override"
    assert env["MODE"].text == "ha"
    assert env["LEVEL"].text == "3"
    assert secret_text(None) is None


@pytest.mark.parametrize(
    ("mount", "volume", "path", "expected"),
    [
        ({"mountPath": "/s"}, {"secret": {"secretName": "db"}}, "/s/password", ("db", "password")),
        (
            {"mountPath": "/s/"},
            {"secret": {"secretName": "db", "items": [{"key": "password", "path": "pw"}]}},
            "/s/pw",
            ("db", "password"),
        ),
        (
            {"mountPath": "/s/pw", "subPath": "pw"},
            {"secret": {"secretName": "db", "items": [{"key": "password", "path": "pw"}]}},
            "/s/pw",
            ("db", "password"),
        ),
        (
            {"mountPath": "/p"},
            {"projected": {"sources": [{"configMap": {"name": "c"}}, {"secret": {"name": "db"}}]}},
            "/p/user",
            ("db", "user"),
        ),
        ({"mountPath": "/s"}, {"secret": {"secretName": "db"}}, "/s/absent", None),
        ({"mountPath": "/s"}, {"secret": {"secretName": "db"}}, "/other/password", None),
        ({"mountPath": "/s"}, {"emptyDir": {}}, "/s/password", None),
    ],
)
def test_a_file_variable_is_read_from_the_secret_mounted_there(
    mount: dict[str, str], volume: dict[str, object], path: str, expected: tuple[str, str] | None
) -> None:
    pod = {"spec": {"volumes": [{"name": "v", **volume}]}}
    container = {
        "env": [{"name": "DB_PASSWORD_FILE", "value": path}],
        "volumeMounts": [{"name": "v", **mount}],
    }
    env = container_env(
        container,
        "shared",
        lambda ns, n, k: b"pw" if (n, k) == ("db", "password") else b"u",
        lambda ns, n: None,
        lambda ns, kind, n: ["password", "user"] if (kind, n) == ("Secret", "db") else [],
        pod,
    )
    assert env["DB_PASSWORD"].secret == expected
    assert env["DB_PASSWORD"].known is (expected is not None)
    if expected:
        assert env["DB_PASSWORD"].file == path


def test_keycloak_database_settings_follow_the_jdbc_url() -> None:
    env = {
        "DB_ADDR": EnvValue("DB_ADDR", "value", text="pg.example.com:6432"),
        "JDBC_PARAMS": EnvValue("JDBC_PARAMS", "value", text="?ssl=true&connectTimeout=5"),
    }
    db = keycloak.database_settings(env, "keycloak-0")
    assert db.host_port == ("pg.example.com", 6432)
    assert db.sslmode == "require"
    assert (db.database.text, db.user.text, db.password.source) == ("keycloak", "keycloak", "default")


@pytest.mark.parametrize(
    ("addr", "user", "problem"),
    [
        ("kc.postgres.database.azure.com", "keycloak@kc", None),
        ("kc.postgres.database.azure.com", "keycloak", "has no @kc"),
        ("kc.postgres.database.azure.com", "keycloak@other", "names server other"),
        ("postgres.shared.svc", "keycloak", None),
    ],
)
def test_azure_user_form(addr: str, user: str, problem: str | None) -> None:
    env = {
        "DB_ADDR": EnvValue("DB_ADDR", "value", text=addr),
        "DB_USER": EnvValue("DB_USER", "value", text=user),
    }
    found = keycloak.azure_user_form(keycloak.database_settings(env, "keycloak-0"), "shared")
    assert (
        (found[0].diagnosis if found else None) is None if problem is None else problem in found[0].diagnosis
    )


@pytest.mark.parametrize(
    ("schedule", "period"),
    [
        ("@daily", timedelta(days=1)),
        ("*/15 * * * *", timedelta(minutes=15)),
        ("0 3 * * 1", timedelta(days=7)),
    ],
)
def test_schedule_periods(schedule: str, period: timedelta) -> None:
    assert mongodb.schedule_period(schedule, NOW) == period
    assert mongodb.schedule_period("every day", NOW) is None


def test_exported_names_hold_no_values() -> None:
    text = "export AZURE_STORAGE_ACCOUNT=acct\nexport AZURE_STORAGE_KEY=''\n# export OTHER=x\n"
    assert mongodb.exported_names(text) == {"AZURE_STORAGE_ACCOUNT": True, "AZURE_STORAGE_KEY": False}


def _status(*states: tuple[str, int]) -> ProbeResult:
    result = ProbeResult("mongodb", "127.0.0.1:27017", "test", ["resolve", "tcp", "auth", "query"])
    result.data = {
        "set": "rs0",
        "members": [{"name": f"m{i}", "stateStr": s, "health": h} for i, (s, h) in enumerate(states)],
    }
    return result


def test_quorum_needs_a_majority_and_one_primary() -> None:
    assert (
        mongodb.quorum_findings(_status(("PRIMARY", 1), ("SECONDARY", 1), ("(not reachable/healthy)", 0)))[0]
        == []
    )
    found, _ = mongodb.quorum_findings(
        _status(("SECONDARY", 1), ("(not reachable/healthy)", 0), ("(not reachable/healthy)", 0))
    )
    assert "no PRIMARY" in found[0].diagnosis
    failed = ProbeResult(
        "mongodb", "h:1", "test", ["resolve", "tcp"], error_class="auth-failed", error="code 18"
    )
    with pytest.raises(Unavailable, match="see MG002"):
        mongodb.quorum_findings(failed)


def test_frontend_url_judgement() -> None:
    assert keycloak_realm.ingress_domains([{"spec": {"rules": [{"host": "a.example.com"}, {}]}}]) == [
        "a.example.com"
    ]
    ok = ProbeResult(
        "keycloak",
        "h:1",
        "test",
        ["auth", "query"],
        data={"realms": {"vantiq": {"frontendUrl": "https://a.example.com/auth/"}}},
    )
    password = EnvValue("KEYCLOAK_PASSWORD", "Secret keycloak key password", ("keycloak", "password"), "x")
    assert keycloak_realm.frontend_url_findings(ok, ["a.example.com"], password)[0] == []
    http = ProbeResult(
        "keycloak",
        "h:1",
        "test",
        ["auth", "query"],
        data={"realms": {"vantiq": {"frontendUrl": "http://a.example.com/auth/"}}},
    )
    found, _ = keycloak_realm.frontend_url_findings(http, ["a.example.com"], password)
    assert "is not of the form https://<domain>/auth/" in found[0].diagnosis
