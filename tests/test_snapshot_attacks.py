"""Snapshot folders built to hang or exhaust the run: each ends with one line, in bounded time and memory."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from tests.harness import run_snapshot
from vantiq_health.view import SetupError
from vantiq_health.view.snapshot import SnapshotView

BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


def _pod(name: str, ns: str = "prod") -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns}, "spec": {}}


def _with_pods(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "pods.json").write_text(json.dumps({"kind": "PodList", "items": [_pod("vantiq-0")]}))
    return folder


def _loads_quickly(folder: Path, **kwargs: int) -> SnapshotView:
    started = time.monotonic()
    view = SnapshotView(folder, **kwargs)
    assert time.monotonic() - started < 2
    return view


def test_a_fifo_is_skipped_with_a_note_never_opened(tmp_path: Path) -> None:
    os.mkfifo(_with_pods(tmp_path) / "events.json")  # open() would wait for a writer forever
    view = _loads_quickly(tmp_path)
    assert "ignored events.json: not a regular file (a FIFO): skipped" in view.notes
    assert [p["metadata"]["name"] for p in view.objects("pods", "prod")] == ["vantiq-0"]


def test_a_socket_is_skipped_with_a_note() -> None:
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # socket paths are limited to ~100 bytes
        folder = _with_pods(Path(short))
        with socket.socket(socket.AF_UNIX) as sock:
            sock.bind(str(folder / "s.yaml"))
            view = _loads_quickly(folder)
    assert "ignored s.yaml: not a regular file (a socket): skipped" in view.notes


@pytest.mark.parametrize("target", ["/dev/zero", "/etc/passwd", "/proc/self/environ"])
def test_a_symlink_out_of_the_snapshot_is_refused(tmp_path: Path, target: str) -> None:
    (_with_pods(tmp_path) / "secrets.yaml").symlink_to(target)
    view = _loads_quickly(tmp_path)
    real = os.path.realpath(target)
    assert f"ignored secrets.yaml: a symbolic link to {real}, outside the snapshot: refused" in view.notes
    with pytest.raises(Exception, match="holds no secrets"):
        view.objects("secrets", "prod")


def test_a_symlinked_folder_out_of_the_snapshot_is_refused(tmp_path: Path) -> None:
    outside, snap = _with_pods(tmp_path / "outside"), _with_pods(tmp_path / "snap")
    (snap / "more").symlink_to(outside, target_is_directory=True)
    view = _loads_quickly(snap)
    assert any(n.startswith("ignored more: a symbolic link to") for n in view.notes), view.notes


def test_a_symlink_inside_the_snapshot_is_read(tmp_path: Path) -> None:
    _with_pods(tmp_path / "captured")
    (tmp_path / "pods-latest.json").symlink_to(tmp_path / "captured" / "pods.json")
    view = _loads_quickly(tmp_path)
    assert [p["metadata"]["name"] for p in view.objects("pods", "prod")] == ["vantiq-0"]
    assert view.notes == []


def test_a_file_over_the_size_cap_is_one_line(tmp_path: Path) -> None:
    _with_pods(tmp_path)
    with pytest.raises(SetupError) as err:
        SnapshotView(tmp_path, max_file_bytes=64)
    assert str(err.value).startswith("snapshot file pods.json is ")
    assert "over the limit of 64 bytes per file" in str(err.value)
    assert "\n" not in str(err.value)


def test_the_billion_laughs_end_in_one_line_at_once(tmp_path: Path) -> None:
    (_with_pods(tmp_path) / "lol.yaml").write_text(BILLION_LAUGHS)
    started = time.monotonic()
    with pytest.raises(SetupError) as err:
        SnapshotView(tmp_path)
    assert time.monotonic() - started < 1
    assert str(err.value) == (
        "snapshot file lol.yaml, line 1: refused: its aliases expand to more than 100000 nodes (an alias bomb?)"
    )


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: a, namespace: prod, labels: &l {app: vantiq}}\n"
        "spec: {}\nstatus: {}\nextra: {labels: *l}\n"
    )
    [pod] = SnapshotView(tmp_path).objects("pods", "prod")
    assert pod["extra"]["labels"] == {"app": "vantiq"}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 200_000 + "]" * 200_000),
        ("deep.yaml", "[" * 200_000 + "]" * 200_000),
        ("block.yaml", "- " * 200_000 + "x\n"),
        ("pod.json", json.dumps({**_pod("a"), "spec": json.loads("[" * 150 + "]" * 150)})),
        ("loop.yaml", "a: &a [*a]\n"),
    ],
)
def test_deep_nesting_is_one_line_naming_the_file(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / name).write_text(text)
    with pytest.raises(SetupError) as err:
        SnapshotView(tmp_path)
    assert str(err.value).startswith(f"snapshot file {name}")
    assert "nest" in str(err.value)
    assert "\n" not in str(err.value)


def test_the_suite_on_an_alias_bomb_ends_in_one_line(pytester: pytest.Pytester) -> None:
    snap = _with_pods(pytester.path / "snap")
    os.mkfifo(snap / "fifo.yaml")
    (snap / "bomb.yaml").write_text(BILLION_LAUGHS)
    started = time.monotonic()
    run = run_snapshot(pytester, snap)
    assert time.monotonic() - started < 60
    text = run.output()
    assert run.result.ret == pytest.ExitCode.USAGE_ERROR, text
    assert "Traceback" not in text
    assert [line for line in run.result.errlines + run.result.outlines if "alias bomb" in line] == [
        "ERROR: vantiq-health: snapshot file bomb.yaml, line 1: refused: its aliases expand to more than "
        "100000 nodes (an alias bomb?)"
    ]


_CAPPED = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))
    from vantiq_health.view import SetupError
    from vantiq_health.view.snapshot import SnapshotView
    view = SnapshotView(Path(sys.argv[1]))
    print(len(view.objects("pods", "prod")))
    (Path(sys.argv[1]) / "lol.yaml").write_text(sys.argv[2])
    try:
        SnapshotView(Path(sys.argv[1]))
    except SetupError as exc:
        print(exc)
    """
)


def _big_capture(folder: Path, pods: int) -> None:
    status = {
        "phase": "Running",
        "containerStatuses": [
            {
                "name": f"c{i}",
                "ready": True,
                "restartCount": i,
                "state": {"running": {"startedAt": "2026-11-30T10:00:00Z"}},
            }
            for i in range(3)
        ],
    }
    spec = {
        "containers": [{"name": f"c{i}", "image": "vantiq/vantiq-server:4.1", "env": []} for i in range(3)]
    }
    items = [{**_pod(f"vantiq-{n}"), "spec": spec, "status": status} for n in range(pods)]
    with (folder / "pods.json").open("w") as fh:
        json.dump({"kind": "PodList", "apiVersion": "v1", "items": items}, fh)


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is how Linux caps an address space")
def test_memory_stays_proportional_to_the_input(tmp_path: Path) -> None:
    _big_capture(tmp_path, 20_000)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", _CAPPED, str(tmp_path), BILLION_LAUGHS],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == [
        "20000",
        "snapshot file lol.yaml, line 1: refused: its aliases expand to more than 100000 nodes (an alias bomb?)",
    ]
    assert time.monotonic() - started < 180
