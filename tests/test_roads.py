"""Road codes and stakes as people really type them."""

from __future__ import annotations

import pytest

from domain.parsing import ArgumentError, ReportArgs, parse_category, parse_report
from domain.roads import RoadPlace, StakeError, format_stake, gap_metres, parse_place


@pytest.mark.parametrize(
    ("text", "place", "rest"),
    [
        pytest.param(
            "S272 K93+520 护栏缺损", RoadPlace("S272", 93520, 93520), "护栏缺损", id="plain"
        ),
        pytest.param(
            "S272K93+520 护栏缺损", RoadPlace("S272", 93520, 93520), "护栏缺损", id="no-space"
        ),
        pytest.param("s272 k93+520 坑槽", RoadPlace("S272", 93520, 93520), "坑槽", id="lower-case"),
        pytest.param(
            "S272 K93＋520 坑槽", RoadPlace("S272", 93520, 93520), "坑槽", id="fullwidth-plus"
        ),
        pytest.param(
            "Ｓ２７２ Ｋ９３＋５２０ 坑槽",
            RoadPlace("S272", 93520, 93520),
            "坑槽",
            id="all-fullwidth",
        ),
        pytest.param(
            "G325 K12 + 005 裂缝", RoadPlace("G325", 12005, 12005), "裂缝", id="spaces-around-plus"
        ),
        pytest.param(
            "S272 K93+520-K93+800 标线磨损", RoadPlace("S272", 93520, 93800), "标线磨损", id="range"
        ),
        pytest.param(
            "S272 K93+800-K93+520 标线磨损",
            RoadPlace("S272", 93520, 93800),
            "标线磨损",
            id="range-reversed",
        ),
        pytest.param(
            "S272 K93+520~K93+800 标线", RoadPlace("S272", 93520, 93800), "标线", id="range-tilde"
        ),
        pytest.param(
            "S272 K93+520 至 K93+800 标线", RoadPlace("S272", 93520, 93800), "标线", id="range-zhi"
        ),
        pytest.param(
            "省道272 K1+000 排水沟堵塞", RoadPlace("S272", 1000, 1000), "排水沟堵塞", id="shengdao"
        ),
        pytest.param(
            "国道325线 K5+120 坑槽", RoadPlace("G325", 5120, 5120), "坑槽", id="guodao-xian"
        ),
        pytest.param("X123 路肩杂草", RoadPlace("X123"), "路肩杂草", id="road-without-stake"),
        pytest.param(
            "Y004 K0+050，桥头跳车", RoadPlace("Y004", 50, 50), "桥头跳车", id="comma-after-stake"
        ),
        pytest.param(
            "S272 K93+520.5 护栏", RoadPlace("S272", 93520, 93520), "护栏", id="decimal-metres"
        ),
        pytest.param("护栏被撞坏", None, "护栏被撞坏", id="no-road"),
        pytest.param("S形弯道标志缺失", None, "S形弯道标志缺失", id="word-starting-with-s"),
    ],
)
def test_parse_place(text: str, place: RoadPlace | None, rest: str) -> None:
    assert parse_place(text) == (place, rest)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("S272 K93+52 护栏", id="two-digit-metres"),
        pytest.param("S272 K93+5200 护栏", id="four-digit-metres"),
        pytest.param("S272 K93 护栏", id="no-metres"),
        pytest.param("S272 K+520 护栏", id="no-km"),
        pytest.param("S272 93+520 护栏", id="no-k"),
        pytest.param("S272 K93+520-K93 护栏", id="bad-range-end"),
    ],
)
def test_malformed_stakes_are_refused(text: str) -> None:
    with pytest.raises(StakeError):
        parse_place(text)


def test_stake_text_and_gaps() -> None:
    assert format_stake(93520) == "K93+520"
    assert format_stake(50) == "K0+050"
    assert RoadPlace("S272", 93520, 93800).stake_text == "K93+520-K93+800"
    assert str(RoadPlace("S272", 93520, 93520)) == "S272 K93+520"
    assert gap_metres(RoadPlace("S272", 93520, 93520), RoadPlace("S272", 93560, 93600)) == 40
    assert gap_metres(RoadPlace("S272", 93520, 93800), RoadPlace("S272", 93600, 93600)) == 0
    assert gap_metres(RoadPlace("S272", 93520, 93520), RoadPlace("G325", 93520, 93520)) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "S272 K93+520 护栏缺损 cat:guardrail sev:2",
            ReportArgs(RoadPlace("S272", 93520, 93520), "护栏缺损", "guardrail", 2),
            id="full",
        ),
        pytest.param(
            "路面坑槽 cat:坑槽 sev:3",
            ReportArgs(None, "路面坑槽", "pothole", 3),
            id="chinese-category",
        ),
        pytest.param(
            "cat:signs S272 K1+000 标线模糊",
            ReportArgs(RoadPlace("S272", 1000, 1000), "标线模糊", "signs"),
            id="option-first",
        ),
        pytest.param("桥头跳车", ReportArgs(None, "桥头跳车"), id="defaults"),
    ],
)
def test_parse_report(text: str, expected: ReportArgs) -> None:
    assert parse_report(text) == expected


@pytest.mark.parametrize(
    ("text", "key"), [("坑 cat:ufo", "error.bad_category"), ("坑 sev:4", "error.bad_severity")]
)
def test_parse_report_refusals(text: str, key: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_report(text)
    assert caught.value.key == key


def test_parse_report_needs_a_description() -> None:
    with pytest.raises(ValueError):
        parse_report("S272 K93+520 cat:pothole")


def test_categories() -> None:
    assert parse_category("Guardrail") == "guardrail"
    assert parse_category("标线") == "signs"
    assert parse_category("pollution") == "debris"
    assert parse_category("spaceship") is None
