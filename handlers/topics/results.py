"""Topics — progress and results: /progress /done, the rating buttons, /approve
/reject (the results wall, /wall, is ``handlers.wall``)."""

from __future__ import annotations

import contextlib

from telegram import (
    Update,
)
from telegram.error import BadRequest

from domain.errors import InvalidValue, UsageError
from domain.kinds import Subject
from domain.parsing import (
    parse_percent,
    progress_bar,
)
from handlers.common import require_group
from handlers.context import Ctx
from handlers.i18n import for_person
from handlers.invocation import Invocation, announce_with_photos
from handlers.media import kick_downloads
from handlers.outbox import outgoing, send_later
from handlers.topics.keyboards import rating_keyboard
from handlers.topics.views import (
    names,
    rating_text,
)
from storage import topics as store
from storage.models import Member, Topic
from storage.topics import RatingSummary


async def progress_command(inv: Invocation) -> None:
    """A claimant's progress update, with photos when sent as a caption."""
    if len(inv.args) < 2:
        raise UsageError("progress")
    number = inv.number(inv.args[0])
    percent = parse_percent(inv.args[1])
    if percent is None:
        raise InvalidValue("error.bad_percent", value=inv.args[1], command="progress")
    note = inv.text_after(2, "note", required=False)
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        event = await store.add_progress(
            session, topic, inv.user_id, percent, note, inv.photos, inv.context.clock.now()
        )
        await inv.link_album(session, (Subject.TOPIC_EVENT, event.id))
        who = await session.get(Member, inv.user_id)
    if inv.photos:
        kick_downloads(inv.context)
    text = inv.t(
        "topic.progress_posted",
        number=number,
        title=topic.title,
        bar=progress_bar(percent),
        who=who.display_name if who else "",
        note=note,
        photos=inv.t.plain("topic.photo_count", count=len(inv.photos)) if inv.photos else "",
    )
    await announce_with_photos(inv, text)


async def done_command(inv: Invocation) -> None:
    """A claimant submits the result; the group is asked to rate it."""
    number, result = inv.number_and_text("result")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        event = await store.submit_result(
            session, topic, inv.user_id, result, inv.photos, inv.context.clock.now()
        )
        await inv.link_album(session, (Subject.TOPIC_EVENT, event.id))
        who = await session.get(Member, inv.user_id)
    if inv.photos:
        kick_downloads(inv.context)
    t = inv.t
    text = t(
        "topic.submitted",
        number=number,
        title=topic.title,
        who=who.display_name if who else "",
        result=result,
        photos=t.plain("topic.photo_count", count=len(inv.photos)) if inv.photos else "",
    )
    message_id = await announce_with_photos(inv, text, rating_keyboard(t, number))
    async with inv.transaction() as session:  # the same claim as the submission
        await store.set_result_message(session, topic.id, message_id)


async def on_rate_button(update: Update, context: Ctx) -> None:
    """A 1-5 rating button under a submitted result."""
    query = update.callback_query
    assert query is not None and query.data is not None
    group = require_group(update, context)
    _, number_raw, stars_raw = query.data.split(":")
    number, stars = int(number_raw), int(stars_raw)
    async with context.transaction() as session:
        topic = await store.get_topic(session, group.id, number)
        previous, summary = await store.rate(
            session, topic, query.from_user.id, stars, context.clock.now()
        )
    t = context.t
    key = "topic.rated" if previous is None else "topic.rerated"
    await query.answer(
        t.plain(
            key, stars=stars, number=number, average=f"{summary.average:.1f}", count=summary.count
        )
    )


async def approve_command(inv: Invocation) -> None:
    """The secretary approves: done, on the results wall."""
    inv.require_admin()
    if not inv.args:
        raise UsageError("approve")
    number = inv.number(inv.args[0])
    comment = inv.text_after(1, "comment", required=False)
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        topic = await store.approve(session, topic, inv.user_id, comment, inv.context.clock.now())
        summary = (await store.rating_summaries(session, [topic.id])).get(topic.id, RatingSummary())
    await _close_rating(inv, topic)
    await inv.announce(
        inv.t(
            "topic.approved",
            number=number,
            title=topic.title,
            rating=rating_text(inv.t, summary),
            comment=f"\n{comment}" if comment else "",
        )
    )


async def reject_command(inv: Invocation) -> None:
    """Back to in progress; the reason goes to the claimants."""
    inv.require_admin()
    number, reason = inv.number_and_text("reason")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        topic = await store.reject(session, topic, inv.user_id, reason, inv.context.clock.now())
        people = (await store.claimants(session, [topic.id])).get(topic.id, [])
        for person in people:  # the reason, privately, once this commits (or after a crash)
            if not person.reachable:
                continue  # the group's announcement names them
            theirs = for_person(person.language_code, inv.group.language)
            note = theirs(
                "topic.rejected_private",
                number=number,
                title=topic.title,
                reason=reason,
                group=inv.group.title,
            )
            await send_later(
                session, inv.context, outgoing(person.user_id, note, group_id=inv.group.id)
            )
    await _close_rating(inv, topic)
    await inv.announce(
        inv.t(
            "topic.rejected",
            number=number,
            title=topic.title,
            reason=reason,
            who=names(inv.t, people),
        )
    )


async def _close_rating(inv: Invocation, topic: Topic) -> None:
    if topic.result_message_id:
        with contextlib.suppress(BadRequest):
            await inv.context.bot.edit_message_reply_markup(
                chat_id=inv.group.chat_id, message_id=topic.result_message_id, reply_markup=None
            )
