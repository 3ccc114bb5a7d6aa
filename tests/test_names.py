"""Names sort by pinyin, as a Chinese reader expects a list of people."""

from __future__ import annotations

from domain.names import name_key


def test_chinese_names_sort_by_their_pinyin_and_latin_names_among_them() -> None:
    names = ["张工", "王书记", "李队长", "艾米", "Zhang Wei", "欧阳明", "周一", "bob"]
    assert sorted(names, key=name_key) == [
        "艾米",  # ai
        "bob",
        "李队长",  # li
        "欧阳明",  # ou
        "王书记",  # wang
        "张工",  # zhang gong
        "Zhang Wei",
        "周一",  # zhou
    ]


def test_names_that_read_alike_keep_a_fixed_order() -> None:
    assert sorted(["李明", "黎明", "李明"], key=name_key) == sorted(
        ["黎明", "李明", "李明"], key=name_key
    )
