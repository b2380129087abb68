"""Human text in the operator's language: message catalogs, and rendering at the last moment.

Findings stay data: a text a check produces is a `Msg` (a key and named parameters), or a
plain `str` for what is shown as it is (commands, object names, log lines, values). The
catalogs `data/messages/<lang>.toml` hold one table per check id (`[WL001]`) plus `[common]`
for the plugin's own texts (summary lines, report headings, verdicts, usage errors, skip
reasons); a key is `"WL001.crash_looping"` or `"common.verdict"`. Placeholders are named
(`{pod}`); `{n:finding/findings}` renders "1 finding", "2 findings" (Japanese writes `{n} 件`);
a list or tuple parameter is joined: `{items:; }` with "; ", `{items}` with ", ".
A parameter that is itself a `Msg` is rendered in the same language.

The language is chosen once per run (`--lang`, `lang = "ja"` in the config file, else the
locale: `ja_*` in LC_ALL / LC_MESSAGES / LANG) and set with `set_language`; machine fields
(ids, outcomes, severities) never go through here.

Converting a module (the pattern):
1. replace each f-string of human text by `msg("<ID>.<key>", name=value, ...)`, the key under
   the check id that produces it (shared phrases of a module under `[common]`);
2. add the key to `en.toml` (the old English text, placeholders for the values) and to
   `ja.toml` (the same placeholders; the notes' words: Secret, Pod, PV, デプロイ, 再起動; です/ます);
3. remove the check id from `PENDING_IDS` in `tests/test_i18n_catalogs.py`.
Commands, object names and log lines stay plain `str` (they are not translated).
"""

from __future__ import annotations

import os
import string
import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

LANGS = ("en", "ja")
DEFAULT = "en"
_current = DEFAULT


class Msg(str):
    """A text to render: its catalog key and named parameters (values, or other `Msg`s).

    It is also the English text as a `str` (so code and tests that read findings as English
    keep working); every place that shows it to a person calls `render(text, lang)`.
    """

    key: str
    params: tuple[tuple[str, Any], ...]

    def __new__(cls, key: str, params: tuple[tuple[str, Any], ...] = ()) -> Msg:
        self = super().__new__(cls, _format(key, dict(params), DEFAULT))
        self.key, self.params = key, params
        return self

    def __reduce__(self) -> Any:
        return (Msg, (self.key, self.params))

    def render(self, lang: str | None = None) -> str:
        return render(self, lang)


Text = str  # a plain str (shown as it is) or a Msg (rendered per language)


def msg(key: str, /, **params: Any) -> str:
    """A `Msg`, typed as the `str` it also is: texts mix with plain strings (values, commands)."""
    return Msg(key, tuple(params.items()))


class UnknownLanguage(ValueError):
    pass


def check_language(lang: str) -> str:
    if lang not in LANGS:
        raise UnknownLanguage(f"unknown language {lang!r} (one of {', '.join(LANGS)})")
    return lang


def set_language(lang: str) -> None:
    global _current
    _current = check_language(lang)


def language() -> str:
    return _current


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """`ja` when the locale is Japanese (the first of LC_ALL, LC_MESSAGES, LANG that is set), else `en`."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else DEFAULT
    return DEFAULT


@cache
def messages(lang: str) -> dict[str, str]:
    """The catalog of a language, flattened: `{"WL001.crash_looping": "...", "common.verdict": ...}`."""
    path = resources.files("vantiq_health").joinpath(f"data/messages/{check_language(lang)}.toml")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    flat: dict[str, str] = {}
    for section, table in raw.items():
        for key, value in table.items():
            if isinstance(value, str):
                flat[f"{section}.{key}"] = value
    return flat


@cache
def tables(lang: str) -> dict[str, dict[str, Any]]:
    """The catalog as its tables (lists included, such as a check's `sources`)."""
    path = resources.files("vantiq_health").joinpath(f"data/messages/{check_language(lang)}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        if "/" in format_spec and isinstance(value, int):
            one, many = format_spec.split("/", 1)
            return f"{value} {one if value == 1 else many}"
        if isinstance(value, Msg):
            value = render(value, self.lang)
        elif isinstance(value, list | tuple):  # {items:; } joins with "; ", {items} with ", "
            return (format_spec or ", ").join(render(v, self.lang) for v in value)
        return super().format_field(value, format_spec)


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def render(text: Text, lang: str | None = None) -> str:
    """The text in `lang` (default: the run's language); a plain str is shown as it is."""
    if not isinstance(text, Msg):
        return str(text)
    return _format(text.key, dict(text.params), lang or _current)


def _format(key: str, params: dict[str, Any], lang: str) -> str:
    template = messages(lang).get(key)
    if template is None:
        template = messages(DEFAULT).get(key)
    if template is None:
        raise KeyError(f"no message {key!r}")
    return _Formatter(lang).vformat(template, (), params)


def as_text(value: Any, lang: str | None = None) -> Any:
    return render(value, lang) if isinstance(value, Msg) else value


def tr(key: str, lang: str | None = None, /, **params: Any) -> str:
    """A text of the catalog rendered right away (the plugin's own texts)."""
    return render(msg(key, **params), lang)


def catalog_text(check_id: str, field: str, english: str, lang: str | None = None) -> str:
    """A catalog entry's title, why or remediation: catalog.toml in English, the message catalog else."""
    lang = lang or _current
    if lang == DEFAULT:
        return english
    return messages(lang).get(f"{check_id}.{field}", english)


def source_titles(check_id: str, english: str, lang: str | None = None) -> str:
    """The sections of the operations notes a check comes from, as the notes title them."""
    lang = lang or _current
    titles = tables(lang).get(check_id, {}).get("sources") if lang != DEFAULT else None
    return "、".join(f"「{t}」" for t in titles) if titles else f"「{english}」"


def reason_of(exc: BaseException) -> Text:
    """An exception's one-line reason, kept as a `Msg` when it was raised with one."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, Msg) else str(exc)
