"""A Japanese run judges exactly as an English one: same outcomes, severities and objects, on
every scenario variant (through a snapshot: the verdict logic is the same live), with the
human texts in Japanese and the machine fields (ids, outcomes, severities) in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import SuiteRun, run_snapshot, run_suite
from tests.scenarios.kubectl import write_get_output
from tests.scenarios.variants import Variant, build
from tests.test_i18n_catalogs import PENDING_IDS
from tests.test_scenarios import VARIANTS

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _verdicts(run: SuiteRun) -> dict[tuple[str, str | None], tuple[str, str, list[tuple[str, str]]]]:
    return {
        (r["id"], r["namespace"]): (
            r["outcome"],
            r["severity"],
            [(str(f["object"]), f["severity"]) for f in r["findings"]],
        )
        for r in run.records
    }


def _assert_japanese(run: SuiteRun) -> None:
    assert run.doc["lang"] == "ja"
    for r in run.records:
        assert r["outcome"] in ("passed", "failed", "warning", "skipped"), r
        if r["outcome"] in ("failed", "warning", "skipped"):
            assert JAPANESE.search(r["message"]), r["message"]
        if r["id"] in PENDING_IDS:
            continue
        assert JAPANESE.search(r["title"]), r["title"]
        for f in r["findings"]:
            assert JAPANESE.search(f["diagnosis"]), f["diagnosis"]


@pytest.mark.slow
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_japanese_run_gives_the_same_outcomes(pytester: pytest.Pytester, variant: Variant) -> None:
    snap = write_get_output(build(variant), pytester.path / "snap")
    english = run_snapshot(pytester, snap, "--lang=en", *variant.args)
    japanese = run_snapshot(pytester, snap, "--lang", "ja", *variant.args)
    assert english.doc["lang"] == "en"
    assert _verdicts(japanese) == _verdicts(english)
    assert japanese.result.ret == english.result.ret
    _assert_japanese(japanese)
    summary = japanese.output()
    assert "vantiq-health: 問題あり" in summary or "vantiq-health: 問題なし" in summary, summary
    assert "判定: " in summary, summary
    assert "重大度別の問題" in summary, summary


def test_the_config_file_and_the_locale_choose_japanese(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    snap = write_get_output(build(variant), tmp_path / "snap")
    config = tmp_path / "vantiq-health.toml"
    config.write_text('lang = "ja"\n')
    by_config = run_snapshot(pytester, snap, "--config", str(config))
    assert by_config.doc["lang"] == "ja"
    assert "[WL003] 確認" not in by_config.message("WL003", "prod")
    assert "件の問題があります" in by_config.message("WL003", "prod")
    assert "出典: 運用ノート 「MongoDB Podが起動しない」" in by_config.message("WL003", "prod")
    by_locale = run_snapshot(pytester, snap, locale="ja_JP.UTF-8")
    assert by_locale.doc["lang"] == "ja"
    by_option = run_snapshot(pytester, snap, "--lang", "en", locale="ja_JP.UTF-8")  # the option wins
    assert by_option.doc["lang"] == "en"
    by_usage_error = run_snapshot(pytester, snap, locale="ja_JP.UTF-8", namespaces=("nope",))
    assert "vantiq-health: namespace nope がスナップショットに存在しません" in by_usage_error.output()
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")  # a developer's Japanese locale: the harness pins its own
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    pinned = run_snapshot(pytester, snap)
    assert pinned.doc["lang"] == "en"
    assert "finding" in pinned.message("WL003", "prod")
    assert "finding" in by_option.message("WL003", "prod")


# pytest-html's own English (its template and table header): none of it in a Japanese report
PYTEST_HTML_ENGLISH = (
    "<h2>Summary</h2>",
    "<h2>Environment</h2>",
    "Report generated on",
    ">Result</th>",
    ">Test</th>",
    ">Duration</th>",
    "<th>Links</th>",
    "(Un)check the boxes",
    "Show all details",
    "Hide all details",
    "No results found",
    "No log output captured.",
)


def test_the_japanese_report_has_no_pytest_html_english(pytester: pytest.Pytester, tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    snap = write_get_output(build(variant), tmp_path / "snap")
    run_snapshot(pytester, snap, "--lang", "ja")
    html = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert [label for label in PYTEST_HTML_ENGLISH if label in html] == []
    assert not re.search(r'class="run-count">\d+ tests? took', html)
    assert not re.search(r"<span class=\"\w+\">\d+ (Failed|Passed|Skipped|Errors)", html)
    for label in ("<h2>概要</h2>", "<h2>環境</h2>", 'data-column-type="result">結果</th>', "<th>リンク</th>"):
        assert label in html, label
    assert re.search(r'<span class="failed">\d+ 失敗、</span>', html)
    assert re.search(r'class="run-count">チェック \d+ 件の所要時間: ', html)
    assert 'data-test-result="failed"' in html  # the values pytest-html's script filters by stay
    run_snapshot(pytester, snap, "--lang", "en")
    english = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert "<h2>Summary</h2>" in english
    assert ">Result</th>" in english


def test_usage_errors_are_japanese_in_a_japanese_run(pytester: pytest.Pytester, tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    snap = write_get_output(build(variant), tmp_path / "snap")
    missing = run_snapshot(pytester, snap, "--lang", "ja", namespaces=("nope",))
    assert missing.result.ret == 4
    assert "vantiq-health: namespace nope がスナップショットに存在しません" in missing.output()
    config = tmp_path / "bad.toml"
    config.write_text("[names]\nnope = 1\n")
    bad = run_snapshot(pytester, snap, "--lang", "ja", "--config", str(config))
    assert f"vantiq-health: {config}: 不明なキー names.nope です（使えるキー: " in bad.output()
    no_kubeconfig = run_suite(pytester, "--kubeconfig", str(tmp_path / "none"), "--lang", "ja")
    assert f"vantiq-health: kubeconfig {tmp_path / 'none'} が存在しません" in no_kubeconfig.output()
    not_a_dir = run_suite(pytester, "--snapshot", str(config), "--lang", "ja")
    assert f"vantiq-health: スナップショット {config} はフォルダーではありません" in not_a_dir.output()
    endpoint = run_snapshot(pytester, snap, "--lang", "ja", "--endpoint", "nosuch=h:1")
    assert (
        "vantiq-health: --endpoint nosuch=h:1: 不明なサービス nosuch です（使えるサービス: postgres"
        in endpoint.output()
    )
    timeout = run_snapshot(pytester, snap, "--lang", "ja", "--probe-timeout", "0")
    assert "vantiq-health: --probe-timeout は 0 秒より大きくしてください" in timeout.output()
    for run in (missing, bad, no_kubeconfig, not_a_dir, endpoint, timeout):
        assert not re.search(
            r"does not exist|unknown key|is not a directory|expected|must be", run.output()
        ), run.output()


def test_the_notes_on_ignored_files_follow_the_language(pytester: pytest.Pytester, tmp_path: Path) -> None:
    variant = next(v for v in VARIANTS if v.name == "wl003-bootstrap")
    snap = write_get_output(build(variant), tmp_path / "snap")
    (snap / "odd.json").write_text('{"foo": 1}\n', encoding="utf-8")
    (snap / "odd-list.json").write_text('{"kind": "PodList", "items": ["x", {"kind": "Widget"}]}\n')
    japanese = run_snapshot(pytester, snap, "--lang", "ja")
    ignored = "odd.json を無視しました: kind/apiVersion のないオブジェクトです: Kubernetes のオブジェクトではありません"
    listed = (
        "odd-list.json を無視しました: リストの 2 件の項目: チェックで読まない kind: Widget; kind なし: 1 件"
    )
    for note in (ignored, listed):
        assert note in japanese.output(), japanese.output()
        assert note in japanese.doc["notes"], japanese.doc["notes"]
    assert not [n for n in japanese.doc["notes"] if "ignored" in n], japanese.doc["notes"]
    english = run_snapshot(pytester, snap, "--lang", "en")
    for note in (
        "ignored odd.json: an object without kind/apiVersion: not a Kubernetes object",
        "ignored odd-list.json: 2 item(s) of a list: kinds not read by the checks: Widget; 1 with no kind",
    ):
        assert note in english.output(), english.output()
        assert note in english.doc["notes"], english.doc["notes"]


def test_the_notes_on_dropped_fields_keep_paths_and_follow_the_language() -> None:
    from vantiq_health.i18n import render
    from vantiq_health.view import shape

    pod = {
        "kind": "Pod",
        "metadata": {"name": "a", "namespace": "prod"},
        "spec": {"containers": [{"name": 5}]},
    }
    _, notes = shape.fit(pod, "pods.json")
    assert notes == [
        "Pod prod/a in pods.json: spec.containers[0].name is a number, not a string: field ignored"
    ]
    assert render(notes[0], "ja") == (
        "pods.json の Pod prod/a: spec.containers[0].name が数値で、文字列ではありません: このフィールドは無視しました"
    )
    _, notes = shape.fit({"kind": "Pod", "metadata": {"name": "a"}}, "pods.json")
    assert render(notes[0], "ja") == "pods.json の Pod a: metadata.namespace がありません: 無視しました"
