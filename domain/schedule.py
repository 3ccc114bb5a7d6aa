"""When the scheduled messages are due: a group's morning (and until when a missed
briefing is still caught up), last month's report, the reminders before an event.

Pure rules on moments the caller gives (the sweep, with the application's clock).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from domain.calendar import Month, local_date
from domain.slots import Outcome
from domain.workdays import WorkCalendar, first_workday

CATCH_UP_UNTIL = time(12, 0)  # a missed morning briefing still goes out before this
LATE_BRIEFING_GRACE = timedelta(hours=2)  # … or this long after a briefing time past noon
LATE_DAYS = 7  # a first working day missed (the bot was down) is made up this long after
EVENT_MARKS = {"24h": timedelta(hours=24), "1h": timedelta(hours=1)}


def catch_up_until(briefing_time: time) -> time:
    """Until when a missed briefing is still sent that day: noon for a morning briefing,
    two hours after a later one (the day's end at most)."""
    if briefing_time < CATCH_UP_UNTIL:
        return CATCH_UP_UNTIL
    later = datetime.combine(datetime.min, briefing_time) + LATE_BRIEFING_GRACE
    return later.time() if later.day == datetime.min.day else time.max


def morning_has_come(local: datetime, briefing_time: time, arrived: datetime) -> bool:
    """Whether a group's morning is due at this local moment: its briefing time has come
    today, and the bot was in the group (since ``arrived``) by then — a group it joined
    later gets its first morning the next day, not a briefing right after the welcome."""
    if local.time() < briefing_time:
        return False
    briefing = datetime.combine(local.date(), briefing_time, local.tzinfo)
    return arrived <= briefing


def briefing_outcome(
    local: datetime, briefing_time: time, workdays_only: bool, calendar: WorkCalendar
) -> Outcome:
    """What becomes of a group's briefing at this local moment (its time has come): none
    on a day off of the group's ``calendar`` when the group wants working days only,
    none once the catch-up window has passed, else it is sent."""
    if workdays_only and not calendar.is_workday(local.date()):
        return Outcome.DAY_OFF
    if local.time() >= catch_up_until(briefing_time):
        return Outcome.LATE
    return Outcome.SENT


def report_due(today: date, arrived: datetime, zone: str, calendar: WorkCalendar) -> Month | None:
    """Last month (in the group's time zone ``zone``), when ``today`` is the first
    working day of this month on the group's ``calendar`` (or one of the few days after,
    for a morning the bot missed) and the group was here (since ``arrived``) before this
    month began; else None."""
    first = first_workday(today.year, today.month, calendar)
    if not first <= today < first + timedelta(days=LATE_DAYS):
        return None
    this_month = Month(today.year, today.month, zone)
    if local_date(arrived, zone) >= this_month.first_day:
        return None  # the group has no last month here
    return this_month.previous()


def event_marks(starts_at: datetime, created_at: datetime, now: datetime) -> list[str]:
    """Which reminders of an event are due now: "24h" from a day before until an hour
    before, "1h" in its last hour; none the event was created too late for."""
    found = []
    for mark, ahead in EVENT_MARKS.items():
        moment = starts_at - ahead
        if created_at > moment or now < moment:
            continue
        if mark == "24h" and now >= starts_at - EVENT_MARKS["1h"]:
            continue  # an hour before, only the 1 h reminder is worth sending
        found.append(mark)
    return found
