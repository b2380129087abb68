"""The message catalogs: complete in both languages, placeholders that match, the notes' words."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vantiq_health import i18n
from vantiq_health.catalog import catalog, implemented
from vantiq_health.config import ConfigError, load_config
from vantiq_health.i18n import msg, placeholders, render

ROOT = Path(__file__).resolve().parents[1]
NOTES = Path("/work/shared/reference/vantiq-k8s-troubleshooting.ja.md")
CATALOG_FIELDS = {"title", "why", "remediation"}  # Japanese in ja.toml; English in catalog.toml
# The ids produced by analysis modules still being changed elsewhere (network,
# dns, tls and their check modules): their texts are still plain English strings. Empty this
# once they are converted (the pattern: vantiq_health/i18n.py docstring, README "Languages").
PENDING_IDS: frozenset[str] = frozenset()  # every implemented check speaks both languages
_KEY_USE = re.compile(
    r"""\bmsg\(\s*["']([A-Za-z0-9_]+\.[A-Za-z0-9_]+)["']|\btr\(\s*["']([A-Za-z0-9_]+\.[A-Za-z0-9_]+)["']"""
)


def _message_keys(lang: str) -> set[str]:
    return {k for k in i18n.messages(lang) if k.split(".", 1)[1] not in CATALOG_FIELDS}


def _keys_in_code() -> set[str]:
    used = set()
    for path in [*(ROOT / "vantiq_health").rglob("*.py"), *(ROOT / "checks").glob("*.py")]:
        for match in _KEY_USE.finditer(path.read_text(encoding="utf-8")):
            used.add(match.group(1) or match.group(2))
    return used


def test_both_catalogs_have_the_same_keys() -> None:
    en, ja = _message_keys("en"), _message_keys("ja")
    assert sorted(en - ja) == [], "missing in ja.toml"
    assert sorted(ja - en) == [], "missing in en.toml"


def test_placeholders_match_between_languages() -> None:
    en, ja = i18n.messages("en"), i18n.messages("ja")
    wrong = {
        k: (placeholders(en[k]), placeholders(ja[k]))
        for k in _message_keys("en")
        if placeholders(en[k]) != placeholders(ja[k])
    }
    assert wrong == {}


def test_every_key_the_code_uses_exists_in_both_languages() -> None:
    used = _keys_in_code()
    assert len(used) > 50
    for lang in i18n.LANGS:
        assert sorted(used - set(i18n.messages(lang))) == [], lang


def test_every_implemented_check_has_its_texts_in_both_languages() -> None:
    """Every implemented id has messages of its own (its module is converted), bar the pending ones."""
    converted = {key.split(".")[0] for key in _message_keys("en")}
    missing = sorted(implemented() - converted - PENDING_IDS)
    assert missing == [], f"ids without messages: {missing}"
    assert implemented() >= PENDING_IDS  # a stale entry is noticed


def test_every_catalog_entry_has_japanese_title_why_and_remediation() -> None:
    ja = i18n.messages("ja")
    for check_id, meta in catalog().items():
        assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", ja[f"{check_id}.title"]), check_id
        for field in ("why", "remediation"):
            if getattr(meta, field):
                assert f"{check_id}.{field}" in ja, (check_id, field)


def _note_headings() -> set[str]:
    if not NOTES.exists():
        pytest.skip(f"the operations notes are not at {NOTES}")
    lines = NOTES.read_text(encoding="utf-8").splitlines()
    return {re.sub(r"\s*<a id=.*$", "", line.lstrip("#")).strip() for line in lines if line.startswith("#")}


def test_japanese_sources_are_section_titles_of_the_notes_exactly() -> None:
    headings = _note_headings()
    tables = i18n.tables("ja")
    for check_id, meta in catalog().items():
        sources = tables.get(check_id, {}).get("sources", [])
        assert sources or meta.source == "—", check_id
        for title in sources:
            assert title in headings, (check_id, title)


def test_japanese_uses_the_notes_words() -> None:
    ja = "\n".join(i18n.messages("ja").values())
    for word in ("Secret", "Pod", "PV", "デプロイ", "再起動", "ください"):
        assert word in ja, word
    for foreign in ("ポッド", "シークレット", "再スタート"):  # not the team's words
        assert foreign not in ja, foreign


def test_rendering_is_per_language_and_nests() -> None:
    where = msg("common.in_namespace", namespace="prod")
    head = msg("common.explain_head", id="WL001", title="t", n=2, where=where)
    assert head == "[WL001] t — 2 findings in namespace prod"  # a Msg is its English text
    assert render(head, "ja") == "[WL001] t — namespace prod で 2 件の問題があります"
    assert render(msg("common.explain_head", id="X", title="t", n=1, where=where)).endswith(
        "1 finding in namespace prod"
    )
    assert render("kubectl get pods -n prod", "ja") == "kubectl get pods -n prod"  # plain text stays


@pytest.mark.parametrize(
    ("environ", "lang"),
    [
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),
        ({"LC_ALL": "C.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),  # LC_ALL wins
        ({"LC_MESSAGES": "ja_JP.eucJP"}, "ja"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_default_language_comes_from_the_locale(environ: dict[str, str], lang: str) -> None:
    assert i18n.locale_language(environ) == lang


def test_the_config_file_may_set_the_language(tmp_path: Path) -> None:
    path = tmp_path / "vantiq-health.toml"
    path.write_text('lang = "ja"\n')
    assert load_config(path).lang == "ja"
    path.write_text('lang = "fr"\n')
    with pytest.raises(ConfigError, match="lang must be one of en, ja"):
        load_config(path)


def test_probe_records_render_in_japanese() -> None:
    from vantiq_health.probes import endpoints as ep
    from vantiq_health.probes.result import ProbeResult, from_record

    failed = ProbeResult("postgres", "db:5432", ep.WORKSTATION, ["resolve", "tcp"], "auth-failed", "x", 12.0)
    assert failed.describe() == (
        "postgres db:5432 from this workstation: reached resolve → tcp; failed at auth: auth-failed (12 ms)"
    )
    assert render(failed.describe(), "ja") == (
        "postgres db:5432（この作業端末 から）: 到達した段階 resolve → tcp、auth の段階で失敗: auth-failed（12 ミリ秒）"
    )
    replayed = from_record(ProbeResult("mongodb", "m:27017", ep.PORT_FORWARD, latency_ms=3.0).to_dict())
    assert replayed is not None
    assert replayed.vantage == "port-forward to the service's pod"
    said = render(replayed.describe(), "ja")
    assert "Service の Pod への port-forward から" in said
    assert "なし、成功" in said
    assert not re.search(r"\b(from|reached|nothing|ok)\b", said), said


def test_usage_errors_keep_their_reason_as_a_message(tmp_path: Path) -> None:
    path = tmp_path / "vantiq-health.toml"
    path.write_text("[names]\nnope = 1\n")
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert (
        str(raised.value)
        == f"{path}: unknown key names.nope (known: " + str(raised.value).split("(known: ")[1]
    )
    ja = render(i18n.reason_of(raised.value), "ja")
    assert ja.startswith(f"{path}: 不明なキー names.nope です（使えるキー: ")
    assert "unknown" not in ja


def test_make_report_lines_in_the_language_of_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vantiq_health.report import closing_line, wrapper_language

    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    assert wrapper_language([]) == "en"
    assert wrapper_language(["--lang", "ja"]) == wrapper_language(["--lang=ja"]) == "ja"
    config = tmp_path / "vantiq-health.toml"
    config.write_text('lang = "ja"\n')
    assert wrapper_language(["--config", str(config)]) == "ja"
    assert wrapper_language(["--config", str(config), "--lang", "en"]) == "en"
    monkeypatch.setenv("LC_ALL", "ja_JP.UTF-8")
    assert wrapper_language([]) == "ja"
    assert closing_line(1, False, "en") == (
        "vantiq-health: exit 1, findings at the gating severity, or a check ended in error "
        "(make's own code says only pass/fail: pipelines run pytest)"
    )
    ja = closing_line(1, True, "ja")
    assert ja.startswith("vantiq-health: 同梱のスナップショットでの DEMO 実行です")
    assert "exit 1、ゲートの重大度の問題があるか" in ja
    assert not re.search(r"DEMO run|on purpose|gating", ja)
