"""Events — 补录, recording what already happened: an activity entered after it took place
(``/newevent`` with a start in the past: no buttons, reminders or check-in), people
recorded as present by an admin (``/attendance n add @user … [2.5h]``, ``remove``), and
the attendance sheet that shows them apart from check-ins. Parse, one transaction,
reply."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from domain.attendance import AttendanceChange, parse_change
from domain.errors import InvalidValue, Refused, UsageError
from domain.events import hours_text
from domain.parsing import ArgumentError
from handlers.event_lines import when_text
from handlers.events.notify import refresh_soon
from handlers.events.views import render_attendance
from handlers.i18n import Html
from handlers.invocation import Invocation
from handlers.people import named_people, named_person
from storage import event_reads as reads
from storage import events as store
from storage.attendance import event_minutes, record_present, remove_record
from storage.members import members_by_id
from storage.models import Event, Member


async def record_event(inv: Invocation, draft: store.EventDraft, now: datetime) -> None:
    """An admin's ``/newevent`` whose start has passed: the activity is recorded (补录)
    without buttons, reminders or check-in (no places either: it took place), and the
    reply says how to add who took part."""
    draft = replace(draft, recorded=True, cap=None, walk_in=False)
    async with inv.transaction() as session:
        event = await store.create_event(session, inv.group.id, inv.user_id, draft, now)
    when = when_text(inv.t, inv.group, event)
    await inv.reply(inv.t("event.recorded", number=event.number, title=event.title, when=when))


async def attendance_command(inv: Invocation) -> None:
    """``/attendance n``: who signed up, who came and how (check-in or 补录), hours, who
    waits, who did not come. Admins: ``add @user … [2.5h]`` records people as present
    after the fact, ``remove @user …`` takes such a record back."""
    if not inv.args:
        raise UsageError("attendance")
    number = inv.number(inv.args[0])
    if len(inv.args) == 1:
        await _sheet(inv, number)
        return
    inv.require_admin()
    try:
        change = parse_change(inv.args[1:])
    except ArgumentError as error:
        raise InvalidValue(error.key, command="attendance", **error.params) from None
    except ValueError:
        raise UsageError("attendance") from None
    await _change(inv, number, change)


async def _sheet(inv: Invocation, number: int) -> None:
    """The attendance sheet, with who recorded each 补录 attendance."""
    async with inv.context.read() as session:
        event = await store.get_event(session, inv.group.id, number)
        people = await reads.people(session, event.id)
        recorders = await members_by_id(
            session, {s.recorded_by for s, _ in people if s.recorded_by is not None}
        )
    now = inv.context.clock.now()
    for chunk in render_attendance(inv.t, inv.group, event, people, now, recorders):
        await inv.reply(chunk)


async def _change(inv: Invocation, number: int, change: AttendanceChange) -> None:
    """Add or remove the people named, all of them in one transaction; if anyone named
    is not a member of the group, nothing is written and the reply names them all."""
    if change.names:
        people, unknown = await named_people(inv.context, inv.group, inv.message, change.names)
    else:  # sent as a reply to the person's message
        author = await named_person(inv.context, inv.group, inv.message, None)
        if author is None:
            raise UsageError("attendance")
        people, unknown = [author], []
    if unknown:
        separator = inv.t.plain("list.separator")
        raise Refused("attendance.unknown", names=separator.join(unknown))
    ids = [m.user_id for m in people]
    now, zone = inv.context.clock.now(), inv.group.timezone
    async with inv.transaction() as session:
        event = await store.get_event(session, inv.group.id, number)
        if change.add:
            done = await record_present(session, event, ids, inv.user_id, change.minutes, now, zone)
            parts = [("added", done.added), ("updated", done.updated), ("kept", done.kept)]
        else:
            undone = await remove_record(session, event, ids, now)
            parts = [
                ("removed", undone.removed),
                ("checked_in", undone.checked_in),
                ("not_recorded", undone.not_recorded),
            ]
    if event.announce_message_id is not None:  # its count of people checked in
        refresh_soon(inv.context, inv.group.chat_id, event.id)
    minutes = change.minutes if change.minutes is not None else event_minutes(event)
    await inv.reply(_outcome(inv, event, {m.user_id: m for m in people}, parts, minutes))


def _outcome(
    inv: Invocation,
    event: Event,
    people: dict[int, Member],
    parts: list[tuple[str, list[int]]],
    minutes: int,
) -> Html:
    """The reply: the activity, then one line for each outcome someone had."""
    t = inv.t
    separator = t.plain("list.separator")
    lines = [t("attendance.changed_title", number=event.number, title=event.title)]
    for key, user_ids in parts:
        if user_ids:
            names = separator.join(people[uid].display_name for uid in user_ids)
            lines.append(t(f"attendance.{key}", names=names, hours=hours_text(minutes)))
    if any(key == "added" and ids for key, ids in parts):
        lines.append(t("attendance.added_hint", number=event.number))
    return Html("\n".join(lines))
