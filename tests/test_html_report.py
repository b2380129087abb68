"""Tier 3: the HTML report as a support engineer opens it, rendered by a real headless browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.harness import run_snapshot
from tests.scenarios.broken import VARIANTS, build
from tests.scenarios.kubectl import write_get_output
from tests.test_reports import browser, chromium_path
from vantiq_health.catalog import catalog

WL003 = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
RAW_TUPLE = re.compile(r"\(['\"][^'\"]*['\"], \d+, ['\"]Skipped")

# Appended to a copy of the report: measures, in the rendered page, whether any finding box,
# fix or log is cut off (content taller or wider than its box) or capped in height.
MEASURE = """
<script>
window.addEventListener('load', () => setTimeout(() => {
  const boxes = [...document.querySelectorAll('.vh-finding, .vh-fix, .logwrapper, .log')];
  const clipped = boxes.filter((el) => el.offsetParent !== null && (
      el.scrollHeight > el.clientHeight + 1 || el.scrollWidth > el.clientWidth + 1 ||
      getComputedStyle(el).maxHeight !== 'none'))
    .map((el) => el.className + ': ' + el.textContent.slice(0, 60));
  const outside = [...document.querySelectorAll('.vh-fix')]
    .filter((el) => el.getBoundingClientRect().right > el.closest('.vh-finding').getBoundingClientRect().right)
    .map((el) => el.textContent.slice(0, 60));
  const top = (selector) => document.querySelector(selector).getBoundingClientRect().top;
  const order = ['.vh-verdict', '#environment', '#results-table'].sort((a, b) => top(a) - top(b));
  const out = document.createElement('pre');
  out.id = 'vh-measure';
  const fixes = document.querySelectorAll('.vh-fix').length;
  out.textContent = JSON.stringify({fixes, clipped, outside, order});
  document.body.appendChild(out);
}, 500));
</script>
"""


@pytest.fixture(scope="module")
def partial_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """mongodb-2 stuck in bootstrap, captured without PersistentVolumes (so ST001 cannot check)."""
    snap = write_get_output(build(WL003), tmp_path_factory.mktemp("snap"))
    (snap / "persistentvolumes.json").unlink()
    return snap


def _dom(chromium: str, page: Path) -> str:
    return browser(
        chromium, "--dump-dom", "--virtual-time-budget=5000", "--window-size=1400,1000", page.as_uri()
    )


@pytest.mark.slow
def test_report_opens_with_the_verdict_and_shows_findings_whole_and_what_was_not_checked(
    pytester: pytest.Pytester, partial_snapshot: Path
) -> None:
    chromium = chromium_path()
    run = run_snapshot(pytester, partial_snapshot, "--self-contained-html")
    report = pytester.path / "report.html"
    measured = pytester.path / "measured.html"
    measured.write_text(report.read_text().replace("</body>", MEASURE + "</body>"))
    dom = _dom(chromium, measured)

    assert '<section class="vh-verdict vh-verdict--findings">' in dom
    assert '<span class="vh-verdict-word">findings</span>' in dom
    failed = sum(1 for r in run.records if r["outcome"] == "failed")
    passed = sum(1 for r in run.records if r["outcome"] == "passed")
    assert failed == 2
    assert f"<b>{failed}</b> failed</span>" in dom
    assert f"<b>{passed}</b> passed</span>" in dom
    assert "<b>2</b> error</span>" in dom  # by severity: WL003 and WL004 are both "error" findings
    skipped = sum(1 for r in run.records if r["outcome"] == "skipped")  # ST001 and MT009 need the volumes
    assert skipped >= 2
    assert f"<b>{skipped}</b> not checked (skipped)</span>" in dom

    # the findings first, whole: diagnosis, evidence, every fix command, advice
    sections = [
        '<section class="vh-findings">',
        '<section class="vh-not-checked">',
        '<details class="vh-passed">',
    ]
    assert sorted(sections, key=dom.index) == sections
    assert "namespace prod</h3>" in dom
    assert "pod prod/mongodb-2: init container bootstrap is stuck running" in dom
    assert "kubectl exec -n prod mongodb-2 -c bootstrap -- cat /etc/resolv.conf" in dom
    assert "Allow TCP port 53 from the pods to the cluster DNS" in dom
    assert "StatefulSet prod/mongodb has 2/3 replicas ready: pod mongodb-2 is stuck in init container" in dom
    measure = json.loads(re.search(r'<pre id="vh-measure">(.*?)</pre>', dom).group(1))  # type: ignore[union-attr]
    order = [".vh-verdict", "#environment", "#results-table"]  # as laid out on the page, top to bottom
    assert measure == {"fixes": 2, "clipped": [], "outside": [], "order": order}

    # what was not checked: the skip by its cause with the check id, and the planned checks
    not_checked = dom[dom.index('class="vh-not-checked"') : dom.index('class="vh-passed"')]
    assert "ST001 [prod], ST001 [shared]" in not_checked
    assert "persistentvolumes" in not_checked
    planned = min(i for i, e in catalog().items() if e.planned)
    assert f"<b>{planned}</b> {catalog()[planned].title}" in not_checked
    assert "no finding here does not mean these are fine" in not_checked
    assert '<details class="vh-passed"><summary>' in dom  # passes collapsed
    assert not RAW_TUPLE.search(dom), "a skip reason is shown as a Python tuple"

    env = dom[dom.index('<table id="environment"') :]
    rows = re.findall(r"<tr>\s*<td>([^<]*)</td>", env[: env.index("</table>")])
    assert rows[:4] == ["Cluster", "Kubernetes", "Namespaces", "System namespace"]
    assert rows.index("vantiq-health") > rows.index("Run at")
    assert rows[-4:] == ["Python", "Platform", "Packages", "Plugins"]
    assert "bundled demo" not in dom

    shot = pytester.path / "report.png"
    browser(chromium, f"--screenshot={shot}", "--window-size=1400,1600", report.as_uri())
    assert shot.stat().st_size > 10_000


@pytest.mark.slow
def test_a_run_that_checked_nothing_says_could_not_check(pytester: pytest.Pytester, tmp_path: Path) -> None:
    chromium = chromium_path()
    snap = write_get_output(build(WL003), tmp_path / "snap")
    (snap / "persistentvolumes.json").unlink()
    run = run_snapshot(pytester, snap, "-k", "no_volume_is_left_released")
    assert {r["outcome"] for r in run.records} == {"skipped"}
    dom = _dom(chromium, pytester.path / "report.html")
    assert '<section class="vh-verdict vh-verdict--could-not-check">' in dom
    assert '<span class="vh-verdict-word">could not check</span>' in dom
    assert "<b>0</b> passed</span>" in dom
