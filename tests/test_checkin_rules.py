"""Check-in judged in ``domain.checkin``, pure: a shared location against the venue, the
radius, the accuracy, live or pinned, forwarded, and the time window; codes typed
loosely; the cut-off after too many wrong codes. Every moment is given, none read."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from domain.checkin import (
    WRONG_CODE_WINDOW,
    WRONG_CODES,
    Outcome,
    SharedLocation,
    Verdict,
    Window,
    code_matches,
    codes_locked,
    judge_location,
    takes_code,
    typed_code,
    window,
    wrong_codes_since,
)
from domain.geo import distance_m
from domain.kinds import CheckinMethod

VENUE = (22.54, 113.93)
RADIUS = 300
START = datetime(2027, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
END = START + timedelta(hours=2, minutes=30)
OPEN = START  # any moment check-in is open
TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class FakeEvent:
    """An event as check-in sees it."""

    starts_at: datetime = START
    ends_at: datetime = END
    latitude: float | None = VENUE[0]
    longitude: float | None = VENUE[1]
    allow_pin: bool = False
    code_fallback: bool = False


EVENT = FakeEvent()


def north_of(metres: float) -> tuple[float, float]:
    """A position ``metres`` due north of the venue (on the haversine's sphere)."""
    return VENUE[0] + math.degrees(metres / 6_371_008.8), VENUE[1]


def live(metres: float = 10, **facts: object) -> SharedLocation:
    """A live location ``metres`` north of the venue."""
    latitude, longitude = north_of(metres)
    return replace(SharedLocation(latitude, longitude, live=True), **facts)  # type: ignore[arg-type]


def pin(metres: float = 10, **facts: object) -> SharedLocation:
    """A dropped pin ``metres`` north of the venue."""
    return replace(live(metres), live=False, **facts)  # type: ignore[arg-type]


def test_the_helper_positions_are_where_they_say() -> None:
    assert distance_m(*north_of(300), *VENUE) == pytest.approx(300, abs=0.01)


@pytest.mark.parametrize(
    ("metres", "outcome"),
    [
        pytest.param(0, Outcome.ACCEPTED, id="at-the-venue"),
        pytest.param(299.9, Outcome.ACCEPTED, id="just-inside"),
        pytest.param(300, Outcome.ACCEPTED, id="on-the-radius"),
        pytest.param(300.4, Outcome.ACCEPTED, id="rounds-to-the-radius"),
        pytest.param(300.6, Outcome.TOO_FAR, id="rounds-past-the-radius"),
        pytest.param(310, Outcome.TOO_FAR, id="outside"),
        pytest.param(5_000_000, Outcome.TOO_FAR, id="another-country"),
    ],
)
def test_the_radius_edges(metres: float, outcome: Outcome) -> None:
    verdict = judge_location(EVENT, live(metres), OPEN, RADIUS)
    assert verdict.outcome is outcome
    assert verdict.distance == round(distance_m(*north_of(metres), *VENUE))


def test_inside_a_live_location_checks_in_with_its_distance() -> None:
    assert judge_location(EVENT, live(295), OPEN, RADIUS) == Verdict(
        Outcome.ACCEPTED, 295, CheckinMethod.LIVE
    )


@pytest.mark.parametrize(
    ("accuracy", "outcome"),
    [
        pytest.param(None, Outcome.ACCEPTED, id="not-reported"),
        pytest.param(0.0, Outcome.ACCEPTED, id="exact"),
        pytest.param(300.0, Outcome.ACCEPTED, id="the-radius"),
        pytest.param(300.01, Outcome.IMPRECISE, id="just-worse-than-the-radius"),
        pytest.param(1500.0, Outcome.IMPRECISE, id="a-cell-tower"),
        pytest.param(-1.0, Outcome.IMPRECISE, id="negative"),
        pytest.param(math.nan, Outcome.IMPRECISE, id="not-a-number"),
        pytest.param(math.inf, Outcome.IMPRECISE, id="infinite"),
    ],
)
def test_the_accuracy_must_be_within_the_radius(accuracy: float | None, outcome: Outcome) -> None:
    assert judge_location(EVENT, live(accuracy=accuracy), OPEN, RADIUS).outcome is outcome


def test_poor_accuracy_is_named_before_the_distance() -> None:
    verdict = judge_location(EVENT, live(5000, accuracy=500.0), OPEN, RADIUS)
    assert verdict.outcome is Outcome.IMPRECISE


def test_a_pin_counts_only_where_the_event_allows_it() -> None:
    assert judge_location(EVENT, pin(), OPEN, RADIUS).outcome is Outcome.NEED_LIVE
    assert judge_location(EVENT, pin(5000), OPEN, RADIUS).outcome is Outcome.NEED_LIVE
    pins = FakeEvent(allow_pin=True)
    assert judge_location(pins, pin(), OPEN, RADIUS) == Verdict(
        Outcome.ACCEPTED, 10, CheckinMethod.PIN
    )
    assert judge_location(pins, pin(310), OPEN, RADIUS).outcome is Outcome.TOO_FAR
    assert judge_location(pins, live(), OPEN, RADIUS).method is CheckinMethod.LIVE


@pytest.mark.parametrize("shared", [live(), pin()], ids=["live", "pin"])
def test_a_forwarded_location_never_counts(shared: SharedLocation) -> None:
    anywhere = FakeEvent(allow_pin=True)
    forwarded = replace(shared, forwarded=True)
    assert judge_location(anywhere, forwarded, OPEN, RADIUS).outcome is Outcome.FORWARDED
    assert judge_location(EVENT, forwarded, OPEN, RADIUS).outcome is Outcome.FORWARDED


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        pytest.param(91.0, 113.93, id="past-the-pole"),
        pytest.param(22.54, 181.0, id="past-the-date-line"),
        pytest.param(math.nan, 113.93, id="not-a-number"),
        pytest.param(22.54, math.inf, id="infinite"),
    ],
)
def test_a_position_off_the_earth_is_refused(latitude: float, longitude: float) -> None:
    shared = SharedLocation(latitude, longitude, live=True, forwarded=True)
    assert judge_location(EVENT, shared, OPEN, RADIUS) == Verdict(Outcome.INVALID)


def test_without_a_venue_the_event_takes_its_code() -> None:
    nowhere = FakeEvent(latitude=None, longitude=None)
    assert judge_location(nowhere, live(), OPEN, RADIUS) == Verdict(Outcome.NO_VENUE)
    bad = SharedLocation(math.nan, 0.0, live=False, forwarded=True)
    assert judge_location(nowhere, bad, OPEN, RADIUS).outcome is Outcome.NO_VENUE


@pytest.mark.parametrize(
    ("moment", "opened"),
    [
        pytest.param(START - timedelta(minutes=30) - TICK, Window.NOT_YET, id="just-before"),
        pytest.param(START - timedelta(minutes=30), Window.OPEN, id="30-minutes-before"),
        pytest.param(START, Window.OPEN, id="the-start"),
        pytest.param(END, Window.OPEN, id="the-end"),
        pytest.param(END + TICK, Window.CLOSED, id="just-after-the-end"),
    ],
)
def test_the_time_window_edges(moment: datetime, opened: Window) -> None:
    assert window(EVENT, moment) is opened
    verdict = judge_location(EVENT, live(), moment, RADIUS)
    expected = {
        Window.NOT_YET: Outcome.NOT_YET,
        Window.OPEN: Outcome.ACCEPTED,
        Window.CLOSED: Outcome.CLOSED,
    }
    assert verdict.outcome is expected[opened]
    assert (verdict.method is not None) == (opened is Window.OPEN)


def test_where_the_person_is_is_judged_before_when() -> None:
    late = END + timedelta(hours=1)
    assert judge_location(EVENT, live(310), late, RADIUS).outcome is Outcome.TOO_FAR
    assert judge_location(EVENT, pin(), late, RADIUS).outcome is Outcome.NEED_LIVE
    assert judge_location(EVENT, live(), late, RADIUS) == Verdict(Outcome.CLOSED, 10)


def test_the_radius_is_the_one_given() -> None:
    assert judge_location(EVENT, live(450), OPEN, 500).outcome is Outcome.ACCEPTED
    assert judge_location(EVENT, live(60, accuracy=80.0), OPEN, 50).outcome is Outcome.IMPRECISE


def test_the_code_counts_without_a_venue_or_as_the_admins_fallback() -> None:
    assert takes_code(FakeEvent(latitude=None, longitude=None))
    assert not takes_code(EVENT)
    assert takes_code(FakeEvent(code_fallback=True))


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("K7MX3A", id="as-given"),
        pytest.param("k7mx3a", id="lower-case"),
        pytest.param("K7M X3A", id="spaced"),
        pytest.param("Ｋ７ｍｘ３ａ", id="full-width"),
        pytest.param("K7MX3A\u200b", id="invisible"),
    ],
)
def test_codes_typed_loosely_match(typed: str) -> None:
    assert typed_code(typed) == "K7MX3A"
    assert code_matches(typed, "K7MX3A")


def test_a_wrong_code_does_not_match() -> None:
    assert not code_matches("K7MX3B", "K7MX3A")
    assert not code_matches("", "K7MX3A")
    assert len(typed_code("A" * 1000)) == 32


def test_ten_wrong_codes_in_half_an_hour_lock_the_person_out() -> None:
    assert WRONG_CODES == 10 and timedelta(minutes=30) == WRONG_CODE_WINDOW
    assert not codes_locked(0)
    assert not codes_locked(WRONG_CODES - 1)
    assert codes_locked(WRONG_CODES)
    assert codes_locked(WRONG_CODES + 5)  # two processes at once may pass the limit


def test_the_wrong_codes_that_count_are_those_of_the_last_half_hour() -> None:
    now = START
    assert wrong_codes_since(now) == now - timedelta(minutes=30)
    assert wrong_codes_since(now + timedelta(minutes=31)) > now
