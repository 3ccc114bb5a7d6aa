"""Topics — 领题解题: /newtopic /topics /topic /claim /release /milestone /progress /done
/approve /reject /wall, the Claim button and the 1-5 rating buttons."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from domain.errors import InvalidValue, NotClaimant, UsageError
from domain.kinds import Subject
from domain.parsing import (
    ArgumentError,
    check_future,
    future_date,
    parse_int,
    parse_newtopic,
    parse_percent,
    progress_bar,
)
from domain.text import bounded
from handlers import commands
from handlers.commands import CommandSpec
from handlers.common import CAPTION, command, fit, reply, require_group, split_message
from handlers.context import Ctx
from handlers.i18n import Html, Translator
from handlers.invocation import Invocation, announce_with_photos, register_command
from handlers.media import kick_downloads
from handlers.people import named_person
from storage import topics as store
from storage.models import Group, Member, Topic
from storage.topics import RatingSummary, TopicDetail

STATUS_ICONS = {"open": "🟢", "claimed": "🔨", "review": "⭐", "done": "🏆"}


# ---------------------------------------------------------------- rendering helpers


def names(t: Translator, people: list[Member]) -> str:
    """``张工、李四`` (or a dash when nobody)."""
    return t.plain("list.separator").join(p.display_name for p in people) or "—"


def local(moment: datetime, group: Group) -> datetime:
    """A UTC moment in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone))


def today(inv_group: Group, now: datetime) -> date:
    """Today's date in the group."""
    return local(now, inv_group).date()


def rating_text(t: Translator, summary: RatingSummary) -> Html:
    """``★ 4.3（3 人）`` or "not rated yet"."""
    if not summary.count:
        return t("topic.no_ratings")
    return t("topic.rating", average=f"{summary.average:.1f}", count=summary.count)


def status_text(t: Translator, status: str) -> str:
    """The localised status name."""
    return t.plain(f"topic.status.{status}")


def render_list(
    t: Translator,
    topics: list[Topic],
    people: dict[int, list[Member]],
    ratings: dict[int, RatingSummary],
) -> tuple[list[Html], InlineKeyboardMarkup | None]:
    """/topics: by status, with a Claim button under each claimable topic."""
    if not topics:
        return [t("topics.empty")], None
    lines: list[str] = [t("topics.title", count=len(topics))]
    current = ""
    buttons = []
    for topic in topics:
        if topic.status != current:
            current = topic.status
            lines.append(
                t("topics.section", icon=STATUS_ICONS[current], status=status_text(t, current))
            )
        detail = t(
            "topics.line",
            number=topic.number,
            title=topic.title,
            taken=topic.claimed_count,
            slots=topic.slots,
            who=names(t, people.get(topic.id, [])),
        )
        if topic.status == "claimed":
            detail = Html(detail + " " + progress_bar(topic.progress))
        if topic.status == "review":
            detail = Html(detail + " " + rating_text(t, ratings.get(topic.id, RatingSummary())))
        if topic.due_on and topic.status in ("open", "claimed"):
            detail = Html(detail + t("topics.due", date=topic.due_on.isoformat()))
        lines.append(detail)
        if topic.status in store.CLAIMABLE and topic.claimed_count < topic.slots:
            buttons.append(
                InlineKeyboardButton(
                    t.plain("topics.claim_button", number=topic.number),
                    callback_data=f"claim:{topic.number}:list",
                )
            )
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)][:30]
    return split_message(lines), InlineKeyboardMarkup(rows) if rows else None


def render_detail(t: Translator, group: Group, detail: TopicDetail, now: datetime) -> list[Html]:
    """/topic n: description, claimants, progress bar, milestones, progress log, result,
    rating and history."""
    topic = detail.topic
    lines = [
        t("topic.head", icon=STATUS_ICONS[topic.status], number=topic.number, title=topic.title),
        t(
            "topic.status_line",
            status=status_text(t, topic.status),
            taken=topic.claimed_count,
            slots=topic.slots,
        ),
    ]
    if topic.due_on:
        lines.append(t("topic.due_line", date=topic.due_on.isoformat()))
    if topic.description:
        lines.append(t("topic.description", text=topic.description))
    lines.append(t("topic.claimants", who=names(t, detail.claimants)))
    lines.append(t("topic.progress_line", bar=progress_bar(topic.progress)))
    day = today(group, now)
    if detail.milestones:
        lines.append(t("topic.milestones"))
        for milestone in detail.milestones:
            if milestone.done_at:
                mark = "✔"
                when = ""
            elif topic.status in ("review", "done"):
                mark = "○"  # the topic moved on without this step being marked done
                when = ""
            elif milestone.due_on < day:
                mark = "⚠️"
                when = t.plain("topic.overdue", days=(day - milestone.due_on).days)
            else:
                mark = "⏳"
                when = t.plain("topic.due_in", days=(milestone.due_on - day).days)
            lines.append(
                t(
                    "topic.milestone_line",
                    mark=mark,
                    date=milestone.due_on.isoformat(),
                    text=milestone.text,
                    when=when,
                )
            )
    progress = [e for e in detail.events if e.kind == "progress"]
    if progress:
        lines.append(t("topic.progress_log"))
        for event in progress:
            shown = len(detail.photos.get(event.id, []))
            lines.append(
                t(
                    "topic.progress_entry",
                    when=local(event.at, group).strftime("%m-%d"),
                    who=_person(detail, event.actor_id),
                    percent=event.progress or 0,
                    note=event.note,
                    photos=t.plain("topic.photo_count", count=shown) if shown else "",
                )
            )
    if topic.result:
        lines.append(t("topic.result", text=topic.result))
        lines.append(rating_text(t, detail.rating))
    lines.append(t("topic.history"))
    for event in detail.events:
        lines.append(
            t(
                "topic.history_line",
                when=local(event.at, group).strftime("%m-%d %H:%M"),
                who=_person(detail, event.actor_id),
                what=t.plain(
                    f"topic.event.{event.kind}",
                    subject=_person(detail, event.subject_id) if event.subject_id else "",
                ),
                note=f" — {event.note}" if event.note and event.kind not in ("progress",) else "",
            )
        )
    return split_message(lines)


def _person(detail: TopicDetail, user_id: int | None) -> str:
    member = detail.people.get(user_id or 0)
    return member.display_name if member else str(user_id)


def rating_keyboard(t: Translator, number: int) -> InlineKeyboardMarkup:
    """The 1-5 buttons under a submitted result."""
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton("⭐" * 1 + str(s), callback_data=f"rate:{number}:{s}")
                for s in range(1, 6)
            ]
        ]
    )


# ---------------------------------------------------------------- commands


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
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t.plain("topics.claim_button", number=topic.number),
                    callback_data=f"claim:{topic.number}",
                )
            ]
        ]
    )
    await inv.announce(text, markup)


async def topics_command(update: Update, context: Ctx) -> None:
    """The group's topics by status, with Claim buttons."""
    group = require_group(update, context)
    if context.args:
        raise UsageError("topics")
    chunks, markup = await _list(context, group)
    for index, chunk in enumerate(chunks):
        await reply(update, context, chunk, markup if index == len(chunks) - 1 else None)


async def _list(context: Ctx, group: Group) -> tuple[list[Html], InlineKeyboardMarkup | None]:
    async with context.read() as session:
        topics = await store.list_topics(session, group.id)
        ids = [t.id for t in topics]
        people = await store.claimants(session, ids)
        ratings = await store.rating_summaries(session, ids)
    return render_list(context.t, topics, people, ratings)


async def topic_command(inv: Invocation) -> None:
    """One topic in full, then its photos."""
    if len(inv.args) != 1:
        raise UsageError("topic")
    number = inv.number(inv.args[0])
    async with inv.context.read() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        detail = await store.topic_detail(session, topic)
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
    if len(inv.args) != 1:
        raise UsageError("claim")
    number = inv.number(inv.args[0])
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
    await query.answer(context.t.plain("topic.claimed_answer", number=number))
    await context.bot.send_message(group.chat_id, text)
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
    target = inv.user_id
    word = inv.args[1] if len(inv.args) == 2 else None
    # replying to a colleague's message names them only for an admin; a member who
    # replies with /release gives up their own claim
    named = (
        await named_person(inv.context, inv.group, inv.message, word)
        if word is not None or inv.is_admin
        else None
    )
    if named is not None and named.user_id != inv.user_id:
        inv.require_admin()
        target = named.user_id
    elif len(inv.args) == 2 and named is None:
        raise UsageError("release")
    now = inv.context.clock.now()
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        if (
            target == inv.user_id
            and inv.is_admin
            and not await store.is_claimant(session, topic.id, target)
        ):
            holders = (await store.claimants(session, [topic.id])).get(topic.id, [])
            if len(holders) != 1:
                raise NotClaimant(number)
            target = holders[0].user_id
        topic = await store.release(session, topic, target, inv.user_id, now)
        people = await store.claimants(session, [topic.id])
        subject = await session.get(Member, target)
    who = subject.display_name if subject else str(target)
    key = "topic.released" if target == inv.user_id else "topic.taken_back"
    await inv.announce(
        inv.t(
            key,
            who=who,
            number=topic.number,
            title=topic.title,
            left=names(inv.t, people.get(topic.id, [])),
        )
    )


async def milestone_command(inv: Invocation) -> None:
    """A dated step of a topic (claimants and admins)."""
    if len(inv.args) >= 3 and inv.args[1].lower() == "done":
        await _milestone_done(inv)
        return
    if len(inv.args) < 3:
        raise UsageError("milestone")
    number = inv.number(inv.args[0])
    due_on = future_date(inv.args[1], today(inv.group, inv.context.clock.now()), "milestone")
    text = bounded(inv.rest.split(None, 2)[2], "milestone", "milestone", one_line=True)
    if not text:
        raise UsageError("milestone")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        if not inv.is_admin and not await store.is_claimant(session, topic.id, inv.user_id):
            raise NotClaimant(number)
        await store.add_milestone(
            session, topic, due_on, text, inv.user_id, inv.context.clock.now()
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
        if not inv.is_admin and not await store.is_claimant(session, topic.id, inv.user_id):
            raise NotClaimant(number)
        steps = await store.milestones(session, topic.id)
        if not 1 <= index <= len(steps):
            raise InvalidValue(
                "topic.no_such_milestone", number=number, index=index, command="milestone"
            )
        step = steps[index - 1]
        step.done_at = step.done_at or inv.context.clock.now()
    await inv.announce(inv.t("topic.milestone_done", number=number, text=step.text))


async def progress_command(inv: Invocation) -> None:
    """A claimant's progress update, with photos when sent as a caption."""
    if len(inv.args) < 2:
        raise UsageError("progress")
    number = inv.number(inv.args[0])
    percent = parse_percent(inv.args[1])
    if percent is None:
        raise InvalidValue("error.bad_percent", value=inv.args[1], command="progress")
    note = bounded(inv.rest.split(None, 2)[2], "note", "progress") if len(inv.args) > 2 else ""
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
    if len(inv.args) < 2:
        raise UsageError("done")
    number = inv.number(inv.args[0])
    result = bounded(inv.rest.split(None, 1)[1], "result", "done")
    if not result:
        raise UsageError("done")
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
    comment = bounded(inv.rest.split(None, 1)[1], "comment", "approve") if len(inv.args) > 1 else ""
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
    if len(inv.args) < 2:
        raise UsageError("reject")
    number = inv.number(inv.args[0])
    reason = bounded(inv.rest.split(None, 1)[1], "reason", "reject")
    if not reason:
        raise UsageError("reject")
    async with inv.transaction() as session:
        topic = await store.get_topic(session, inv.group.id, number)
        topic = await store.reject(session, topic, inv.user_id, reason, inv.context.clock.now())
        people = (await store.claimants(session, [topic.id])).get(topic.id, [])
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
    for person in people:
        try:
            await inv.context.bot.send_message(
                person.user_id,
                inv.t(
                    "topic.rejected_private",
                    number=number,
                    title=topic.title,
                    reason=reason,
                    group=inv.group.title,
                ),
            )
        except Exception:  # they never pressed Start, or blocked the bot: the group saw it
            continue


async def _close_rating(inv: Invocation, topic: Topic) -> None:
    if topic.result_message_id:
        with contextlib.suppress(BadRequest):
            await inv.context.bot.edit_message_reply_markup(
                chat_id=inv.group.chat_id, message_id=topic.result_message_id, reply_markup=None
            )


async def wall_command(update: Update, context: Ctx) -> None:
    """The results wall: done topics with result, claimants, rating and first photo."""
    group = require_group(update, context)
    if context.args:
        raise UsageError("wall")
    async with context.read() as session:
        entries = await store.wall(session, group.id)
    t = context.t
    if not entries:
        await reply(update, context, t("wall.empty"))
        return
    lines = [t("wall.title", count=len(entries))]
    for entry in entries:
        topic = entry.topic
        approved = local(topic.approved_at, group).date().isoformat() if topic.approved_at else ""
        lines.append(
            t(
                "wall.entry",
                number=topic.number,
                title=topic.title,
                who=names(t, entry.claimants),
                result=topic.result or "",
                rating=rating_text(t, entry.rating),
                date=approved,
            )
        )
    for chunk in split_message(lines):
        await reply(update, context, chunk)
    photos = [(e.topic, e.first_photo) for e in entries if e.first_photo is not None][:10]
    if len(photos) == 1:
        topic, photo = photos[0]
        assert photo is not None
        await context.bot.send_photo(
            group.chat_id,
            photo.file_id,
            caption=fit(t("wall.photo", number=topic.number, title=topic.title), CAPTION),
        )
    elif photos:
        await context.bot.send_media_group(
            group.chat_id,
            [
                InputMediaPhoto(
                    photo.file_id,
                    caption=fit(t("wall.photo", number=topic.number, title=topic.title), CAPTION),
                )
                for topic, photo in photos
                if photo is not None
            ],
        )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the topic commands and buttons."""
    commands.add(
        app,
        CommandSpec("newtopic", "group", admin=True, section="topics"),
        CommandSpec("topics", "group", section="topics"),
        CommandSpec("topic", "group", section="topics"),
        CommandSpec("claim", "group", section="topics"),
        CommandSpec("release", "group", section="topics"),
        CommandSpec("milestone", "group", section="topics"),
        CommandSpec("progress", "any", section="topics"),
        CommandSpec("done", "any", section="topics"),
        CommandSpec("approve", "group", admin=True, section="topics"),
        CommandSpec("reject", "group", admin=True, section="topics"),
        CommandSpec("wall", "group", section="topics"),
    )
    register_command(app, "newtopic", newtopic)
    app.add_handler(command("topics", topics_command))
    register_command(app, "topic", topic_command)
    register_command(app, "claim", claim_command)
    register_command(app, "release", release_command)
    register_command(app, "milestone", milestone_command)
    register_command(app, "progress", progress_command, photos=True)
    register_command(app, "done", done_command, photos=True)
    register_command(app, "approve", approve_command)
    register_command(app, "reject", reject_command)
    app.add_handler(command("wall", wall_command))
    app.add_handler(CallbackQueryHandler(on_claim_button, pattern=r"^claim:[0-9]{1,12}(:list)?$"))
    app.add_handler(CallbackQueryHandler(on_rate_button, pattern=r"^rate:[0-9]{1,12}:[1-5]$"))
