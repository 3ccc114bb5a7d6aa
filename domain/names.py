"""How people's names sort for a Chinese reader: by their pinyin (王书记 wang shu ji
after 李队长 li dui zhang), then by the characters themselves (two names that read
alike stay apart); names in Latin letters sort among them by their letters, ignoring
case."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def name_key(name: str) -> tuple[str, str, str]:
    """The key that sorts ``name`` by its pinyin (then by tone): ``sorted(names,
    key=name_key)``."""
    plain = " ".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))
    tones = " ".join(lazy_pinyin(name, style=Style.TONE3, errors="default"))
    return plain.casefold(), tones.casefold(), name
