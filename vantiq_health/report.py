"""`make report`: run the checks on the cluster of your kubeconfig, or on the bundled demo snapshot.

Everything after `make report ARGS="..."` goes to pytest as it is, so
`make report ARGS="--namespace prod --system-namespace shared"` works like
`pytest --namespace prod --system-namespace shared` in this folder.

make ends with its own code 2 whenever a recipe fails, so the suite's exit
code cannot reach a caller through it: the last line printed here states it
(pipelines call pytest directly).
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path

import pytest

from vantiq_health import i18n
from vantiq_health.config import ConfigError, load_config
from vantiq_health.session import demo_snapshot

# The plugin's modules are imported by pytest.main, not before: imported here first,
# pytest could not rewrite their asserts and would warn about each.


def _has_cluster(args: list[str]) -> bool:
    if any(a.startswith(("--kubeconfig", "--snapshot")) for a in args):
        return True
    from vantiq_health.view.live import kubeconfig_path

    return kubeconfig_path(None) is not None or bool(os.environ.get("KUBERNETES_SERVICE_HOST"))


def report_paths(args: list[str]) -> list[Path]:
    """Where this run writes its reports: the defaults unless the arguments name others."""
    from vantiq_health.plugin.setup import DEFAULT_HTML, DEFAULT_JSON, DEFAULT_JUNIT

    paths = {"--html": DEFAULT_HTML, "--results-json": DEFAULT_JSON, "--junitxml": DEFAULT_JUNIT}
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        name = "--junitxml" if name == "--junit-xml" else name
        if name in paths:
            paths[name] = value if eq else (args[i + 1] if i + 1 < len(args) else paths[name])
    return [Path(p) for p in paths.values()]


def written_since(paths: list[Path], started: float) -> list[Path]:
    # mtimes may have a one-second granularity; the plugin removes stale reports at start anyway
    return [p for p in paths if p.is_file() and p.stat().st_mtime >= math.floor(started)]


def wrapper_language(args: list[str]) -> str:
    """The language of these lines: --lang, else lang in the --config file, else the locale."""
    values: dict[str, str] = {}
    for i, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in ("--lang", "--config"):
            values[name] = value if eq else (args[i + 1] if i + 1 < len(args) else "")
    if values.get("--lang") in i18n.LANGS:
        return values["--lang"]
    if values.get("--config"):
        try:
            lang = load_config(Path(values["--config"])).lang
        except ConfigError:
            lang = None  # the run itself says what is wrong with the file
        if lang:
            return lang
    return i18n.locale_language()


def closing_line(code: int, demo: bool, lang: str | None = None) -> str:
    from vantiq_health.plugin.exitcodes import MEANINGS

    meaning = i18n.tr(f"common.exit_{code}" if code in MEANINGS else "common.exit_other", lang)
    key = "common.report_demo_closing" if demo else "common.report_closing"
    return i18n.tr(key, lang, code=code, meaning=meaning)


def main(argv: list[str]) -> int:
    args = list(argv)
    demo, lang = not _has_cluster(args), wrapper_language(args)
    if demo:
        print(i18n.tr("common.report_demo_start", lang, path=str(demo_snapshot())))
        args = ["--snapshot", str(demo_snapshot()), *args]
    started = time.time()
    code = int(pytest.main(["checks", *args]))
    written = written_since(report_paths(args), started)
    if written:
        print(i18n.tr("common.report_written", lang, paths=", ".join(str(p) for p in written)))
    else:
        print(i18n.tr("common.report_none_written", lang))
    print(closing_line(code, demo, lang))
    if demo and code == pytest.ExitCode.TESTS_FAILED:
        return 0  # the demo's findings are deliberate: the command worked
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
