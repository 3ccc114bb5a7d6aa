"""Pure helpers: dates, times, switches."""

from __future__ import annotations

from datetime import date, time

import pytest

from domain.config import canonical_timezone
from domain.parsing import (
    ArgumentError,
    NewTopic,
    parse_date,
    parse_newtopic,
    parse_percent,
    parse_switch,
    parse_time,
    progress_bar,
)
from handlers.captions import parse_caption


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("2008-07-01", date(2008, 7, 1), id="iso"),
        pytest.param("2008-7-1", date(2008, 7, 1), id="short"),
        pytest.param(" 2008-07-01 ", date(2008, 7, 1), id="spaces"),
        pytest.param("2008-13-01", None, id="month-13"),
        pytest.param("2008-02-30", None, id="feb-30"),
        pytest.param("01-07-2008", None, id="reversed"),
        pytest.param("2008/07/01", None, id="slashes"),
        pytest.param("", None, id="empty"),
    ],
)
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("07:30", time(7, 30), id="hh-mm"),
        pytest.param("7:05", time(7, 5), id="h-mm"),
        pytest.param("23:59", time(23, 59), id="late"),
        pytest.param("24:00", None, id="24"),
        pytest.param("07:60", None, id="60-minutes"),
        pytest.param("0730", None, id="no-colon"),
    ],
)
def test_parse_time(text: str, expected: time | None) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("on", True), ("OFF", False), ("开", True), ("关", False), ("maybe", None)],
)
def test_parse_switch(text: str, expected: bool | None) -> None:
    assert parse_switch(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("中东桥加固工程", NewTopic("中东桥加固工程"), id="title-only"),
        pytest.param(
            "S272 K93+520 平交口整治 | 施划标线 due:2026-12-31 slots:3",
            NewTopic("S272 K93+520 平交口整治", "施划标线", date(2026, 12, 31), 3),
            id="everything",
        ),
        pytest.param("slots:2 护栏修复", NewTopic("护栏修复", slots=2), id="option-first"),
        pytest.param("护栏修复 SLOTS：２", NewTopic("护栏修复", slots=2), id="fullwidth"),
        pytest.param("护栏修复 |", NewTopic("护栏修复"), id="empty-description"),
        pytest.param(
            "桥面清扫 截止：2026-12-31 名额:2",
            NewTopic("桥面清扫", due_on=date(2026, 12, 31), slots=2),
            id="chinese-options",
        ),
    ],
)
def test_parse_newtopic(text: str, expected: NewTopic) -> None:
    assert parse_newtopic(text) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("桥 due:2026-02-30", "error.bad_date", id="bad-date"),
        pytest.param("桥 slots:0", "error.bad_slots", id="zero-slots"),
        pytest.param("桥 slots:many", "error.bad_slots", id="word-slots"),
        pytest.param("桥" * 201, "error.title_too_long", id="long-title"),
    ],
)
def test_parse_newtopic_refusals(text: str, key: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_newtopic(text)
    assert caught.value.key == key


def test_parse_newtopic_needs_a_title() -> None:
    with pytest.raises(ValueError):
        parse_newtopic("| only a description slots:2")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("60%", 60),
        ("60", 60),
        ("６０％", 60),
        ("0%", 0),
        ("100%", 100),
        ("101%", None),
        ("-5%", None),
        ("六十", None),
    ],
)
def test_parse_percent(text: str, expected: int | None) -> None:
    assert parse_percent(text) == expected


@pytest.mark.parametrize(
    ("percent", "bar"),
    [
        (0, "░░░░░░░░░░ 0%"),
        (60, "▓▓▓▓▓▓░░░░ 60%"),
        (100, "▓▓▓▓▓▓▓▓▓▓ 100%"),
        (64, "▓▓▓▓▓▓░░░░ 64%"),
    ],
)
def test_progress_bar(percent: int, bar: str) -> None:
    assert progress_bar(percent) == bar


@pytest.mark.parametrize(
    ("caption", "expected"),
    [
        pytest.param("/progress 3 60% 完成基层", ("progress", "3 60% 完成基层"), id="plain"),
        pytest.param("/done@vanguard_bot 3 完成", ("done", "3 完成"), id="with-username"),
        pytest.param("/done@other_bot 3 完成", None, id="other-bot"),
        pytest.param("/claim 3", None, id="not-a-photo-command"),
        pytest.param("现场照片", None, id="no-command"),
        pytest.param(None, None, id="no-caption"),
    ],
)
def test_parse_caption(caption: str | None, expected: tuple[str, str] | None) -> None:
    assert parse_caption(caption, "vanguard_bot", {"progress", "done"}) == expected


def test_times_dates_and_time_zones_typed_with_a_chinese_input_method() -> None:
    assert parse_time("７：３０") == parse_time("7:30") == time(7, 30)
    assert parse_date("２０２６－１２－０１") == date(2026, 12, 1)
    assert canonical_timezone("asia/shanghai") == "Asia/Shanghai"
    assert canonical_timezone(" AMERICA/NEW_YORK ") == "America/New_York"
    assert canonical_timezone("asia") is None and canonical_timezone("localtime") is None
