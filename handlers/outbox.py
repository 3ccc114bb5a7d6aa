"""The one way out for messages that follow from a change: they are written to the
outbox in the change's transaction (:func:`send_later`) and sent by one sender.

Right after the commit the update itself sends what it wrote (an acknowledgement stays
immediate and keeps its place among the chat's messages), and a repeating job picks up
whatever is still due: after a crash, a restart, a flood wait, a network error. The sweep
sends each message in its own task, so one group's full minute never holds up another
chat; the rate limiter (bot/limits.py) spaces them out. ``RetryAfter``
and network errors are retried with back-off; ``Forbidden`` (the person never pressed
Start, blocked the bot, or the bot left the group) and other refusals mark the message
failed at once; after ``MAX_TRIES`` tries it is failed too, and kept for admins to see.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, ReplyParameters, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, JobQueue

from domain.clock import as_seconds
from domain.kinds import BULK_SEND
from handlers.common import CAPTION, fit
from handlers.context import Ctx
from storage.members import mark_unreachable
from storage.models import OutboxMessage
from storage.outbox import (
    PAGE_BREAK,
    RENEW,
    Outgoing,
    due_ids,
    enqueue,
    enqueue_to_send,
    lease,
    mark_failed,
    mark_retry,
    mark_sent,
    renew,
)

log = logging.getLogger(__name__)
JOB_NAME = "outbox"
BATCH = 100  # messages taken at once
MAX_TRIES = 5
SWEEP_EVERY = 2.0  # seconds: what is due is picked up at least this often


def outgoing(
    chat_id: int,
    text: str | Sequence[str],
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
    bulk: bool = False,
    key: str | None = None,
    group_id: int | None = None,
    fallback: Outgoing | None = None,
    document: str | None = None,
) -> Outgoing:
    """A message for the outbox: one message's worth of Telegram HTML, its inline
    buttons, the message it answers, its once-only key, the group it concerns (whose
    admins see it if it fails) and, for a private message, the group note sent instead
    when the person cannot be written to. ``text`` may be several pages (a long
    briefing): they are sent in order, as one message of the outbox."""
    pages = [text] if isinstance(text, str) else list(text)
    return Outgoing(
        chat_id=chat_id,
        text=PAGE_BREAK.join(fit(page.replace(PAGE_BREAK, " ")) for page in pages),
        markup=json.dumps(markup.to_dict(), ensure_ascii=False) if markup is not None else None,
        reply_to=reply_to,
        bulk=bulk,
        key=key,
        group_id=group_id,
        fallback=fallback,
        document=document,
    )


async def send_later(session: AsyncSession, context: Ctx, message: Outgoing) -> bool:
    """Write ``message`` in the caller's transaction. Once that commits, the update sends
    it at once, as it would a reply (so it keeps its place among the chat's messages);
    if the process dies first, the sweep sends it once its lease runs out. Never sent
    if the transaction rolls back. False when its key was used before."""
    written = await enqueue_to_send(session, message, context.clock.now())
    if written is None:
        return False
    update = context.current_update
    said = update.message if isinstance(update, Update) else None
    if said is not None and (message.chat_id, message.reply_to) == (
        said.chat_id,
        said.message_id,
    ):
        context.acknowledged = True  # the answer itself is in the outbox: no stand-in
    context.after_commit(lambda: deliver_now(context, written))
    return True


async def deliver_now(context: Ctx, message: OutboxMessage) -> None:
    """Send a message this process took for sending with its insert, now."""
    context.bot_data.sending.ids.add(message.id)
    await _send(context, message)


async def send_due(context: Ctx) -> None:
    """The sweep: take whatever is due and send each message in its own task, so one
    group's wait holds up no other chat."""
    data = context.bot_data
    if data.db is None:
        return
    now = context.clock.now()
    if data.sending.ids and time.monotonic() - data.sending.renewed_at >= RENEW.total_seconds():
        data.sending.renewed_at = time.monotonic()
        async with context.write_unclaimed() as session:  # still ours: not due elsewhere
            await renew(session, set(data.sending.ids), now)
    async with context.read() as session:  # most sweeps find nothing: no write lock
        ids = await due_ids(session, now, BATCH, data.sending.ids)
    if not ids:
        return
    async with context.write_unclaimed() as session:
        taken = await lease(session, ids, now)
    for message in taken:
        data.sending.ids.add(message.id)
        context.application.create_task(_send(context, message), name=f"outbox-{message.id}")


async def _send(context: Ctx, message: OutboxMessage) -> None:
    """Send one message and record how it went."""
    try:
        outcome = await _attempt(context, message)
        async with context.write_unclaimed() as session:
            recorded = await outcome(session)
        context.bot_data.metrics.sent(recorded)
    except Exception:  # the database failed: the lease runs out and it is tried again
        log.exception("outbox message %s: its outcome could not be recorded", message.id)
    finally:
        context.bot_data.sending.ids.discard(message.id)


# records what became of a try; says what it recorded: "sent", "retried" or "failed"
Outcome = Callable[[AsyncSession], Awaitable[str]]


async def _attempt(context: Ctx, message: OutboxMessage) -> Outcome:
    """Send the message (page by page, from the first one not sent yet: a long briefing
    keeps its order through a retry); what to record about it."""
    now = context.clock.now()
    pages = message.text.split(PAGE_BREAK)
    done_pages = message.pages_sent
    markup = (
        InlineKeyboardMarkup.de_json(json.loads(message.markup), context.bot)
        if message.markup
        else None
    )
    try:
        if message.document:
            sent = await _send_document(context, message)
        for page in range(message.pages_sent if not message.document else len(pages), len(pages)):
            sent = await context.bot.send_message(
                message.chat_id,
                pages[page],
                reply_markup=markup if page == len(pages) - 1 else None,
                reply_parameters=ReplyParameters(message.reply_to, allow_sending_without_reply=True)
                if message.reply_to and page == 0
                else None,
                # the context's bot is typed without rate-limiter arguments; ours takes this
                rate_limit_args=BULK_SEND if message.bulk else None,  # type: ignore[arg-type]
            )
            done_pages = page + 1
    except RetryAfter as error:  # Telegram's flood wait: honoured, and not a try used up
        wait = timedelta(seconds=as_seconds(error.retry_after) + 1)
        return _retry(message, str(error), now + wait, free=True, pages=done_pages)
    except ChatMigrated as error:  # the group became a supergroup: send it there
        return _retry(message, str(error), now, chat_id=error.new_chat_id, pages=done_pages)
    except Forbidden as error:
        return _failed(message, error.message, now, unreachable=message.chat_id > 0)
    except BadRequest as error:  # "chat not found": a person who never pressed Start
        gone = message.chat_id > 0 and "chat not found" in error.message.lower()
        return _failed(message, error.message, now, unreachable=gone)
    except TooBig as error:
        return _failed(message, str(error), now)
    except (TelegramError, NotMade) as error:  # the network, Telegram's own trouble: later
        if message.attempts >= MAX_TRIES:
            return _failed(message, f"{MAX_TRIES} tries: {error}", now, tries_used=True)
        later = now + timedelta(seconds=5 * 2**message.attempts)
        return _retry(message, str(error), later, pages=done_pages)
    sent_as = sent.message_id

    async def done(session: AsyncSession) -> str:
        await mark_sent(session, message.id, sent_as, now)
        return "sent"

    return done


class NotMade(Exception):
    """The file of a message could not be made (this time)."""


class TooBig(Exception):
    """The file of a message is larger than Telegram takes from a bot."""


async def _send_document(context: Ctx, message: OutboxMessage) -> Message:
    """Make the message's file (by its kind's maker) and send it, the text as caption."""
    assert message.document is not None
    kind, _, spec = message.document.partition(":")
    maker = context.bot_data.features.documents.get(kind)
    if maker is None:
        raise TooBig(f"no maker of {kind!r} files")  # never sendable by this bot
    try:
        found = await maker(context, spec, message.group_id)
    except Exception as error:
        log.exception("outbox message %s: its file could not be made", message.id)
        raise NotMade(f"the file could not be made: {type(error).__name__}") from error
    size = found.path.stat().st_size
    if size > context.bot_data.options.upload_limit:
        raise TooBig(f"the file is {size / 1024 / 1024:.0f} MB, over Telegram's 50 MB")
    with found.path.open("rb") as file:
        return await context.bot.send_document(
            message.chat_id,
            file,
            filename=found.filename,
            caption=fit(message.text.split(PAGE_BREAK)[0], CAPTION),
            rate_limit_args=BULK_SEND if message.bulk else None,  # type: ignore[arg-type]
        )


def _retry(
    message: OutboxMessage,
    error: str,
    when: datetime,
    *,
    free: bool = False,
    chat_id: int | None = None,
    pages: int = 0,
) -> Outcome:
    async def retry(session: AsyncSession) -> str:
        log.info("outbox message %s: %s; again at %s", message.id, error, when)
        await mark_retry(
            session, message.id, error, when, free=free, chat_id=chat_id, pages_sent=pages
        )
        return "retried"

    return retry


def _failed(
    message: OutboxMessage,
    error: str,
    now: datetime,
    *,
    unreachable: bool = False,
    tries_used: bool = False,
) -> Outcome:
    async def failed(session: AsyncSession) -> str:
        log.warning("outbox message %s to %s failed: %s", message.id, message.chat_id, error)
        if unreachable:  # a private chat: the person never pressed Start, or blocked us
            await mark_unreachable(session, message.chat_id, now)
        if message.fallback and (unreachable or tries_used):
            # say it in the group instead (the next sweep sends it); not for a refusal of
            # the message itself, which would name someone the bot can write to
            await enqueue(session, Outgoing.from_json(message.fallback), now)
        await mark_failed(session, message.id, error, now)
        return "failed"

    return failed


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Pick up what is due every few seconds, and once at start (what a stop or a crash
    left unsent)."""
    job_queue: JobQueue[Ctx] | None = app.job_queue
    assert job_queue is not None
    job_queue.run_repeating(
        send_due,
        interval=SWEEP_EVERY,
        first=0.2,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": 10, "coalesce": True},
    )
