"""Events — messages that follow a change: the announcement edited in place as people
join, leave and check in (a second after the presses stop, then at most every 10
seconds per event, behind replies to people), and private notices (moving up from the
waiting list) with a fallback in the group for people the bot cannot write to."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, TelegramError
from telegram.ext import JobQueue

from domain.kinds import BULK_SEND
from handlers.common import deep_link, fit
from handlers.context import Ctx
from handlers.events.keyboards import signup_keyboard
from handlers.events.views import announcement
from handlers.i18n import Html, Translator, escape, for_language
from handlers.outbox import outgoing
from handlers.private import start_bot_button
from storage import event_reads as reads
from storage.groups import get_group
from storage.models import Event, Group, Member
from storage.outbox import Outgoing

log = logging.getLogger(__name__)
JOB_PREFIX = "event-announcement-"


@dataclass
class Announcements:
    """When each event's announcement was last edited (monotonic seconds, by event id):
    one announcement is edited at most every ``announce_interval``."""

    edited_at: dict[int, float] = field(default_factory=dict)


def checkin_url(context: Ctx, event: Event) -> str:
    """The deep link that starts the check-in to ``event`` in private chat. Its payload
    is the event's secret link token: bound to the event, not guessable, useless after
    the event has ended."""
    return deep_link(context, f"ev-{event.link_token}")


def announcement_markup(context: Ctx, t: Translator, event: Event) -> InlineKeyboardMarkup | None:
    """The buttons under the announcement; none once the event is over, and none for a
    recorded activity (补录)."""
    if event.recorded or event.ends_at <= context.clock.now():
        return None
    return signup_keyboard(t, event.number, checkin_url(context, event))


def refresh_soon(context: Ctx, chat_id: int, event_id: int) -> None:
    """Edit the event's announcement to show its count as it is now, in a moment: many
    joins in a row become one edit, and one announcement is edited at most every
    ``announce_interval`` (a group may receive 20 messages a minute, edits included;
    replies to people must not wait behind a count)."""
    job_queue: JobQueue[Ctx] | None = context.job_queue  # type: ignore[assignment]
    if job_queue is None:
        return
    name = f"{JOB_PREFIX}{event_id}"
    if job_queue.get_jobs_by_name(name):
        return
    data = context.bot_data
    last = data.state(Announcements).edited_at.get(event_id)
    delay = data.options.announce_delay.total_seconds()
    if last is not None:
        delay = max(delay, last + data.options.announce_interval.total_seconds() - time.monotonic())
    job_queue.run_once(  # however late a busy loop lets it start, it runs
        refresh_announcement,
        delay,
        data=(chat_id, event_id),
        name=name,
        job_kwargs={"misfire_grace_time": None},
    )


async def refresh_announcement(context: Ctx) -> None:
    """The job that edits an announcement (data: chat id, event id) to show the event as
    it is now; an edit that would change nothing is no error."""
    job = context.job
    assert job is not None
    data: tuple[int, int] = job.data  # type: ignore[assignment]
    chat_id, event_id = data
    async with context.read() as session:
        group = await get_group(session, chat_id)
        event = await session.get(Event, event_id)
        present = (await reads.attended(session, [event_id])).get(event_id, 0)
    if group is None or event is None or event.group_id != group.id:
        return
    if event.announce_message_id is None:
        return
    t = for_language(group.language)
    text = announcement(t, group, event, present, context.clock.now())
    edited = context.bot_data.state(Announcements).edited_at
    if len(edited) > 10_000:  # forget old events rather than grow for ever
        edited.clear()
    edited[event_id] = time.monotonic()
    try:
        await context.bot.edit_message_text(
            fit(text),
            chat_id=group.chat_id,
            message_id=event.announce_message_id,
            reply_markup=announcement_markup(context, t, event),
            # the context's bot is typed without rate-limiter arguments; ours takes this
            rate_limit_args=BULK_SEND,  # type: ignore[arg-type]
        )
    except BadRequest as error:  # "message is not modified" (nothing changed), or deleted
        log.debug("announcement of event %s not edited: %s", event_id, error.message)
    except TelegramError as error:  # the group is gone, the network failed: next time
        log.warning("announcement of event %s not edited: %s", event_id, error)


def private_notice(
    context: Ctx, group: Group, member: Member, text: Html, fallback_key: str
) -> Outgoing:
    """A private notice for the outbox (it goes out once the change it follows commits).
    A person the bot cannot write to (never pressed Start, or blocked it) is named in the
    group instead with ``fallback_key`` and a Start button — at once when that is known,
    or by the sender when Telegram refuses the private message."""
    t = for_language(group.language)
    mention = Html(
        f'<a href="tg://user?id={int(member.user_id)}">{escape(member.display_name)}</a>'
    )
    note = outgoing(
        group.chat_id,
        Html(t(fallback_key, who=mention) + "\n" + t("private.unreachable_hint")),
        start_bot_button(context, t),
        group_id=group.id,
    )
    if not member.reachable:
        return note
    return outgoing(member.user_id, text, group_id=group.id, fallback=note)
