"""Translations: gettext catalogs (Babel .po files), one translator chosen per update.

Catalog keys are symbolic (``help.title``); ``zh`` (Simplified Chinese, the default) and
``en`` both translate every key. Replies are Telegram HTML, so the translator escapes every
parameter unless it is marked :class:`Html` (a fragment we rendered ourselves).
"""

from __future__ import annotations

import gettext
import html
import io
import re
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

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


@cache
def catalog(language: str) -> gettext.GNUTranslations:
    """The compiled catalog of ``language`` (compiled from its .po file, once)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as fh:
        po = read_po(fh, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, po)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def catalog_keys(language: str) -> set[str]:
    """Every key the catalog of ``language`` translates (for completeness tests)."""
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as fh:
        po = read_po(fh, locale=language)
    return {str(m.id) for m in po if m.id and m.string}


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
