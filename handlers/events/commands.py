"""Events — /newevent /events /event /join /leave /attendance and the Join / Leave
buttons: parse, one transaction, reply."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import date, datetime
from zoneinfo import ZoneInfo

from telegram import InputMediaPhoto, Update
from telegram.error import BadRequest, Forbidden

from domain.attendance import RECORD_DAYS, too_old
from domain.errors import InvalidValue, Refused, UsageError
from domain.events import DEFAULT_LENGTH, parse_newevent
from domain.kinds import SignupStatus, Subject
from domain.parsing import ArgumentError, check_future, parse_switch
from handlers.common import deep_link, reply, require_group
from handlers.context import Ctx
from handlers.events.notify import (
    announcement_markup,
    private_notice,
    refresh_soon,
)
from handlers.events.record import record_event
from handlers.events.views import (
    announcement,
    render_detail,
    render_list,
)
from handlers.i18n import Html, Translator, for_language, for_person, plain_text
from handlers.invocation import Invocation
from handlers.media import kick_downloads
from handlers.outbox import send_later
from handlers.private import start_bot_button, unreachable
from storage import event_reads as reads
from storage import events as store
from storage.members import get_member
from storage.models import Event, Group, Member
from storage.outbox import Outgoing
from storage.photos import PhotoInfo, attach_photos, photos_of

log = logging.getLogger(__name__)
SWITCHES = {
    "pin": "pin",
    "定位点": "pin",
    "code": "code",
    "签到码": "code",
    "walkin": "walkin",
    "walk-in": "walkin",
    "现场报名": "walkin",
}
PAST_WORDS = ("past", "往期", "过去", "已结束")
MAX_SHOWN_PHOTOS = 10
LISTED = 20  # upcoming events /events shows


async def newevent(inv: Invocation) -> None:
    """Admins announce a new event with Join / Leave buttons; one whose start has passed
    (up to 90 days back) is recorded instead (补录: see ``record``)."""
    inv.require_admin()
    try:
        parsed = parse_newevent(inv.rest)
    except ArgumentError as error:
        raise InvalidValue(error.key, command="newevent", **error.params) from None
    except ValueError:
        raise UsageError("newevent") from None
    zone = ZoneInfo(inv.group.timezone)
    now = inv.context.clock.now()
    _check_day(parsed.day, now.astimezone(zone).date())
    starts_at = datetime.combine(parsed.day, parsed.start, tzinfo=zone)
    ends_at = (
        datetime.combine(parsed.day, parsed.end, tzinfo=zone)
        if parsed.end is not None
        else starts_at + DEFAULT_LENGTH
    )
    draft = store.EventDraft(
        kind=parsed.kind,
        title=parsed.title,
        place=parsed.place,
        starts_at=starts_at.astimezone(ZoneInfo("UTC")),
        ends_at=ends_at.astimezone(ZoneInfo("UTC")),
        end_given=parsed.end is not None,
        cap=parsed.cap,
        latitude=parsed.latitude,
        longitude=parsed.longitude,
        walk_in=parsed.walk_in,
    )
    if starts_at <= now:
        await record_event(inv, draft, now)
        return
    async with inv.transaction() as session:
        event = await store.create_event(session, inv.group.id, inv.user_id, draft, now)
    t = _group_t(inv)
    sent = await inv.announce(
        announcement(t, inv.group, event, 0, now), announcement_markup(inv.context, t, event)
    )
    async with inv.transaction() as session:
        await store.set_announcement(session, event.id, sent.message_id)


def _check_day(day: date, today: date) -> None:
    """Refuse a day more than ten years ahead, or further back than may be recorded."""
    if too_old(day, today):
        raise InvalidValue(
            "event.record_too_old", value=day.isoformat(), days=RECORD_DAYS, command="newevent"
        )
    if day > today:
        check_future(day, today, "newevent")


def _group_t(inv: Invocation) -> Translator:
    """The group's language (an announcement is read by the whole group)."""
    return for_language(inv.group.language)


async def events_command(inv: Invocation) -> None:
    """Upcoming events with their counts; ``past``: the last ones with attendance."""
    group, context = inv.group, inv.context
    args = [a.lower() for a in inv.args]
    if len(args) > 1 or (args and args[0] not in PAST_WORDS):
        raise UsageError("events")
    past = bool(args)
    now = context.clock.now()
    async with context.read() as session:
        if past:
            events = await reads.list_past(session, group.id, now)
            seen = await reads.attended(session, [e.id for e in events])
        else:
            events = await reads.list_upcoming(session, group.id, now, LISTED + 1)
            seen = {}
    more = len(events) > LISTED
    chunks = render_list(inv.t, group, events[:LISTED], past=past, attended=seen, more=more)
    for chunk in chunks:
        await inv.reply(chunk)


async def event_command(inv: Invocation) -> None:
    """One event with its people and photos; with photos (a caption ``/event n``) they
    are added to it; admins: ``qr`` (the check-in QR code, privately), ``pin|code|walkin
    on|off`` (check-in options)."""
    args = inv.args
    if not args:
        raise UsageError("event")
    number = inv.number(args[0])
    if inv.photos:  # words after the number are the sender's note on the photos
        await add_photos(inv, number)
        return
    if len(args) == 2 and args[1].lower() in ("qr", "二维码"):
        await _send_qr(inv, number)
        return
    if len(args) == 3 and args[1].lower() in SWITCHES:
        await _switch(inv, number, SWITCHES[args[1].lower()], args[2])
        return
    if len(args) != 1:
        raise UsageError("event")
    now = inv.context.clock.now()
    async with inv.context.read() as session:
        event = await store.get_event(session, inv.group.id, number)
        people = await reads.people(session, event.id)
        photos = (await photos_of(session, Subject.EVENT, [event.id])).get(event.id, [])
    chunks = render_detail(inv.t, inv.group, event, people, len(photos), now)
    # in the group the detail carries the buttons too: if the announcement was lost (its
    # send failed after the event was saved), this message takes its place
    markup = None if inv.private else announcement_markup(inv.context, inv.t, event)
    for index, chunk in enumerate(chunks):
        sent = await inv.reply(chunk, markup if index == len(chunks) - 1 else None)
    if markup is not None and event.announce_message_id is None:
        async with inv.context.write_unclaimed() as session:
            await store.set_announcement(session, event.id, sent.message_id)
    shown = photos[-MAX_SHOWN_PHOTOS:]
    try:
        if len(shown) == 1:
            await inv.context.bot.send_photo(inv.chat_id, shown[0].file_id)
        elif shown:
            await inv.context.bot.send_media_group(
                inv.chat_id, [InputMediaPhoto(p.file_id) for p in shown]
            )
    except BadRequest as error:  # e.g. an image that was sent as a file, not as a photo
        log.warning("photos of event %s could not be shown: %s", event.id, error.message)


async def add_photos(inv: Invocation, number: int) -> None:
    """Photos captioned ``/event n`` (or sent in reply to the announcement) join the
    event's photos."""
    async with inv.transaction() as session:
        event = await store.get_event(session, inv.group.id, number)
        added = await attach_photos(
            session, inv.group.id, inv.photos, inv.context.clock.now(), (Subject.EVENT, event.id)
        )
        await inv.link_album(session, (Subject.EVENT, event.id))
    kick_downloads(inv.context)
    await inv.reply(inv.t("event.photos_added", number=number, title=event.title, count=len(added)))


async def photo_reply(
    update: Update, context: Ctx, group: Group, event: Event, photo: PhotoInfo
) -> None:
    """A photo sent in reply to the event's announcement joins its photos."""
    async with context.transaction() as session:
        added = await attach_photos(
            session, group.id, [photo], context.clock.now(), (Subject.EVENT, event.id)
        )
    kick_downloads(context)
    text = context.t("event.photos_added", number=event.number, title=event.title, count=len(added))
    await reply(update, context, text)


async def _switch(inv: Invocation, number: int, name: str, word: str) -> None:
    inv.require_admin()
    value = parse_switch(word)
    if value is None:
        raise UsageError("event")
    async with inv.transaction() as session:
        event = await store.get_event(session, inv.group.id, number)
        await store.set_switch(session, event, name, value, inv.context.clock.now())
    state = inv.t.plain("switch.on" if value else "switch.off")
    await inv.reply(inv.t(f"event.switch.{name}", number=number, state=state))


async def _send_qr(inv: Invocation, number: int) -> None:
    """Admins get the event's QR code and code in private chat (never in the group:
    whoever holds it can check in)."""
    inv.require_admin()
    async with inv.context.read() as session:
        event = await store.get_event(session, inv.group.id, number)
    if event.recorded:  # 补录: nobody checks in, an admin adds who took part
        raise Refused("event.recorded_no_checkin", number=number)
    if event.ends_at < inv.context.clock.now():
        raise Refused("event.checkin_closed", number=number)
    from handlers.events.sign import checkin_sign, cjk_font, qr_png  # Pillow, segno: when used

    url = deep_link(inv.context, f"qr-{event.qr_token}")
    t = inv.t
    font = cjk_font()
    caption = t(
        "event.qr_caption",
        number=event.number,
        title=event.title,
        code=event.checkin_code,
        link=url,
    )
    try:
        if font is None:  # no CJK font on this machine: the bare code still checks people in
            log.warning("no CJK font found (install fonts-noto-cjk): the QR code goes bare")
            png = await asyncio.to_thread(qr_png, url)
            await inv.context.bot.send_photo(inv.user_id, png, caption=caption)
        else:
            page = await asyncio.to_thread(checkin_sign, t, inv.group, event, url, font)
            name = t.plain("event.sign.filename", number=event.number)
            await inv.context.bot.send_document(inv.user_id, page, filename=name, caption=caption)
    except (Forbidden, BadRequest) as error:
        if not await unreachable(inv.context, inv.user_id, error):
            raise
        await inv.reply(
            t("event.qr_start_first", number=event.number),
            start_bot_button(inv.context, t),
        )
        return
    if not inv.private:
        await inv.reply(t("event.qr_sent", number=event.number))


async def join_command(inv: Invocation) -> None:
    """Sign up for an event (a place, or the waiting list)."""
    number = inv.only_number()
    text = await _join(inv.context, inv.t, inv.group, inv.user_id, number)
    await inv.reply(text)


async def leave_command(inv: Invocation) -> None:
    """Withdraw from an event; the first person waiting moves up."""
    number = inv.only_number()
    text = await _leave(inv.context, inv.t, inv.group, inv.user_id, number)
    await inv.reply(text)


async def _join(context: Ctx, t: Translator, group: Group, uid: int, number: int) -> Html:
    now = context.clock.now()
    async with context.transaction() as session:
        event, joined = await store.join_number(session, group.id, number, uid, now)
    refresh_soon(context, group.chat_id, event.id)
    if joined.status == SignupStatus.WAITING:
        return t("event.waiting", number=number, title=event.title, place=joined.place)
    return t(
        "event.joined",
        number=number,
        title=event.title,
        joined=event.joined_count,
        cap=event.cap if event.cap is not None else "∞",
    )


async def _leave(context: Ctx, t: Translator, group: Group, uid: int, number: int) -> Html:
    now = context.clock.now()
    async with context.transaction() as session:
        event = await store.get_event(session, group.id, number)
        left = await store.leave(session, event, uid, now)
        promoted = await get_member(session, left.promoted) if left.promoted is not None else None
        if promoted is not None:  # they hear it once this commits, or after a crash
            await send_later(session, context, _promotion(context, group, event, promoted))
    refresh_soon(context, group.chat_id, event.id)
    key = "event.left" if left.had_place else "event.left_waiting"
    return t(key, number=number, title=event.title)


def _promotion(context: Ctx, group: Group, event: Event, member: Member) -> Outgoing:
    """The notice to the person who moved up from the waiting list: privately (or, if the
    bot cannot write to them, in the group)."""
    t = for_person(member.language_code, group.language)
    text = t("event.promoted", number=event.number, title=event.title, group=group.title)
    return private_notice(context, group, member, text, "event.promoted_in_group")


async def on_signup_button(update: Update, context: Ctx) -> None:
    """The Join / Leave buttons under an announcement."""
    query = update.callback_query
    assert query is not None and query.data is not None
    group = require_group(update, context)
    _, action, raw = query.data.split(":")
    number = int(raw)
    run = _join if action == "join" else _leave
    try:
        text = await run(context, context.t, group, query.from_user.id, number)
    except Refused as refusal:
        if refusal.key == "event.over":  # the post still offers buttons: take them away
            async with context.read() as session:
                event = await store.get_event(session, group.id, number)
            refresh_soon(context, group.chat_id, event.id)
        raise
    # a press answered very late (its group's replies were waiting) is "too old" for
    # Telegram: the sign-up stands, only the little note under the button is lost
    with contextlib.suppress(BadRequest):
        await query.answer(plain_text(text)[:200])
