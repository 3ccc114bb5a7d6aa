"""Check-in judged: whether a shared location checks a person in, when check-in is open,
and when guessing an event's code is cut off. Pure functions of the event, the facts of
the location and the moment (given, never read from a clock); no I/O."""

from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from domain.events import checkin_opens
from domain.geo import distance_m, valid_position
from domain.kinds import CheckinMethod

WRONG_CODES = 10  # wrong codes a person may try for one event within …
WRONG_CODE_WINDOW = timedelta(minutes=30)  # … this long (a sliding window)


class CheckinEvent(Protocol):
    """What check-in needs to know of an event (``storage.models.Event`` is one): its
    times, its venue (if any), and whether a static pin or the code count."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...
    @property
    def latitude(self) -> float | None: ...
    @property
    def longitude(self) -> float | None: ...
    @property
    def allow_pin(self) -> bool: ...
    @property
    def code_fallback(self) -> bool: ...


@dataclass(frozen=True)
class SharedLocation:
    """A location a person sent, as Telegram describes it."""

    latitude: float
    longitude: float
    live: bool  # a live location (it has a live period), not a dropped pin
    forwarded: bool = False  # forwarded from someone: another person's position
    accuracy: float | None = None  # the reported horizontal accuracy, in metres


class Window(StrEnum):
    """Where a moment falls against an event's check-in window."""

    NOT_YET = "not_yet"  # before it opens (30 minutes before the start)
    OPEN = "open"
    CLOSED = "closed"  # after the end


class Outcome(StrEnum):
    """What a shared location comes to, in the order it is judged."""

    NO_VENUE = "no_venue"  # the event has no venue: it takes its code instead
    INVALID = "invalid"  # not a position on the earth
    FORWARDED = "forwarded"  # someone else's position
    NEED_LIVE = "need_live"  # a static pin where only a live location counts
    IMPRECISE = "imprecise"  # its accuracy is worse than the radius (or not a number)
    TOO_FAR = "too_far"  # outside the radius
    NOT_YET = "not_yet"  # in the right place, before check-in opens
    CLOSED = "closed"  # in the right place, after the event's end
    ACCEPTED = "accepted"  # checks the person in


@dataclass(frozen=True)
class Verdict:
    """The outcome, the distance from the venue in whole metres (0 where unknown) and,
    when accepted, how the check-in was proven."""

    outcome: Outcome
    distance: int = 0
    method: CheckinMethod | None = None


def window(event: CheckinEvent, now: datetime) -> Window:
    """Whether check-in to ``event`` is open at ``now``: from 30 minutes before the start
    until the end, both included."""
    if now < checkin_opens(event.starts_at):
        return Window.NOT_YET
    if now > event.ends_at:
        return Window.CLOSED
    return Window.OPEN


def judge_location(
    event: CheckinEvent, location: SharedLocation, now: datetime, radius_m: int
) -> Verdict:
    """Whether ``location``, shared at ``now``, checks a person in to ``event``: a live
    location (or a pin, where the event allows one), not forwarded, whose accuracy and
    distance from the venue (rounded to the metre) are both within ``radius_m``, while
    check-in is open. The first problem found is the verdict."""
    if event.latitude is None or event.longitude is None:
        return Verdict(Outcome.NO_VENUE)
    where = (location.latitude, location.longitude)
    if not valid_position(*where):
        return Verdict(Outcome.INVALID)
    distance = round(distance_m(*where, event.latitude, event.longitude))
    accuracy = location.accuracy
    if location.forwarded:
        outcome = Outcome.FORWARDED
    elif not location.live and not event.allow_pin:
        outcome = Outcome.NEED_LIVE
    elif accuracy is not None and not 0 <= accuracy <= radius_m:  # NaN fails too
        outcome = Outcome.IMPRECISE
    elif distance > radius_m:
        outcome = Outcome.TOO_FAR
    else:
        opened = window(event, now)
        if opened is not Window.OPEN:
            outcome = Outcome.NOT_YET if opened is Window.NOT_YET else Outcome.CLOSED
        else:
            method = CheckinMethod.LIVE if location.live else CheckinMethod.PIN
            return Verdict(Outcome.ACCEPTED, distance, method)
    return Verdict(outcome, distance)


def takes_code(event: CheckinEvent) -> bool:
    """Whether the event's code checks people in: without a venue, or where the admin
    allowed it as a fallback (``/event n code on``)."""
    return event.latitude is None or event.code_fallback


def typed_code(text: str) -> str:
    """A typed code as codes are stored: full-width letters and digits as ASCII, upper
    case, without spaces or invisible characters."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()[:32]


def code_matches(typed: str, code: str) -> bool:
    """Whether ``typed`` (as the person typed it) is the event's ``code``, compared in
    constant time."""
    return hmac.compare_digest(typed_code(typed).encode(), code.encode())


def wrong_codes_since(now: datetime) -> datetime:
    """The wrong codes that count at ``now`` are those tried after this moment."""
    return now - WRONG_CODE_WINDOW


def codes_locked(recent_wrong: int) -> bool:
    """Whether a person who tried ``recent_wrong`` wrong codes for an event since
    :func:`wrong_codes_since` is refused any code, the right one too (until the oldest
    of them is older than the window)."""
    return recent_wrong >= WRONG_CODES
