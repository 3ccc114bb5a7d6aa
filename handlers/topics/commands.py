"""Topics — /newtopic /topics /topic /claim /release /milestone and the Claim button:
parse, one storage call in one transaction, reply."""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest

from domain.errors import InvalidValue, UsageError
from domain.parsing import (
    ArgumentError,
    check_future,
    future_date,
    parse_int,
    parse_newtopic,
)
from handlers.common import require_group
from handlers.context import Ctx
from handlers.i18n import Html, Translator
from handlers.invocation import Invocation
from handlers.outbox import outgoing, send_later
from handlers.people import named_person
from handlers.topics.keyboards import claim_button, claim_keyboard
from handlers.topics.views import (
    names,
    render_detail,
    render_list,
    today,
)
from storage import milestones as milestone_store
from storage import topic_reads
from storage import topics as store
from storage.models import Group, Member


async def newtopic(inv: Invocation) -> None:
    """Admins list a new topic, open for claiming."""
    inv.require_admin()
    try:
        parsed = parse_newtopic(inv.rest)
    except ArgumentError as error:
        raise InvalidValue(error.key, command="newtopic", **error.params) from None
    except ValueError:
        raise UsageError("newtopic") from None
    now = inv.context.clock.now()
    if parsed.due_on:
        check_future(parsed.due_on, today(inv.group, now), "newtopic")
    async with inv.transaction() as session:
        topic = await store.create_topic(
            session,
            inv.group.id,
            inv.user_id,
            parsed.title,
            now,
            description=parsed.description,
            due_on=parsed.due_on,
            slots=parsed.slots,
        )
    t = inv.t
    text = t("topic.created", number=topic.number, title=topic.title, slots=topic.slots)
    await inv.announce(text, InlineKeyboardMarkup([[claim_button(t, topic.number)]]))


async def topics_command(inv: Invocation) -> None:
    """The group's topics by status, with Claim buttons."""
    group = inv.group
    if inv.args:
        raise UsageError("topics")
    chunks, markup = await _list(inv.context, group)
    for index, chunk in enumerate(chunks):
        await inv.reply(chunk, markup if index == len(chunks) - 1 else None)


async def _list(context: Ctx, group: Group) -> tuple[list[Html], InlineKeyboardMarkup | None]:
    async with context.read() as session:
        board = await topic_reads.topic_board(session, group.id)
    markup = claim_keyboard(context.t, board.topics)
    return render_list(context.t, board.topics, board.claimants, board.ratings), markup


async def topic_command(inv: Invocation) -> None:
    """One topic in full, then its photos."""
    number = inv.only_number()
    async with inv.context.read() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        detail = await topic_reads.topic_detail(session, topic)
    for chunk in render_detail(inv.t, inv.group, detail, inv.context.clock.now()):
        await inv.reply(chunk)
    photos = [p for event in detail.events for p in detail.photos.get(event.id, [])][-10:]
    if len(photos) == 1:
        await inv.context.bot.send_photo(inv.chat_id, photos[0].file_id)
    elif photos:
        await inv.context.bot.send_media_group(
            inv.chat_id, [InputMediaPhoto(p.file_id) for p in photos]
        )


async def claim_command(inv: Invocation) -> None:
    """Claim a topic."""
    number = inv.only_number()
    async with inv.transaction() as session:
        text = await _claim(session, inv.t, inv.group, inv.user_id, number, inv.context)
    await inv.announce(text)


async def _claim(
    session: AsyncSession, t: Translator, group: Group, uid: int, number: int, context: Ctx
) -> Html:
    """Claim in the caller's transaction; returns the group's announcement."""
    topic = await store.get_topic(session, group.id, number)
    topic = await store.claim(session, topic, uid, context.clock.now())
    member = await session.get(Member, uid)
    return t(
        "topic.claimed",
        who=member.display_name if member else str(uid),
        number=topic.number,
        title=topic.title,
        taken=topic.claimed_count,
        slots=topic.slots,
    )


async def on_claim_button(update: Update, context: Ctx) -> None:
    """The Claim button under a topic or the list."""
    query = update.callback_query
    assert query is not None and query.data is not None
    group = require_group(update, context)
    number = int(query.data.split(":")[1])
    async with context.transaction() as session:
        text = await _claim(session, context.t, group, query.from_user.id, number, context)
        # the group hears of the claim once it commits (or after a crash)
        await send_later(session, context, outgoing(group.chat_id, text, group_id=group.id))
    await query.answer(context.t.plain("topic.claimed_answer", number=number))
    if query.data.endswith(":list"):
        await _refresh_list(update, context, group)


async def _refresh_list(update: Update, context: Ctx, group: Group) -> None:
    """The button sat under a /topics list: show the list as it is now."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    chunks, markup = await _list(context, group)
    with contextlib.suppress(BadRequest):  # unchanged, or too old to edit
        await context.bot.edit_message_text(
            chunks[-1],
            chat_id=group.chat_id,
            message_id=query.message.message_id,
            reply_markup=markup,
        )


async def release_command(inv: Invocation) -> None:
    """Give a topic up (admins: take it from someone)."""
    if not 1 <= len(inv.args) <= 2:
        raise UsageError("release")
    number = inv.number(inv.args[0])
    word = inv.args[1] if len(inv.args) == 2 else None
    # replying to a colleague's message names them only for an admin; a member who
    # replies with /release gives up their own claim
    named = (
        await named_person(inv.context, inv.group, inv.message, word)
        if word is not None or inv.is_admin
        else None
    )
    if word is not None and named is None:
        raise UsageError("release")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        topic, target = await store.release_claim(
            session,
            topic,
            inv.user_id,
            inv.context.clock.now(),
            named=named.user_id if named is not None else None,
            by_admin=inv.is_admin,
        )
        people = await store.claimants(session, [topic.id])
        subject = await session.get(Member, target)
    who = subject.display_name if subject else str(target)
    key = "topic.released" if target == inv.user_id else "topic.taken_back"
    left = names(inv.t, people.get(topic.id, []))
    await inv.announce(inv.t(key, who=who, number=topic.number, title=topic.title, left=left))


async def milestone_command(inv: Invocation) -> None:
    """A dated step of a topic (claimants and admins)."""
    if len(inv.args) >= 3 and inv.args[1].lower() == "done":
        await _milestone_done(inv)
        return
    if len(inv.args) < 3:
        raise UsageError("milestone")
    number = inv.number(inv.args[0])
    due_on = future_date(inv.args[1], today(inv.group, inv.context.clock.now()), "milestone")
    text = inv.text_after(2, "milestone", one_line=True)
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        await milestone_store.add_milestone(
            session,
            topic,
            due_on,
            text,
            inv.user_id,
            inv.context.clock.now(),
            by_admin=inv.is_admin,
        )
    await inv.announce(
        inv.t(
            "topic.milestone_added",
            number=number,
            title=topic.title,
            date=due_on.isoformat(),
            text=text,
        )
    )


async def _milestone_done(inv: Invocation) -> None:
    number = inv.number(inv.args[0])
    index = parse_int(inv.args[2])
    if index is None or len(inv.args) != 3:
        raise UsageError("milestone")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        step = await milestone_store.complete_milestone(
            session, topic, index, inv.user_id, inv.context.clock.now(), by_admin=inv.is_admin
        )
    await inv.announce(inv.t("topic.milestone_done", number=number, text=step.text))
