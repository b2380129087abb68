"""The container image: its Dockerfile passes hadolint, and its entrypoint runs as a non-root
user from a read-only copy of the tree, writing only the reports folder and /tmp.

No container engine runs here, so the image itself is not built: the test runs the
entrypoint the way the image does (`/app` read-only, another user, the reports folder the
only writable place besides /tmp), against the demo snapshot and the scenario API server.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import ROOT
from tests.kube.server import FakeCluster
from tests.scenarios.installation import baseline

NOBODY = 65534
ENTRYPOINT = Path("deploy/image/entrypoint.sh")
HADOLINT = Path(sys.executable).with_name("hadolint")


def test_the_dockerfile_passes_hadolint() -> None:
    done = subprocess.run(
        [str(HADOLINT), "--failure-threshold", "style", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_dockerfile_runs_the_entrypoint_as_a_non_root_user() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "USER 10001:10001" in text
    assert f"COPY {ENTRYPOINT} /usr/local/bin/vantiq-health" in text
    assert 'ENTRYPOINT ["/usr/local/bin/vantiq-health"]' in text
    for folder in ("checks", "fixtures"):  # what the entrypoint's pytest run collects at /app
        assert f"COPY {folder} ./{folder}" in text


@pytest.fixture(scope="module")
def readonly_tree() -> Iterator[Path]:
    """The project's files as the image holds them, owned by root and not writable by anyone."""
    base = Path(tempfile.mkdtemp(prefix="vh-image-"))
    app = base / "app"
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (app / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, app / name)
    subprocess.run(["chmod", "-R", "a-w,a+rX", str(app)], check=True)
    base.chmod(0o755)
    yield app
    subprocess.run(["chmod", "-R", "u+w", str(base)], check=True)
    shutil.rmtree(base)


_CREATED: list[Path] = []


@pytest.fixture(autouse=True)
def _remove_created() -> Iterator[None]:
    yield
    while _CREATED:
        shutil.rmtree(_CREATED.pop(), ignore_errors=True)


def _writable_for_nobody(prefix: str) -> Path:
    """A folder in /tmp the other user may write (pytest's tmp_path is private to root)."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _CREATED.append(path)
    os.chown(path, NOBODY, NOBODY)
    path.chmod(0o755)
    return path


def _entrypoint(app: Path, reports: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """As the image runs it: another user, HOME and the bytecode cache in a private /tmp."""
    if os.geteuid() != 0:
        pytest.skip("switching to a non-root user needs root")
    python = Path(f"/usr/bin/python{sys.version_info.major}.{sys.version_info.minor}")
    if not python.exists():
        pytest.skip(f"{python} is not installed")
    tmp = _writable_for_nobody("vh-tmp-")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp),
        "TMPDIR": str(tmp),
        "PYTHONPYCACHEPREFIX": str(tmp / "pycache"),
        "VANTIQ_HEALTH_APP": str(app),
        "VANTIQ_HEALTH_REPORT_DIR": str(reports),
        # the system's interpreter of the same version with this virtualenv's packages: the
        # virtualenv's own interpreter may sit in a folder another user cannot enter (pyenv in /root)
        "VANTIQ_HEALTH_PYTHON": str(python),
        "PYTHONPATH": ":".join(p for p in sys.path if p.endswith("site-packages")),
    }
    setpriv = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--inh-caps=-all"]
    return subprocess.run(
        [*setpriv, "/bin/sh", str(app / ENTRYPOINT), *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _verdict(done: subprocess.CompletedProcess[str]) -> dict[str, object]:
    last = done.stdout.strip().splitlines()[-1]
    doc: dict[str, object] = json.loads(last)["vantiq_health"]
    return doc


def test_the_entrypoint_checks_the_demo_snapshot_from_a_read_only_tree(readonly_tree: Path) -> None:
    reports = _writable_for_nobody("vh-reports-")
    assert not stat.S_IMODE((readonly_tree / "checks").stat().st_mode) & 0o222
    done = _entrypoint(readonly_tree, reports, "--snapshot", str(readonly_tree / "vantiq_health/demo"))
    assert done.returncode == 1, done.stdout[-3000:] + done.stderr[-3000:]
    assert sorted(p.name for p in reports.iterdir()) == ["junit.xml", "report.html", "results.json"]
    assert {p.stat().st_uid for p in reports.iterdir()} == {NOBODY}
    verdict = _verdict(done)
    assert verdict["exit"] == 1
    assert verdict["meaning"] == "findings at the gating severity, or a check ended in error"
    findings = verdict["findings"]
    assert isinstance(findings, list)
    assert {(f["id"], f["namespace"]) for f in findings if f["outcome"] == "failed"} == {
        ("HM001", "shared"),
        ("SEC002", "prod"),
        ("WL003", "prod"),
        ("WL004", "prod"),
    }
    assert not list(readonly_tree.rglob("__pycache__")), "wrote bytecode into the read-only tree"


def test_the_entrypoint_checks_a_cluster_and_passes_arguments_through(readonly_tree: Path) -> None:
    reports = _writable_for_nobody("vh-reports-")
    sc = baseline()
    with FakeCluster(sc.objects, logs=sc.logs, version=sc.version) as fake:
        kubeconfig = fake.write_kubeconfig(reports.parent / f"{reports.name}.kubeconfig")
        kubeconfig.chmod(0o644)
        done = _entrypoint(
            readonly_tree,
            reports,
            "--kubeconfig",
            str(kubeconfig),
            "--namespace",
            "prod",
            "--no-live",
            "-m",
            "storage",
        )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdict = _verdict(done)
    assert verdict["exit"] == 0
    # -m storage passed through: ST001 and ST002 in prod and shared, ST003 for the cluster
    assert verdict["outcomes"] == {"passed": 5}
    assert verdict["findings"] == []
