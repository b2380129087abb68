"""Canary by construction: secret values placed anywhere never reach any byte of any output.

Hypothesis draws where canaries go — Secret values (a TLS key that does not load
among them), literal env values of every container kind, connection strings,
container arguments, annotations, ConfigMap files, pod logs, event messages —
and whether a pod carries a field the analysis chokes on. Each example runs the
whole suite once (live or offline) with every output on and looks for each
canary, raw and base64, in every byte written. Runs are few (each is a
subprocess), canaries per run many.
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import ROOT, run_live, run_snapshot
from tests.scenarios.broken import VARIANTS
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import b64

EVERY_OUTPUT = (
    "-rA",
    "-vv",
    "-l",
    "--tb=long",
    "--junitxml=out/junit.xml",
    "--log-file=out/run.log",
    "--log-file-level=DEBUG",
    "--save-snapshot=out/saved",
)
Place = Callable[[Scenario, str, int], None]


def _secret_value(sc: Scenario, canary: str, pick: int) -> None:
    secrets = [
        o
        for o in sc.objects
        if o["kind"] == "Secret"
        and o.get("type") != "helm.sh/release.v1"
        and o["metadata"]["namespace"] == "prod"
    ]
    secret = secrets[pick % len(secrets)]
    key = ("password", "token", "api-key", "config.json", "credentials")[pick % 5]
    value = canary if pick % 2 else f'{{"password": "{canary}"}}'
    secret["data"][key] = b64(value + ("\n" if pick % 3 == 0 else ""))


def _tls_key_that_does_not_load(sc: Scenario, canary: str, pick: int) -> None:
    label = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")[pick % 3]
    body = canary if pick % 2 else base64.b64encode(canary.encode() * 3).decode()
    pem = f"-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"]["tls.key"] = b64(pem)


def _container(sc: Scenario, pick: int) -> dict[str, Any]:
    spec = sc.find("Pod", "prod", ("vantiq-0", "mongodb-0", "mongodb-2")[pick % 3])["spec"]
    field = ("containers", "initContainers", "ephemeralContainers")[pick % 3]
    if not spec.get(field):
        spec[field] = [{"name": "debugger", "image": "busybox:1.36"}]
    container: dict[str, Any] = spec[field][0]
    return container


def _env_named(sc: Scenario, canary: str, pick: int) -> None:
    name = ("ADMIN_PASSWORD", "DB_PASS", "SMTP_SECRET", "API_KEY", "GF_AUTH_CLIENT_SECRET")[pick % 5]
    _container(sc, pick).setdefault("env", []).append({"name": name, "value": canary})


def _env_connection_string(sc: Scenario, canary: str, pick: int) -> None:
    value = (
        f"mongodb://vantiq:{canary}@mongodb-0.mongodb:27017/ars02?authSource=admin",
        f"jdbc:postgresql://keycloak-db:5432/keycloak?user=keycloak&password={canary}&ssl=true",
        f"postgres://keycloak:{canary}@keycloak-db/keycloak",
        f"jdbc:sqlserver://db:1433;user=sa;password={canary};",
    )[pick % 4]
    _container(sc, pick).setdefault("env", []).append({"name": "DB_ADDR", "value": value})


def _args(sc: Scenario, canary: str, pick: int) -> None:
    args = ([f"--password={canary}"], ["--db-password", canary], ["sh", "-c", f"login --token={canary}"])[
        pick % 3
    ]
    container = _container(sc, pick)
    container["args" if pick % 2 else "command"] = [*container.get("args", []), *args]


def _annotation(sc: Scenario, canary: str, pick: int) -> None:
    obj = (
        sc.find("StatefulSet", "prod", "vantiq"),
        sc.find("Pod", "prod", "vantiq-0"),
        sc.find("ConfigMap", "prod", "vantiq-config"),
    )[pick % 3]
    key, value = (
        ("vault.hashicorp.com/db-password", canary),
        ("example.com/notes", f"restore with mongodb://admin:{canary}@mongodb-0/admin"),
    )[pick % 2]
    obj["metadata"].setdefault("annotations", {})[key] = value


def _configmap(sc: Scenario, canary: str, pick: int) -> None:
    cm = sc.find("ConfigMap", "prod", "vantiq-config")
    cm["data"][("app.json", "db.properties", "grafana.ini", "jdbc")[pick % 4]] = (
        f'{{"mongo": {{"user": "vantiq", "password": "{canary}"}}}}',
        f"db.user=vantiq\ndb.password={canary}\n",
        f"[database]\ntype = mysql\npassword = {canary}\n",
        f"jdbc:postgresql://db/x?password={canary}",
    )[pick % 4]


def _log_line(sc: Scenario, canary: str, pick: int) -> None:
    line = (
        f"2026/11/29 09:01:01 connecting to mongodb://admin:{canary}@mongodb-0:27017\n",
        f"2026/11/29 09:01:01 auth failed: password={canary}\n",
        f'2026/11/29 09:01:01 config {{"password": "{canary}"}}\n',
    )[pick % 3]
    sc.logs[("prod", "mongodb-2", "bootstrap")] += line


def _event_message(sc: Scenario, canary: str, pick: int) -> None:
    event = next(
        o
        for o in sc.objects
        if o["kind"] == "Event" and o.get("reason") == "Unhealthy" and "keycloak-1" in o["metadata"]["name"]
    )
    event["message"] = (
        f'Liveness probe failed: Get "http://admin:{canary}@10.244.1.21:8080/auth/": connection refused',
        f"Liveness probe failed: HTTP probe failed with statuscode: 401 token={canary}",
    )[pick % 2]


def _secret_value_repeated_in_a_log(sc: Scenario, canary: str, pick: int) -> None:
    sc.find("Secret", "prod", "vantiq-mongodb")["data"]["root-password"] = b64(canary)
    sc.logs[("prod", "mongodb-2", "bootstrap")] += f"2026/11/29 09:02:00 using root {canary} (debug)\n"


PLACES: dict[str, Place] = {
    "secret": _secret_value,
    "tls-key": _tls_key_that_does_not_load,
    "env-named": _env_named,
    "env-uri": _env_connection_string,
    "args": _args,
    "annotation": _annotation,
    "configmap": _configmap,
    "log": _log_line,
    "event": _event_message,
    "secret-in-log": _secret_value_repeated_in_a_log,
}


def _scenario() -> Scenario:
    sc = baseline()
    for variant in VARIANTS:
        if variant.name in ("wl002-liveness", "wl003-bootstrap", "sec002-newline"):
            variant.breaks(sc)
    return sc


def _make_analysis_raise(sc: Scenario, canary: str) -> None:
    """A field of the wrong type on a pod whose env holds a password: -l would print the whole pod."""
    pod = sc.find("Pod", "prod", "vantiq-0")
    pod["status"]["containerStatuses"][0]["restartCount"] = "three"
    pod["spec"]["containers"][0].setdefault("env", []).append({"name": "MONGO_PASSWORD", "value": canary})


placements = st.lists(
    st.tuples(st.sampled_from(sorted(PLACES)), st.integers(0, 59)),
    min_size=4,
    max_size=8,
    unique_by=lambda p: p[0],
)


def _leaks(root: Path, canaries: list[str], skip: Path) -> list[str]:
    needles = {c.encode() for c in canaries} | {base64.b64encode(c.encode()) for c in canaries}
    found = []
    for path in root.rglob("*"):
        if path.is_file() and skip not in path.parents:
            data = path.read_bytes()
            found.extend(f"{path.relative_to(root)}: {n.decode()}" for n in needles if n in data)
    return found


@settings(
    max_examples=6,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(placed=placements, analysis_raises=st.booleans(), offline=st.booleans())
def test_no_canary_reaches_any_byte_of_any_output(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    placed: list[tuple[str, int]],
    analysis_raises: bool,
    offline: bool,
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    for old in ("out", "input", "results.json", "report.html"):
        shutil.rmtree(pytester.path / old, ignore_errors=True)
        (pytester.path / old).unlink(missing_ok=True)
    (pytester.path / "out").mkdir()
    sc = _scenario()
    canaries = []
    for n, (place, pick) in enumerate(placed):
        canary = f"CANARY{n}{place.replace('-', '')}{pick:02d}Zq"
        PLACES[place](sc, canary, pick)
        canaries.append(canary)
    raising: tuple[str, ...] = ()
    if analysis_raises:
        canaries.append("CANARYraisingpod9Zq")
        _make_analysis_raise(sc, canaries[-1])
        raising = ("-p", "tests.plugins.raising_analysis")  # the view drops the bad field: a bug stands in
    if offline:
        run = run_snapshot(pytester, write_get_output(sc, pytester.path / "input"), *EVERY_OUTPUT, *raising)
    else:
        run = run_live(pytester, sc, *EVERY_OUTPUT, *raising)
    assert run.records, run.output()[-3000:]
    assert (pytester.path / "out" / "saved").is_dir()
    assert {"junit.xml", "run.log"} <= {p.name for p in (pytester.path / "out").iterdir()}
    assert (pytester.path / "report.html").exists()
    if analysis_raises:
        assert run.outcomes()[("WL001", "prod")] == "error"
        assert "could not run: TypeError" in run.message("WL001", "prod")
    assert not [c for c in canaries if c in run.output()], placed
    assert not _leaks(pytester.path, canaries, skip=pytester.path / "input"), placed
