"""The minute sweep: the database decides what is due.

Every minute (and once at start) the sweep looks at each group the bot is in: once its
local time has reached its briefing time, the group's morning is handled once — the
``deliveries`` key ``morning:<group>:<date>`` is written in the same transaction as the
briefing, the day's deadline reminders and the birthday greetings, which all go to the
outbox under their own keys. So a restart, a second sweep in the same minute or a second
bot process on the same database never sends a morning twice, and a morning missed while
the bot was down is handled when it comes back: the briefing is still sent before 12:00
local time (or within two hours of a briefing time after noon), otherwise skipped and
logged. Events get their reminders 24 hours and 1 hour before they start. Nothing about
the schedule lives in memory; time comes from the application's clock.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain import slots
from domain.calendar import Day
from domain.schedule import (
    EVENT_MARKS,
    briefing_outcome,
    catch_up_until,
    event_marks,
    morning_has_come,
)
from domain.slots import Outcome
from domain.workdays import REMIND_FROM, WorkCalendar
from handlers.common import split_message
from handlers.context import Ctx
from handlers.i18n import Html, for_language, for_person
from handlers.outbox import outgoing, send_due
from handlers.private import start_bot_button
from handlers.schedule.makeup import remind_makeup_days
from handlers.schedule.views import (
    birthday_greeting,
    deadline_reminder,
    deadlines_in_group,
    event_reminder,
    render_briefing,
    unreachable_line,
)
from storage.briefing import birthdays, briefing, since_last_briefing
from storage.calendar_days import Corrections, corrections
from storage.deadlines import Due, due_soon
from storage.models import Event, Group, Member
from storage.outbox import enqueue
from storage.schedule import (
    active_groups,
    claim_slot,
    handled,
    signed_up,
    starting_between,
    still_members,
    take_morning,
)

log = logging.getLogger(__name__)
REMINDER_CAP = 200  # deadline reminders of one group and day (the rest: the briefing)
KICK_EVERY = 0.25  # seconds: while mornings are written, the outbox is sent this often


def _local(group: Group, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(group.timezone))


async def run_sweep(context: Ctx) -> None:
    """Write whatever has come due into the outbox, then send it; when it ends, its
    time is kept for ``/healthz`` (the last sweep)."""
    now = context.clock.now()
    async with context.read() as session:
        groups = await active_groups(session)
        due = []
        for group in groups:
            try:
                local = _local(group, now)
                if morning_has_come(local, group.briefing_time, group.created_at):
                    due.append((group, Day.of(now, group.timezone)))
            except Exception:  # a zone the tz database lost: that group only
                log.exception("group %s: its morning cannot be placed in time", group.id)
        done = await handled(session, [slots.morning(g.id, d.today) for g, d in due])
        due = [(g, d) for g, d in due if slots.morning(g.id, d.today) not in done]
        found = await _corrections(session, due)
    kicked = -KICK_EVERY
    for group, day in due:
        calendar = found.calendar(group.id)
        try:
            for hook in context.features.mornings:
                if hook.prepare is not None:
                    await hook.prepare(context, group, day.today, now, calendar)
            outcome = await morning(context, group, day, now, calendar)
            context.bot_data.metrics.briefing(outcome)
        except Exception:  # one group's trouble never stops the others' mornings
            log.exception("the morning of group %s could not be handled", group.id)
            continue
        if outcome is not None and time.monotonic() - kicked >= KICK_EVERY:
            kicked = time.monotonic()  # what is written goes out now, not at the job's turn
            context.application.create_task(send_due(context), name="morning-send")
    try:
        await event_reminders(context, now)
    except Exception:
        log.exception("event reminders could not be written")
    await send_due(context)
    context.bot_data.metrics.swept(context.clock.now())  # what /healthz shows


async def _corrections(session: AsyncSession, due: list[tuple[Group, Day]]) -> Corrections:
    """The calendar corrections the due groups' mornings look at, in one statement: the
    days of this month so far (today, and the month's first working day) and, from
    November, the days worked next year (whether its makeup days are known)."""
    if not due:
        return Corrections()
    first = min(d.today.replace(day=1) for _, d in due)
    last = max(d.today for _, d in due)
    makeup = last.year + 1 if last.month >= REMIND_FROM else None
    return await corrections(session, [g.id for g, _ in due], first, last, makeup)


async def morning(
    context: Ctx, group: Group, day: Day, now: datetime, calendar: WorkCalendar
) -> Outcome | None:
    """Handle the group's morning once: the briefing (unless it is a day off on the
    group's ``calendar`` or too late), the day's deadline reminders and birthday
    greetings, on the month's first working day last month's report to the admins (what
    the features add to a morning: ``Features.mornings``), and from November the week's
    reminder to enter next year's makeup days. None when another sweep handled it
    first."""
    local = _local(group, now)
    outcome = briefing_outcome(local, group.briefing_time, group.workdays_only, calendar)
    t = for_language(group.language)
    async with context.write_unclaimed() as session:
        if not await take_morning(session, group.id):  # another process is at it
            return None
        since = await since_last_briefing(session, group, now)
        key = slots.morning(group.id, day.today)
        if not await claim_slot(session, key, group.id, outcome, now):
            return None
        notes = []
        for hook in context.features.mornings:
            note = await hook.write(session, context, group, day.today, now, calendar)
            if note is not None:
                notes.append(note)
        soon = await due_soon(session, group.id, day.today, REMINDER_CAP)
        anniversaries = await birthdays(session, group.id, day.today)
        if outcome == Outcome.SENT:
            content = await briefing(
                session, group.id, day, since, now, soon=soon, anniversaries=anniversaries
            )
            message = outgoing(
                group.chat_id,
                render_briefing(t, group, day.today, content, notes=notes),  # its pages
                bulk=True,
                key=slots.briefing(group.id, day.today),
                group_id=group.id,
            )
            await enqueue(session, message, now)
        elif outcome == Outcome.LATE:
            log.warning(
                "the briefing of group %s for %s is skipped: the bot came back at %s, after %s",
                group.id,
                day.today,
                local.strftime("%H:%M"),
                catch_up_until(group.briefing_time).strftime("%H:%M"),
            )
        await _deadline_reminders(session, context, group, day, now, soon.items)
        await _birthday_greetings(session, group, day, now, anniversaries)
        if outcome != Outcome.DAY_OFF:  # a working morning
            await remind_makeup_days(session, context, group, day.today, now, calendar)
    return outcome


async def _deadline_reminders(
    session: AsyncSession, context: Ctx, group: Group, day: Day, now: datetime, items: list[Due]
) -> None:
    """Milestones and issue deadlines due tomorrow or today (``items``): one private
    message to each person responsible (still in the group) listing theirs; those the
    bot cannot write to are named in one note in the group. A deadline moved later is
    reminded again on its new dates (the keys carry the day)."""
    members = await still_members(session, group.id, (p.user_id for d in items for p in d.people))
    t = for_language(group.language)
    in_group: list[Html] = []
    theirs: dict[int, tuple[Member, list[Due]]] = {}
    for item in items:
        for person in item.people:
            if person.user_id not in members:
                continue  # left the group: its reminders are no business of theirs
            if not person.reachable:
                in_group.append(unreachable_line(t, person, item, day.today))
                continue
            theirs.setdefault(person.user_id, (person, []))[1].append(item)
    for person, own in theirs.values():
        theirs_t = for_person(person.language_code, group.language)
        text = deadline_reminder(theirs_t, group, own, day.today)
        key = slots.deadlines(group.id, day.today, person.user_id)
        await enqueue(
            session,
            outgoing(person.user_id, text, bulk=True, key=key, group_id=group.id),
            now,
        )
    if in_group:
        await enqueue(
            session,
            outgoing(
                group.chat_id,
                deadlines_in_group(t, in_group),
                start_bot_button(context, t),
                bulk=True,
                key=slots.deadlines(group.id, day.today),
                group_id=group.id,
            ),
            now,
        )


async def _birthday_greetings(
    session: AsyncSession,
    group: Group,
    day: Day,
    now: datetime,
    anniversaries: list[tuple[Member, int]],
) -> None:
    """A private greeting to each member whose political birthday is today (once per
    person and day, whichever of their groups gets there first)."""
    for member, years in anniversaries:
        if not member.reachable:
            continue  # the briefing names them in the group
        t = for_person(member.language_code, group.language)
        await enqueue(
            session,
            outgoing(
                member.user_id,
                birthday_greeting(t, group, member, years),
                bulk=True,
                key=slots.birthday(member.user_id, day.today),
                group_id=group.id,
            ),
            now,
        )


async def event_reminders(context: Ctx, now: datetime) -> None:
    """The events starting within a day: their 24 h and 1 h reminders, privately to each
    person with a place and in the group — one message for all the group's events due
    a reminder at once. Each reminder's slot (``event:<id>:24h``) is written once."""
    async with context.read() as session:
        soon = await starting_between(session, now, now + EVENT_MARKS["24h"])
        keys = {
            slots.event_reminder(e.id, m): (e, g, m)
            for e, g in soon
            for m in event_marks(e.starts_at, e.created_at, now)
        }
        done = await handled(session, keys)
    by_group: dict[int, list[tuple[str, Event, Group, str]]] = {}
    for key, (event, group, mark) in keys.items():
        if key not in done:
            by_group.setdefault(group.id, []).append((key, event, group, mark))
    for due in by_group.values():
        try:
            await _remind_group(context, due, now)
        except Exception:  # one group's trouble never stops the others' reminders
            log.exception("event reminders of group %s could not be written", due[0][2].id)


async def _remind_group(
    context: Ctx, due: list[tuple[str, Event, Group, str]], now: datetime
) -> None:
    group = due[0][2]
    t = for_language(group.language)
    async with context.write_unclaimed() as session:
        said: list[str] = []
        claimed: list[str] = []
        for key, event, _, mark in due:
            if not await claim_slot(session, key, group.id, Outcome.SENT, now):
                continue  # another sweep wrote this reminder
            claimed.append(key)
            said.append(event_reminder(t, group, event, mark, private=False))
            for person in await signed_up(session, event):
                if not person.reachable:
                    continue  # they see the group's reminder
                theirs = for_person(person.language_code, group.language)
                await enqueue(
                    session,
                    outgoing(
                        person.user_id,
                        event_reminder(theirs, group, event, mark, private=True),
                        bulk=True,
                        key=f"{key}:{person.user_id}",
                        group_id=group.id,
                    ),
                    now,
                )
        if not said:
            return
        await enqueue(
            session,
            outgoing(
                group.chat_id,
                split_message(_spaced(said)),  # its pages, in order
                bulk=True,
                key=f"{claimed[0]}:group",
                group_id=group.id,
            ),
            now,
        )


def _spaced(texts: list[str]) -> list[str]:
    """Several messages' texts as the lines of one, a blank line between them."""
    lines: list[str] = []
    for text in texts:
        if lines:
            lines.append("")
        lines.append(text)
    return lines


async def sweep(context: Ctx) -> None:
    """The job: a sweep, unless scheduling is switched off (tests that sweep by hand)."""
    if context.bot_data.db is None or not context.bot_data.options.scheduling:
        return
    await run_sweep(context)
