"""A Japanese run judges exactly as an English one: same outcomes, severities and objects, on
every scenario variant (through a snapshot: the verdict logic is the same live), with the
human texts in Japanese and the machine fields (ids, outcomes, severities) in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import SuiteRun, run_snapshot
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
    monkeypatch.setenv("LANG", "ja_JP.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    by_locale = run_snapshot(pytester, snap)
    assert by_locale.doc["lang"] == "ja"
    by_option = run_snapshot(pytester, snap, "--lang", "en")  # the option wins over the locale
    assert by_option.doc["lang"] == "en"
    assert "finding" in by_option.message("WL003", "prod")
