"""Catalogs: zh and en complete, every key the code uses exists, language choice."""

from __future__ import annotations

import ast
import gettext
import io
import re
from pathlib import Path

import pytest

from bot.app import build_application
from domain.config import Config, Secret, TelegramConfig
from handlers.commands import CommandSpec
from handlers.features import features_of
from handlers.i18n import (
    Html,
    catalog_keys,
    for_language,
    language_from_code,
    po_path,
    read_po_messages,
)

ROOT = Path(__file__).parent.parent
TRANSLATOR_CALLS = {"t", "plain", "tr"}


def keys_used_in_code() -> set[str]:
    """String literals passed to t(...), t.plain(...), context.t(...) and error keys."""
    found: set[str] = set()
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("handlers/**/*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and node.args:
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                first = node.args[0]
                if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
                    continue
                if name in TRANSLATOR_CALLS or name in ("InvalidValue", "Refused"):
                    found.add(first.value)
            if (
                isinstance(node, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "key" for t in node.targets)
                and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)
            ):
                found.add(node.value.value)
    for spec in command_table():
        found.update({spec.description_key, spec.usage_key})
    for page in ROOT.glob("handlers/**/templates/*.html"):  # the web pages: tr("key", …)
        found.update(re.findall(r"""\btr\(["']([a-z_.]+)["']\s*[,)]""", page.read_text("utf-8")))
    return found


def test_zh_and_en_translate_the_same_keys() -> None:
    assert catalog_keys("zh") == catalog_keys("en")


def test_every_key_used_in_code_is_in_both_catalogs() -> None:
    used = keys_used_in_code()
    assert len(used) > 30
    for language in ("zh", "en"):
        missing = used - catalog_keys(language)
        assert not missing, f"{language} lacks {sorted(missing)}"


SAMPLE_PO = r"""msgid ""
msgstr ""
"Language: zh\n"
"Content-Type: text/plain; charset=utf-8\n"

msgid "plain"
msgstr "普通"

#, python-format, fuzzy
msgid "fuzzy"
msgstr "still a draft"

msgid "untranslated"
msgstr ""

#: handlers/x.py:1
msgid ""
"long."
"key"
msgstr ""
"第一行\n"
"“引号” \"quoted\" \\ back\tslash"

#~ msgid "obsolete"
#~ msgstr "gone"
"""


def babel_messages(path: Path) -> dict[str, str]:
    """What gettext gets from the .mo Babel compiles of ``path`` (its header left out)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with path.open("rb") as fh:
        po = read_po(fh)
    compiled = io.BytesIO()
    write_mo(compiled, po)
    compiled.seek(0)
    found = gettext.GNUTranslations(compiled)._catalog  # type: ignore[attr-defined]
    return {str(k): str(v) for k, v in found.items() if k}


def test_catalogs_are_read_as_babel_compiles_them(tmp_path: Path) -> None:
    sample = tmp_path / "sample.po"
    sample.write_text(SAMPLE_PO, encoding="utf-8")
    expected = {"plain": "普通", "long.key": '第一行\n“引号” "quoted" \\ back\tslash'}
    assert read_po_messages(sample) == expected
    assert babel_messages(sample) == expected
    for language in ("zh", "en"):
        assert read_po_messages(po_path(language)) == babel_messages(po_path(language))


def test_translator_escapes_parameters_but_not_marked_html() -> None:
    t = for_language("en")
    assert (
        t("error.bad_time", value="<b>x</b>")
        == "“&lt;b&gt;x&lt;/b&gt;” is not a time; use HH:MM, e.g. 07:30."
    )
    assert "<code>" in t("error.usage", usage=Html("<code>/x</code>"))


@pytest.mark.parametrize(
    ("code", "language"),
    [
        pytest.param("zh-hans", "zh", id="zh-hans"),
        pytest.param("zh", "zh", id="zh"),
        pytest.param("en", "en", id="en"),
        pytest.param("en-GB", "en", id="en-GB-base"),
        pytest.param("de", "zh", id="unknown-default"),
        pytest.param(None, "zh", id="none-default"),
    ],
)
def test_language_from_telegram_code(code: str | None, language: str) -> None:
    assert language_from_code(code) == language


def test_menu_descriptions_fit_telegram_limits() -> None:
    for language in ("zh", "en"):
        t = for_language(language)
        for spec in command_table():
            assert 1 <= len(t.plain(spec.description_key)) <= 256


def test_keys_built_from_names_exist_in_both_catalogs() -> None:
    from domain.parsing import CATEGORIES
    from handlers.export.sheets import ISSUE_COLUMNS, TOPIC_COLUMNS
    from storage import issue_reads, issues, topics

    keys = {f"help.section.{c.section}" for c in command_table() if c.section != "general"}
    keys |= {f"topic.status.{s}" for s in topics.STATUSES}
    keys |= {f"issue.status.{s}" for s in issues.STATUSES}
    keys |= {f"issue.category.{c}" for c in CATEGORIES}
    keys |= {f"issues.filter.{f}" for f in issue_reads.FILTERS}
    keys |= {
        f"topic.event.{k}"
        for k in (
            "created",
            "claimed",
            "released",
            "milestone",
            "progress",
            "submitted",
            "approved",
            "rejected",
        )
    }
    keys |= {
        f"issue.event.{k}"
        for k in ("reported", "located", "assigned", "fixed", "verified", "reopened", "duplicate")
    }
    keys |= {f"export.issue.{c}" for c in ISSUE_COLUMNS} | {
        f"export.topic.{c}" for c in TOPIC_COLUMNS
    }
    keys |= {f"role.{r}" for r in ("creator", "admin", "member")}
    keys |= {f"language.{lang}" for lang in ("zh", "en")}
    keys |= {f"kind.{k}" for k in ("topic", "issue", "event")}
    for language in ("zh", "en"):
        assert not keys - catalog_keys(language), language


def command_table() -> list[CommandSpec]:
    """The command table of a freshly built application (built, not started)."""
    config = Config(telegram=TelegramConfig(token=Secret("1:" + "a" * 20)))
    return features_of(build_application(config)).commands
