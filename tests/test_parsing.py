"""Pure helpers: dates, times, switches."""

from __future__ import annotations

from datetime import date, time

import pytest

from bot.parsing import parse_date, parse_switch, parse_time


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
