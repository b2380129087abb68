"""No secret value leaves the process; the suite never writes to the cluster; 403s become skips."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from tests.harness import ROOT, SuiteRun, run_live, run_snapshot
from tests.scenarios.installation import Scenario, baseline
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.objects import b64
from vantiq_health import helm

EVERY_OUTPUT = (
    "-rA",
    "-vv",
    "-l",
    "--tb=long",
    "--junitxml=junit.xml",
    "--log-file=run.log",
    "--log-file-level=DEBUG",
)


def _canaries(sc: Scenario) -> list[str]:
    """Give every Secret value a unique canary, in every place a value can hide."""
    canaries = []
    for obj in sc.objects:
        if obj["kind"] != "Secret" or obj.get("type") == "helm.sh/release.v1":
            continue
        for n, key in enumerate(sorted(obj["data"])):
            canary = f"CANARY{len(canaries):02d}x{obj['metadata']['name']}{n}Q"
            newline = "\n" if (obj["metadata"]["name"], key) == ("keycloak", "password") else ""
            obj["data"][key] = b64(canary + newline)
            canaries.append(canary)
        # `kubectl apply` keeps the whole Secret, values included, in this annotation
        applied = json.dumps({"kind": "Secret", "data": obj["data"]})
        obj["metadata"].setdefault("annotations", {})["kubectl.kubernetes.io/last-applied-configuration"] = (
            applied
        )
    release_canary, manifest_canary, env_canary = (
        "CANARYhelmvalues",
        "CANARYrenderedsecret",
        "CANARYliteralenv",
    )
    manifest = f"---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: rendered\nstringData:\n  password: {manifest_canary}\n"
    release = {
        "name": "leaky",
        "namespace": "prod",
        "version": 1,
        "info": {"status": "deployed"},
        "chart": {"metadata": {"name": "leaky", "version": "1.0.0"}},
        "config": {"pw": release_canary},
        "manifest": manifest,
    }
    sc.add(helm.release_secret(release))
    sc.find("Pod", "prod", "vantiq-0")["spec"]["containers"][0]["env"].append(
        {"name": "ADMIN_PASSWORD", "value": env_canary}
    )
    ini_canary, applied_canary = "CANARYgrafanaini", "CANARYlastapplied"
    sc.find("ConfigMap", "shared", "grafana")["data"]["grafana.ini"] += f"password = {ini_canary}\n"
    applied = json.dumps({"env": [{"name": "X", "value": applied_canary}]})
    sts = sc.find("StatefulSet", "prod", "vantiq")
    sts["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": applied}
    return [*canaries, release_canary, manifest_canary, env_canary, ini_canary, applied_canary]


def _leaks(root: Path, canaries: list[str], skip: Path | None = None) -> list[str]:
    needles = {c.encode() for c in canaries} | {base64.b64encode(c.encode()) for c in canaries}
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not (skip and skip in path.parents):
            data = path.read_bytes()
            found.extend(f"{path.relative_to(root)}: {n.decode()}" for n in needles if n in data)
    return found


def test_no_secret_value_reaches_any_output_live(pytester: pytest.Pytester) -> None:
    sc = baseline()
    canaries = _canaries(sc)
    run = run_live(pytester, sc, *EVERY_OUTPUT, "--save-snapshot=saved", namespaces=("prod",))
    assert run.outcomes()[("SEC002", "prod")] == "failed"  # a failing path is exercised too
    text = run.output()
    assert not [c for c in canaries if c in text]
    assert not _leaks(pytester.path, canaries)
    assert (pytester.path / "saved" / "secrets.json").exists()
    assert (pytester.path / "junit.xml").exists()
    assert (pytester.path / "report.html").exists()


def test_no_secret_value_reaches_any_output_offline(pytester: pytest.Pytester) -> None:
    sc = baseline()
    canaries = _canaries(sc)
    snap = write_get_output(sc, pytester.path / "input")
    run = run_snapshot(pytester, snap, *EVERY_OUTPUT, "--save-snapshot=saved")
    assert run.outcomes()[("SEC002", "prod")] == "failed"
    assert not [c for c in canaries if c in run.output()]
    assert not _leaks(pytester.path, canaries, skip=snap)


def test_a_saved_snapshot_gives_the_same_verdicts_offline(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.find("Secret", "prod", "keycloak")["data"]["password"] = b64("pw-with-newline\n")
    sc.find("Secret", "prod", "vantiq-mongodb")["data"]["root-password"] = b64("pw-with-newline\n")
    live = run_live(pytester, sc, "--save-snapshot=saved")
    offline = run_snapshot(pytester, pytester.path / "saved")
    assert live.outcomes() == offline.outcomes()
    assert live.with_outcome("failed") == {("SEC002", "prod")}
    saved = json.loads((pytester.path / "saved" / "secrets.json").read_text())
    record = next(
        s
        for s in saved["items"]
        if s["metadata"]["name"] == "keycloak" and s["metadata"]["namespace"] == "prod"
    )
    assert record["data"]["password"]["length"] == len("pw-with-newline\n")
    assert record["data"]["password"]["defects"] == ["trailing-newline"]
    # equal values keep showing as equal (keyed fingerprints of one run), none is a plain hash
    mongo = next(s for s in saved["items"] if s["metadata"]["name"] == "vantiq-mongodb")
    assert mongo["data"]["root-password"]["hmac"] == record["data"]["password"]["hmac"]
    assert mongo["data"]["password"]["hmac"] != record["data"]["password"]["hmac"]
    assert "sha256" not in json.dumps(saved)
    assert live.message("SEC002", "prod") == offline.message("SEC002", "prod")


def test_live_run_sends_no_write_request(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--save-snapshot=saved")
    methods = {method for method, _ in run.requests}
    assert methods == {"GET"}, [r for r in run.requests if r[0] != "GET"]
    assert len(run.requests) > 10


def test_each_kind_is_listed_once_per_namespace(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), namespaces=("prod",))
    lists = [path.split("?")[0] for method, path in run.requests if "/log" not in path]
    assert len(lists) == len(set(lists)), sorted(lists)


def test_forbidden_list_skips_the_checks_that_need_it(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.forbidden = [("list", "secrets", "prod")]
    run = run_live(pytester, sc)
    for check_id in ("SEC001", "SEC002", "SEC003"):
        assert run.outcomes()[(check_id, "prod")] == "skipped"
        assert "needs: list secrets in prod" in run.message(check_id, "prod")
    assert run.outcomes()[("SEC001", "shared")] == "passed"
    assert run.result.ret == 0


def test_a_check_that_raises_is_one_clean_error_line(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    sc = baseline()
    vantiq = sc.find("Pod", "prod", "vantiq-0")
    vantiq["status"]["containerStatuses"][0]["restartCount"] = "three"  # dropped by the view, with a note
    vantiq["spec"]["containers"][0]["env"].append({"name": "UNLISTED", "value": "CANARYrawenvvalue"})
    key = "-----BEGIN PRIVATE KEY-----\nQ0FOQVJZa2V5Ynl0ZXM=\n-----END PRIVATE KEY-----\n"
    sc.find("Secret", "prod", "vantiq-ssl-cert")["data"]["tls.key"] = b64(key)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    run = run_live(pytester, sc, *EVERY_OUTPUT, "-p", "tests.plugins.raising_analysis")
    assert run.outcomes()[("WL001", "prod")] == "error"
    message = run.message("WL001", "prod")
    assert re.fullmatch(
        r"WL001 could not run: TypeError at vantiq_health/analysis/workloads\.py:\d+ \(\w+\) "
        r"while looking at Pod prod/[\w-]+\n\(a bug in vantiq-health.*\)",
        message,
        re.DOTALL,
    ), message
    text = (
        run.output() + (pytester.path / "junit.xml").read_text() + (pytester.path / "report.html").read_text()
    )
    assert "WL001 could not run: TypeError" in text
    assert "three" not in text  # no exception text, no frame locals (-l), no arguments
    assert "CANARYrawenvvalue" not in text
    assert "Q0FOQVJZa2V5Ynl0ZXM" not in text
    assert run.outcomes()[("SEC002", "prod")] == "passed"  # the key that does not load raised nothing


def _fingerprint(run: SuiteRun) -> str:
    match = re.search(r"fingerprint ([0-9a-f]{8})", run.message("SEC002", "prod"))
    assert match, run.message("SEC002", "prod")
    return match.group(1)


def test_fingerprints_are_keyed_per_run_or_by_the_installation_key(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.find("Secret", "prod", "keycloak")["data"]["password"] = b64("Kc-pr0d-s3cret\n")
    config = pytester.mkdir("conf") / "site.toml"  # not ./vantiq-health.toml: the last run goes without
    config.write_text('[redaction]\nfingerprint_key = "site-key-0123456789abcdef"\n')
    keyed = [run_live(pytester, sc, "-m", "secrets", f"--config={config}") for _ in range(2)]
    per_run = run_live(pytester, sc, "-m", "secrets")
    assert _fingerprint(keyed[0]) == _fingerprint(keyed[1])
    assert _fingerprint(per_run) != _fingerprint(keyed[0])
    assert hashlib.sha256(b"Kc-pr0d-s3cret\n").hexdigest()[:8] not in {
        _fingerprint(r) for r in [*keyed, per_run]
    }
    assert "site-key" not in keyed[0].output() + (pytester.path / "report.html").read_text()
