"""/export issues|topics|hours: the group's register as an .xlsx file, sent to the chat.

The issue register is made in the background: rows are read in chunks, each in its own
short read transaction (no transaction stays open while the file grows, so no other
group waits), and written by a worker thread (the event loop keeps serving). If it is
not ready within a moment, the admin is told it is on its way. Telegram takes files
of at most 50 MB from a bot: a bigger register is kept on the server and the admin is
told so instead. The registers' maker (openpyxl) is imported when the first one is
made, not at start.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path

from telegram import Update

from domain.errors import Refused, UsageError
from handlers.days import local_day
from handlers.files import notice_unless_made, send_file
from handlers.i18n import Translator, for_language
from handlers.invocation import Invocation
from storage import hours as hours_store
from storage import issue_reads, topic_reads
from storage.members import members_by_id

log = logging.getLogger(__name__)

MAX_EXPORTS = 2  # registers made at once, whatever the number of groups asking
# what /export makes, by the word that asks for it (Chinese first, as the usage shows)
WHAT = {
    "问题": "issues",
    "课题": "topics",
    "时长": "hours",
    "issues": "issues",
    "topics": "topics",
    "hours": "hours",
}


@dataclass
class Exports:
    """The groups whose register is being made, and the slots that bound how many are
    made at once (created on first use: a semaphore needs the running loop)."""

    running: set[int] = field(default_factory=set)
    slots: asyncio.Semaphore | None = None


async def export_command(inv: Invocation) -> None:
    """Admins get the issue register, the topic list or the hours register as an .xlsx
    file (the issue and hours registers are made in the background, a chunk at a
    time)."""
    inv.require_admin()
    what = WHAT.get(inv.args[0].lower()) if len(inv.args) == 1 else None
    if what is None:
        raise UsageError("export")
    t = for_group(inv)
    day = local_day(inv.group, inv.context.clock.now()).isoformat()
    filename = t.plain(f"export.{what}.filename", date=day)
    path = inv.context.config.media.dir / str(inv.group.id) / "exports" / filename
    if what == "topics":
        await _topic_list(inv, t, path, day)
        return
    running = inv.context.bot_data.state(Exports).running
    if inv.group.id in running:
        raise Refused("export.busy")
    # claimed before the work starts: the register may outlive this update, and a
    # redelivery must not make a second; its answer is the file, so no "done" stand-in
    inv.context.acknowledged = True
    await inv.claim()
    running.add(inv.group.id)
    update = inv.context.current_update
    make = _hours_register if what == "hours" else _issue_register
    made = asyncio.Event()
    task = inv.context.application.create_task(
        make(inv, t, path, day, made),
        update=update if isinstance(update, Update) else None,
        name=f"export-{inv.group.id}",
    )
    task.add_done_callback(lambda _: running.discard(inv.group.id))
    task.add_done_callback(_retrieve)  # its error, if any, was reported with the update
    notice_after = inv.context.bot_data.options.notice_after.total_seconds()
    await notice_unless_made(inv, task, made, notice_after, t("export.working"))


def _retrieve(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()


async def _topic_list(inv: Invocation, t: Translator, path: Path, day: str) -> None:
    """The topic list (small: made at once) and sent."""
    from handlers.export import sheets

    async with inv.context.read() as session:
        board = await topic_reads.topic_board(session, inv.group.id)
    zone, top = inv.group.timezone, heading(inv, day)
    size = await asyncio.to_thread(
        sheets.topic_list, path, t, board.topics, board.claimants, board.ratings, zone, top
    )
    await send_file(inv, t, path, size, t.plain("export.topics.caption", date=day))


async def _issue_register(
    inv: Invocation, t: Translator, path: Path, day: str, made: asyncio.Event
) -> None:
    """Read the register in chunks and stream it into the file, then send it."""
    from handlers.export import sheets

    async with _slots(inv):
        register = sheets.issue_register(path, t, heading(inv, day))
        after = 0
        while True:
            async with inv.context.read(heavy=True) as session:
                chunk = await issue_reads.export_chunk(session, inv.group.id, after)
            if not chunk:
                break
            rows = sheets.issue_rows(t, chunk, inv.group.timezone)
            await asyncio.to_thread(register.add, rows)
            after = chunk[-1].issue.number
        size = await asyncio.to_thread(register.close)
    log.info("issue register of group %s: %d rows, %d bytes", inv.group.id, register.rows, size)
    caption = t.plain("export.issues.caption", date=day)
    await send_file(inv, t, path, size, caption, made=made)


async def _hours_register(
    inv: Invocation, t: Translator, path: Path, day: str, made: asyncio.Event
) -> None:
    """Read the hours register a hundred events at a time and stream it into the file,
    then send it."""
    from handlers.export import sheets

    async with _slots(inv):
        register = sheets.hours_register(path, t, heading(inv, day))
        after: hours_store.EventKey | None = None
        while True:
            async with inv.context.read(heavy=True) as session:
                chunk, after = await hours_store.register_chunk(session, inv.group.id, after)
                recorders = await members_by_id(
                    session, {s.recorded_by for _, s, _ in chunk if s.recorded_by is not None}
                )
            rows = sheets.hours_rows(t, chunk, inv.group.timezone, recorders)
            await asyncio.to_thread(register.add, rows)
            if after is None:
                break
        size = await asyncio.to_thread(register.close)
    log.info("hours register of group %s: %d rows, %d bytes", inv.group.id, register.rows, size)
    caption = t.plain("export.hours.caption", date=day)
    await send_file(inv, t, path, size, caption, made=made)


def heading(inv: Invocation, day: str) -> str:
    """What the register's printed pages say at the top, after its title: the group
    and the day it was made."""
    return f"{inv.group.title or inv.group.chat_id} · {day}"


def _slots(inv: Invocation) -> asyncio.Semaphore:
    exports = inv.context.bot_data.state(Exports)
    if exports.slots is None:
        exports.slots = asyncio.Semaphore(MAX_EXPORTS)
    return exports.slots


def for_group(inv: Invocation) -> Translator:
    """The group's language (registers are the group's documents)."""
    return for_language(inv.group.language)
