"""/newevent's arguments: types in English and Chinese, dates, times, options, and a
clear reason for every value that does not parse."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import pytest

from domain.events import (
    MAX_CAP,
    NewEvent,
    checkin_opens,
    credited_minutes,
    hours_text,
    hours_total_text,
    parse_newevent,
    parse_times,
)
from domain.geo import distance_m
from domain.kinds import EventType
from domain.parsing import ArgumentError


def test_the_seed_volunteer_event_with_every_option() -> None:
    parsed = parse_newevent(
        "volunteer 2026-12-05 09:00-11:30 洁城 绿生活 社区清洁 @ 明翠社区 cap:12 "
        "geo:23.0215,113.7518 walkin"
    )
    assert parsed == NewEvent(
        kind=EventType.VOLUNTEER,
        day=date(2026, 12, 5),
        start=time(9, 0),
        end=time(11, 30),
        title="洁城 绿生活 社区清洁",
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
    assert parse_times("０９：００－１１：００") == (time(9, 0), time(11, 0))  # full-width


# --- distances and credited time ------------------------------------------------------------


def test_haversine_distance_against_known_values() -> None:
    # one degree of latitude on the mean-radius sphere
    assert distance_m(0, 0, 1, 0) == pytest.approx(111_195, abs=1)
    # Guangzhou Tower to Canton Tower's neighbour 300 m east, at 23.1° N
    east = 300 / (111_195 * math.cos(math.radians(23.1)))
    assert distance_m(23.1, 113.32, 23.1, 113.32 + east) == pytest.approx(300, abs=0.5)
    assert distance_m(22.54, 113.93, 22.54, 113.93) == 0
    # antipodes: half the circumference, no domain error from rounding
    assert distance_m(0, 0, 0, 180) == pytest.approx(math.pi * 6_371_008.8, rel=1e-9)


START = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
END = START + timedelta(hours=2, minutes=30)


@pytest.mark.parametrize(
    ("checked_in", "checked_out", "minutes"),
    [
        pytest.param(START, START + timedelta(hours=1), 60, id="checked-out"),
        pytest.param(START, None, 150, id="until-the-end"),
        pytest.param(START - timedelta(minutes=30), None, 180, id="early-arrival"),
        pytest.param(START, END + timedelta(hours=5), 210, id="capped-at-length-plus-one-hour"),
        pytest.param(END, None, 0, id="arrived-at-the-end"),
        pytest.param(START, START - timedelta(minutes=5), 0, id="never-negative"),
    ],
)
def test_credited_minutes(checked_in: datetime, checked_out: datetime | None, minutes: int) -> None:
    assert credited_minutes(checked_in, checked_out, START, END) == minutes


def test_checkin_opens_thirty_minutes_before_and_hours_are_shown_with_one_decimal() -> None:
    assert checkin_opens(START) == START - timedelta(minutes=30)
    assert hours_text(150) == "2.5" and hours_text(0) == "0.0" and hours_text(200) == "3.3"


def test_a_total_of_hours_equals_its_rows_added_up() -> None:
    rows = [147, 147, 147, 147]  # 2.45 h each: shown as 2.5, four times
    assert [hours_text(m) for m in rows] == ["2.5"] * 4
    assert hours_total_text(rows) == "10.0"  # the rows' sum; the minutes' sum is 9.8 h
    assert hours_total_text([]) == "0.0"


def test_a_mention_in_the_title_is_not_a_place() -> None:
    parsed = parse_newevent("meeting 2026-12-05 19:00 联系 @wang_shuji 报名 @ 会议室")
    assert parsed.title == "联系 @wang_shuji 报名" and parsed.place == "会议室"
    assert parse_newevent("study 2026-12-05 19:00 读书会 @党员活动室").place == "党员活动室"
