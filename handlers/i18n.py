"""Translations: gettext catalogs (Babel .po files), one translator chosen per update.

Catalog keys are symbolic (``help.title``); ``zh`` (Simplified Chinese, the default) and
``en`` both translate every key. Replies are Telegram HTML, so the translator escapes every
parameter unless it is marked :class:`Html` (a fragment we rendered ourselves).

The .po files are read at start by :func:`read_po_messages` (what Babel's ``read_po`` and
``write_mo`` would give gettext, which ``tests/test_i18n.py`` checks): Babel's parser
costs some 40 ms and 4 MB at every start. Babel stays the catalogs' tool.
"""

from __future__ import annotations

import gettext
import html
import re
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "vanguard"
LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"


class Html(str):
    """A string that is already safe Telegram HTML: the translator inserts it as is."""

    __slots__ = ()


def escape(text: object) -> Html:
    """User-supplied text made safe to put inside a reply."""
    return Html(html.escape(str(text), quote=False))


PO_ESCAPE = re.compile(r'\\([\\trn"])')  # as Babel reads them
PO_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def po_path(language: str) -> Path:
    """The .po file of ``language``."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _po_text(quoted: str) -> str:
    text = quoted.strip()[1:-1]
    return PO_ESCAPE.sub(lambda m: PO_ESCAPES.get(m[1], m[1]), text) if "\\" in text else text


def read_po_messages(path: Path) -> dict[str, str]:
    """The messages of a .po file that gettext gets: translated, not fuzzy, not obsolete
    (``#~``). Plural forms and contexts are not used by Vanguard and refused."""
    entries: list[tuple[bool, dict[str, str]]] = []  # (fuzzy, msgid and msgstr)
    field, fuzzy = "", False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#,"):
            fuzzy = fuzzy or "fuzzy" in line  # flags the entry that follows
        elif line.startswith("msgid "):
            field = "msgid"
            entries.append((fuzzy, {field: _po_text(line[6:]), "msgstr": ""}))
            fuzzy = False
        elif line.startswith("msgstr ") and entries:
            field = "msgstr"
            entries[-1][1][field] = _po_text(line[7:])
        elif line.startswith('"') and entries and field:
            entries[-1][1][field] += _po_text(line)
        elif line.startswith(("msgctxt", "msgid_plural", "msgstr[")):
            raise ValueError(f"{path}: {line.split()[0]} is not supported")
    return {
        e["msgid"]: e["msgstr"] for fuzzy, e in entries if e["msgid"] and e["msgstr"] and not fuzzy
    }


class Catalog(gettext.NullTranslations):
    """One language's messages; a key it lacks is shown as the key."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        """The message's translation (the message itself when there is none)."""
        return self.messages.get(message, message)


@cache
def catalog(language: str) -> Catalog:
    """The catalog of ``language`` (read from its .po file, once)."""
    return Catalog(read_po_messages(po_path(language)))


def catalog_keys(language: str) -> set[str]:
    """Every key the catalog of ``language`` translates (for completeness tests)."""
    return set(catalog(language).messages)


class Translator:
    """Renders catalog keys in one language: ``t("help.title", name=...)``."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self._catalog = catalog(self.language)

    def __call__(self, key: str, **params: Any) -> Html:
        text = self._catalog.gettext(key)
        if params:
            safe = {
                name: value if isinstance(value, Html | int | float) else escape(value)
                for name, value in params.items()
            }
            text = text.format(**safe)
        return Html(text)

    def plain(self, key: str, **params: Any) -> str:
        """The text without HTML escaping, for places that are not HTML (button labels,
        command menus, callback answers)."""
        text = self._catalog.gettext(key)
        return text.format(**params) if params else text

    def __repr__(self) -> str:
        return f"Translator({self.language!r})"


def plain_text(text: str) -> str:
    """Telegram HTML as plain text (a button's answer, an alert): tags dropped,
    entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def for_language(language: str | None) -> Translator:
    """The translator of ``language`` (zh when unknown)."""
    return _translator(language if language in LANGUAGES else DEFAULT_LANGUAGE)


@cache
def _translator(language: str) -> Translator:
    return Translator(language)


def for_person(language_code: str | None, group_language: str) -> Translator:
    """The translator for a message to one person: their Telegram app's language where
    they have one, else their group's."""
    if not language_code:
        return for_language(group_language)
    return for_language(language_from_code(language_code))


def language_from_code(code: str | None) -> str:
    """A Telegram ``language_code`` → our language: exact, then base language, else zh."""
    if not code:
        return DEFAULT_LANGUAGE
    lowered = code.lower().replace("_", "-")
    if lowered in LANGUAGES:
        return lowered
    base = lowered.split("-", 1)[0]
    return base if base in LANGUAGES else DEFAULT_LANGUAGE
