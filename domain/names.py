"""How people's names sort for a Chinese reader: by their pinyin (王书记 wang shu ji
after 李队长 li dui zhang), then by the characters themselves (two names that read
alike stay apart); names in Latin letters sort among them by their letters, ignoring
case.

pypinyin is imported when a name is first sorted, not at start: its phrase dictionary
takes about 55 MB and half a second to load."""

from __future__ import annotations


def name_key(name: str) -> tuple[str, str, str]:
    """The key that sorts ``name`` by its pinyin (then by tone): ``sorted(names,
    key=name_key)``."""
    from pypinyin import Style, lazy_pinyin

    plain = " ".join(lazy_pinyin(name, style=Style.NORMAL, errors="default"))
    tones = " ".join(lazy_pinyin(name, style=Style.TONE3, errors="default"))
    return plain.casefold(), tones.casefold(), name
