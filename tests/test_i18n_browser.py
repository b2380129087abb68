"""The demo report in Japanese, rendered by headless chromium with Debian's fonts-noto-cjk:
a screenshot, every Japanese character drawn from a font that has its glyph (the DevTools
protocol names the platform fonts chromium used for each text, fontTools reads their
character maps), and the Japanese verdict and headings in the DOM."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.harness import run_snapshot
from tests.test_reports import chromium_path
from vantiq_health.session import demo_snapshot

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
JAPANESE = re.compile(r"[\u3000-\u30ff\u4e00-\u9fff\uff00-\uffef]")
SCREENSHOT_DIR = Path(__file__).resolve().parents[1] / "reports"


class DevTools:
    """A minimal DevTools protocol client over chromium's page websocket."""

    def __init__(self, url: str) -> None:
        import websocket  # websocket-client, a dependency of the kubernetes client

        self.ws = websocket.create_connection(url, timeout=30)
        self.next_id = 0

    def __call__(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.ws.recv())
            if answer.get("id") == self.next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return dict(answer.get("result", {}))


def _page(chromium: str, url: str, profile: str) -> Iterator[DevTools]:
    proc = subprocess.Popen(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--window-size=1400,1000",
            url,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stderr is not None
        port = None
        for line in proc.stderr:
            found = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if found:
                port = found.group(1)
                break
        assert port, "chromium did not open the DevTools port"
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        tools = DevTools(page["webSocketDebuggerUrl"])
        for _ in range(100):
            if tools("Runtime.evaluate", expression="document.readyState")["result"]["value"] == "complete":
                break
            time.sleep(0.1)
        time.sleep(0.5)  # pytest-html's script fills the results table after load
        yield tools
        tools.ws.close()
    finally:
        proc.kill()
        proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()


@cache
def _font_files() -> dict[str, str]:
    """PostScript name -> font file, as fontconfig (which chromium uses on Linux) knows them."""
    listed = subprocess.run(
        ["fc-list", "-f", "%{postscriptname}\t%{file}\n"], capture_output=True, text=True, check=True
    ).stdout
    return dict(line.split("\t", 1) for line in listed.splitlines() if "\t" in line)


@cache
def _cmap(postscript: str) -> frozenset[int]:
    from fontTools.ttLib import TTCollection, TTFont

    path = _font_files()[postscript]
    fonts = TTCollection(path).fonts if path.endswith(".ttc") else [TTFont(path)]
    for font in fonts:
        if font["name"].getDebugName(6) == postscript or len(fonts) == 1:
            return frozenset(font.getBestCmap())
    raise AssertionError(f"{postscript} is not in {path}")


def _text_parents(node: dict[str, Any]) -> Iterator[tuple[int, str]]:
    """(nodeId, Japanese text) of every element whose own text nodes hold Japanese."""
    own = "".join(c.get("nodeValue", "") for c in node.get("children", []) if c.get("nodeType") == 3)
    if node.get("nodeType") == 1 and node.get("nodeName") not in ("SCRIPT", "STYLE") and JAPANESE.search(own):
        yield node["nodeId"], own
    for child in node.get("children", []):
        yield from _text_parents(child)


@pytest.fixture(scope="module")
def japanese_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CJK_FONT.exists():
        pytest.skip("fonts-noto-cjk is not installed (make browser installs it as root)")
    chromium_path()
    return tmp_path_factory.mktemp("ja")


@pytest.mark.slow
def test_demo_report_in_japanese_renders_every_character(
    pytester: pytest.Pytester, japanese_demo: Path
) -> None:
    chromium = chromium_path()
    run = run_snapshot(pytester, demo_snapshot(), "--lang", "ja", "--self-contained-html", namespaces=())
    report = pytester.path / "report.html"
    assert run.doc["lang"] == "ja"
    output = run.output()
    assert "DEMO: 同梱のデモ用スナップショットです" in output  # the header
    assert "システム namespace: shared" in output
    assert "判定: 問題あり" in output  # the terminal summary
    assert '<html lang="ja">' in report.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as profile:
        for tools in _page(chromium, report.as_uri(), profile):
            tools("DOM.enable")
            tools("CSS.enable")
            shot = tools("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
            png = base64.b64decode(shot)
            assert png.startswith(b"\x89PNG")
            assert len(png) > 20_000
            SCREENSHOT_DIR.mkdir(exist_ok=True)
            (SCREENSHOT_DIR / "report-ja.png").write_bytes(png)
            (japanese_demo / "report-ja.png").write_bytes(png)
            root = tools("DOM.getDocument", depth=-1)["root"]
            texts = list(_text_parents(root))
            assert len(texts) > 30
            missing: list[tuple[str, str]] = []
            families: set[str] = set()
            rendered = 0
            for node_id, text in texts:
                fonts = tools("CSS.getPlatformFontsForNode", nodeId=node_id)["fonts"]
                if not fonts:  # not drawn: <title>, a collapsed <details>
                    continue
                rendered += 1
                families.update(f["familyName"] for f in fonts)
                glyphs = frozenset().union(*(_cmap(f["postScriptName"]) for f in fonts))
                missing += [(ch, text[:40]) for ch in set(JAPANESE.findall(text)) if ord(ch) not in glyphs]
            assert missing == []
            assert rendered > 30
            assert any("CJK JP" in family for family in families), families
            dom = tools("Runtime.evaluate", expression="document.documentElement.outerHTML")["result"][
                "value"
            ]
            lang = tools("Runtime.evaluate", expression="document.documentElement.lang")["result"]["value"]
    assert lang == "ja"
    assert '<span class="vh-verdict-word">問題あり</span>' in dom
    assert "<h2>判定: " in dom
    assert "<h2>検出された問題（重大なものから）</h2>" in dom
    assert "<h2>確認できなかったもの</h2>" in dom
    assert "同梱のデモ用スナップショット" in dom
    assert "重要な理由: " in dom
    assert '<th class="sortable" data-column-type="verdict">判定</th>' in dom
    for label in ("<h2>概要</h2>", "<h2>環境</h2>", 'data-column-type="result">結果</th>', ">所要時間</th>"):
        assert label in dom, label  # pytest-html's own labels too
    assert re.search(r'class="run-count">チェック \d+ 件の所要時間: ', dom)
    assert not re.search(
        r"<h2>(Summary|Environment)</h2>|>(Result|Test|Duration|Links)</th>|Show all details", dom
    )
