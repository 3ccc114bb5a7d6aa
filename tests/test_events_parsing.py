"""/newevent's arguments: types in English and Chinese, dates, times, options, and a
clear reason for every value that does not parse."""

from __future__ import annotations

from datetime import date, time

import pytest

from domain.events import MAX_CAP, NewEvent, parse_newevent, parse_times
from domain.kinds import EventType
from domain.parsing import ArgumentError


def test_the_seed_volunteer_event_with_every_option() -> None:
    parsed = parse_newevent(
        "volunteer 2026-12-05 09:00-11:30 潔城 綠生活 社区清洁 @ 明翠社区 cap:12 "
        "geo:23.0215,113.7518 walkin"
    )
    assert parsed == NewEvent(
        kind=EventType.VOLUNTEER,
        day=date(2026, 12, 5),
        start=time(9, 0),
        end=time(11, 30),
        title="潔城 綠生活 社区清洁",
        place="明翠社区",
        cap=12,
        latitude=23.0215,
        longitude=113.7518,
        walk_in=True,
    )


@pytest.mark.parametrize(
    ("text", "kind", "title", "place"),
    [
        pytest.param(
            "党课 2026-12-01 19:00 学习二十大精神",
            EventType.LESSON,
            "学习二十大精神",
            "",
            id="chinese-type",
        ),
        pytest.param(
            "支部会议 2026-12-01 19:00 十二月支部会议 ＠ 三楼会议室",
            EventType.MEETING,
            "十二月支部会议",
            "三楼会议室",
            id="fullwidth-at",
        ),
        pytest.param(
            "VISIT 2026-12-01 9:00 参观教育基地",
            EventType.VISIT,
            "参观教育基地",
            "",
            id="upper-case-type",
        ),
    ],
)
def test_types_titles_and_places(text: str, kind: EventType, title: str, place: str) -> None:
    parsed = parse_newevent(text)
    assert (parsed.kind, parsed.title, parsed.place, parsed.end) == (kind, title, place, None)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        pytest.param("party 2026-12-01 19:00 x", "error.bad_event_type", id="type"),
        pytest.param("lesson 2026-13-01 19:00 x", "error.bad_date", id="date"),
        pytest.param("lesson 2026-12-01 25:00 x", "error.bad_time", id="time"),
        pytest.param("lesson 2026-12-01 19:00-18:00 x", "error.time_order", id="end-before-start"),
        pytest.param("lesson 2026-12-01 19:00 x cap:0", "error.bad_cap", id="cap-zero"),
        pytest.param(f"lesson 2026-12-01 19:00 x cap:{MAX_CAP + 1}", "error.bad_cap", id="cap-big"),
        pytest.param("lesson 2026-12-01 19:00 x cap:" + "9" * 40, "error.bad_cap", id="cap-huge"),
        pytest.param("lesson 2026-12-01 19:00 x geo:91,0", "error.bad_geo", id="geo-range"),
        pytest.param("lesson 2026-12-01 19:00 x geo:nan,inf", "error.bad_geo", id="geo-nan"),
        pytest.param("lesson 2026-12-01 19:00 x geo:here", "error.bad_geo", id="geo-word"),
        pytest.param("lesson 2026-12-01 19:00 " + "长" * 300, "error.title_too_long", id="title"),
    ],
)
def test_a_value_that_does_not_parse_names_its_reason(text: str, key: str) -> None:
    with pytest.raises(ArgumentError) as raised:
        parse_newevent(text)
    assert raised.value.key == key


@pytest.mark.parametrize(
    "text",
    ["", "lesson", "lesson 2026-12-01", "lesson 2026-12-01 19:00", "lesson 2026-12-01 19:00 @ x"],
)
def test_missing_parts_are_a_usage_error(text: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_newevent(text)
    assert not isinstance(raised.value, ArgumentError)


def test_times_accept_fullwidth_colons_and_ranges() -> None:
    assert parse_times("19：00～21：00") == (time(19, 0), time(21, 0))
