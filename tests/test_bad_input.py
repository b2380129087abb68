"""Bad input gets one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.harness import run_live, run_suite
from tests.scenarios.installation import baseline
from tests.scenarios.kubectl import write_get_output


def _assert_one_line_error(pytester: pytest.Pytester, result: pytest.RunResult, *fragments: str) -> str:
    text = "\n".join(result.outlines + result.errlines)
    assert result.ret == pytest.ExitCode.USAGE_ERROR, text
    assert "Traceback" not in text, text
    assert "Error:" not in text.replace("ERROR: vantiq-health:", ""), text
    errors = [line for line in result.errlines + result.outlines if line.startswith("ERROR: vantiq-health:")]
    assert len(errors) == 1, text
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    return errors[0]


@pytest.fixture
def no_kube_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _kubeconfig(path: Path, server: str, contexts: tuple[str, ...] = ("scenario",)) -> Path:
    ctx = "".join(f"- name: {c}\n  context: {{cluster: c, user: u}}\n" for c in contexts)
    path.write_text(
        f"apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: '{server}'}}\n"
        f"users:\n- name: u\n  user: {{token: t}}\ncontexts:\n{ctx}current-context: {contexts[0]}\n"
    )
    return path


def test_no_kubeconfig(pytester: pytest.Pytester, no_kube_env: None) -> None:
    run = run_suite(pytester, "--namespace", "prod")
    _assert_one_line_error(pytester, run.result, "no kubeconfig", "--snapshot")


def test_kubeconfig_that_does_not_exist(pytester: pytest.Pytester, no_kube_env: None) -> None:
    run = run_suite(pytester, "--kubeconfig", "/nonexistent/kubeconfig")
    _assert_one_line_error(pytester, run.result, "/nonexistent/kubeconfig does not exist")


def test_kubeconfig_that_is_not_one(pytester: pytest.Pytester, no_kube_env: None) -> None:
    bad = pytester.path / "garbage"
    bad.write_text("this: [is not\n")
    run = run_suite(pytester, "--kubeconfig", str(bad))
    _assert_one_line_error(pytester, run.result, "garbage", "not usable")


def test_unknown_context(pytester: pytest.Pytester) -> None:
    kubeconfig = _kubeconfig(pytester.path / "kc", "http://127.0.0.1:1", ("dev", "prod-east"))
    run = run_suite(pytester, "--kubeconfig", str(kubeconfig), "--context", "staging")
    _assert_one_line_error(pytester, run.result, "context 'staging'", "dev, prod-east")


def test_api_server_refusing_connections(pytester: pytest.Pytester) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = _kubeconfig(pytester.path / "kc", f"https://127.0.0.1:{port}")
    run = run_suite(pytester, "--kubeconfig", str(kubeconfig))
    _assert_one_line_error(pytester, run.result, "cannot reach the API server", f"127.0.0.1:{port}")


def test_api_server_that_never_answers_is_bounded(pytester: pytest.Pytester, silent_port: int) -> None:
    kubeconfig = _kubeconfig(pytester.path / "kc", f"http://127.0.0.1:{silent_port}")
    started = time.monotonic()
    run = run_suite(pytester, "--kubeconfig", str(kubeconfig), "--request-timeout", "1")
    assert time.monotonic() - started < 15
    _assert_one_line_error(pytester, run.result, "cannot reach the API server", "timed out")


def test_missing_namespace(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), namespaces=("prod", "staging"))
    _assert_one_line_error(pytester, run.result, "namespace staging does not exist")


def test_missing_system_namespace_given_explicitly(pytester: pytest.Pytester) -> None:
    run = run_live(pytester, baseline(), "--system-namespace", "platform")
    _assert_one_line_error(pytester, run.result, "system namespace platform does not exist")


def test_default_system_namespace_absent_skips_its_checks(pytester: pytest.Pytester) -> None:
    sc = baseline()
    sc.objects = [
        o
        for o in sc.objects
        if o["metadata"].get("namespace") != "shared" and o["metadata"]["name"] != "shared"
    ]
    run = run_live(pytester, sc)
    assert run.result.ret == 0, run.output()
    shared = {k: v for k, v in run.outcomes().items() if k[1] == "shared"}
    assert shared
    assert set(shared.values()) == {"skipped"}
    assert "system namespace shared does not exist" in run.message("WL001", "shared")


@pytest.mark.parametrize(
    ("name", "text", "where"),
    [
        ("pods.json", '{\n  "kind": "List",\n  "items": [,]\n}\n', "pods.json, line 3: not valid JSON"),
        (
            "nested/secrets.yaml",
            "kind: List\nitems:\n  - a: [b\n",
            "nested/secrets.yaml, line 4: not valid YAML",
        ),
    ],
)
def test_malformed_snapshot_file_is_named_with_its_line(
    pytester: pytest.Pytester, name: str, text: str, where: str
) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    (snap / name).parent.mkdir(exist_ok=True)
    (snap / name).write_text(text)
    run = run_suite(pytester, "--snapshot", str(snap), "--namespace", "prod")
    _assert_one_line_error(pytester, run.result, where)


def test_snapshot_that_is_not_a_directory(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "--snapshot", "/nonexistent/snap")
    _assert_one_line_error(pytester, run.result, "/nonexistent/snap is not a directory")


def test_snapshot_without_the_namespace(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    run = run_suite(pytester, "--snapshot", str(snap), "--namespace", "staging")
    _assert_one_line_error(pytester, run.result, "namespace staging does not exist in the snapshot")


def test_unknown_config_key_is_named(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    config = pytester.path / "vh.toml"
    config.write_text("[thresholds]\nrestart_cuont = 3\n")
    run = run_suite(pytester, "--snapshot", str(snap), "--config", str(config))
    _assert_one_line_error(pytester, run.result, "unknown key thresholds.restart_cuont")


def test_space_separated_snapshot_path_outside_the_project(pytester: pytest.Pytester) -> None:
    """`pytest --snapshot /some/dir` must work: the options exist before pytest parses the command line."""
    snap = write_get_output(baseline(), pytester.path / "snap")
    result = pytester.runpytest_subprocess(
        "--snapshot",
        str(snap),
        "--namespace",
        "prod",
        "-p",
        "no:cacheprovider",
        "--rootdir",
        str(Path(__file__).resolve().parents[1]),
        str(Path(__file__).resolve().parents[1] / "checks"),
    )
    assert result.ret == 0, "\n".join(result.outlines + result.errlines)


def test_malformed_target_version(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    run = run_suite(pytester, "--snapshot", str(snap), "--target-version", "next")
    _assert_one_line_error(pytester, run.result, "--target-version 'next' is no Kubernetes version")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p.write_text("not a folder"), "exists and is not a folder"),
        (lambda p: (p.mkdir(), (p / "notes.txt").write_text("mine")), "is a folder with other files in it"),
    ],
    ids=["a-file", "a-folder-of-other-files"],
)
def test_save_snapshot_target_that_cannot_take_a_snapshot(
    pytester: pytest.Pytester, make, fragment: str
) -> None:
    target = pytester.path / "out"
    make(target)
    snap = write_get_output(baseline(), pytester.path / "snap")
    run = run_suite(pytester, "--snapshot", str(snap), "--save-snapshot", str(target))
    _assert_one_line_error(pytester, run.result, fragment)


def test_a_snapshot_file_over_the_configured_cap_is_one_line(pytester: pytest.Pytester) -> None:
    snap = write_get_output(baseline(), pytester.path / "snap")
    config = pytester.path / "vh.toml"
    config.write_text("[thresholds]\nsnapshot_max_file_mb = 0.001\n")
    run = run_suite(pytester, "--snapshot", str(snap), "--config", str(config))
    _assert_one_line_error(
        pytester, run.result, "per file: not read (raise it with [thresholds] snapshot_max_file_mb"
    )
