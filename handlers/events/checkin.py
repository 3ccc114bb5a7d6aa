"""Events — check-in and check-out, in private chat.

In the group, ``/checkin n`` answers with a button that opens the private chat through a
deep link (``ev-<token>``: the event's secret, not its number). There, a person with a
place (anyone, at an event that takes walk-ins) checks in from 30 minutes before the
start until the end:

- at an event with a venue, by sharing a **live** location within the radius
  (``checkin_radius_m``); its updates arrive as edited messages and are checked as they
  come; a static pin counts only where the admin allowed it (``/event n pin on``);
- otherwise (or where the admin allowed it as a fallback, ``/event n code on``) with the
  event's code;
- or by scanning the QR code printed at the venue (``qr-<token>``), which checks the
  scanner in directly.

An admin sets the venue by replying to the announcement with a location.
"""

from __future__ import annotations

import logging
import math

from telegram import Location, Message, ReplyKeyboardRemove, Update

from domain.checkin import (
    Outcome,
    SharedLocation,
    Verdict,
    code_matches,
    codes_locked,
    judge_location,
    takes_code,
    wrong_codes_since,
)
from domain.errors import NotAdmin, PrivateOnly, Refused, UsageError
from domain.events import hours_text
from domain.geo import valid_position
from domain.kinds import CheckinMethod, PromptKind
from handlers.common import is_admin, is_group_chat, reply
from handlers.context import Ctx
from handlers.events.commands import photo_reply
from handlers.events.keyboards import location_keyboard
from handlers.events.notify import checkin_url, refresh_soon
from handlers.features import AlbumSent
from handlers.i18n import Translator
from handlers.invocation import Invocation, run_safely
from handlers.private import link_button
from storage import event_reads as reads
from storage import events as store
from storage.groups import get_group
from storage.members import group_member
from storage.models import Event, Group
from storage.photos import PhotoInfo
from storage.prompts import Waiting, drop_prompt, set_prompt
from storage.wrong_codes import count_wrong_codes, forget_wrong_codes, record_wrong_code

log = logging.getLogger(__name__)


def _metres(value: float) -> str:
    """A distance or accuracy as the person reads it (any float Telegram might send)."""
    return str(round(value)) if math.isfinite(value) else "?"


async def checkin_command(inv: Invocation) -> None:
    """``/checkin n [code]``: in the group, a button to the private chat; in private,
    the check-in itself."""
    if not 1 <= len(inv.args) <= 4:  # a code may be typed with spaces: "44U U73"
        raise UsageError("checkin")
    number = inv.number(inv.args[0])
    async with inv.context.read() as session:
        event = await store.get_event(session, inv.group.id, number)
    now = inv.context.clock.now()
    if not inv.private:
        # a code typed in the group is seen by everyone: it is not taken here; before
        # check-in opens the button is given all the same (the private chat says when)
        async with inv.context.read() as session:
            await store.may_check_in(
                session, event, inv.user_id, now, inv.group.timezone, window=False
            )
        await inv.reply(
            inv.t("checkin.go_private", number=event.number, title=event.title),
            link_button(inv.t, "checkin.open_button", checkin_url(inv.context, event)),
        )
        return
    code = "".join(inv.args[1:]) or None
    await begin(inv.context, inv.t, inv.group, event, inv.user_id, code)


async def begin(
    context: Ctx,
    t: Translator,
    group: Group,
    event: Event,
    uid: int,
    code: str | None,
) -> None:
    """Check the person in with ``code``, or ask for what this event needs: their live
    location (with a button to send it) or the code."""
    now = context.clock.now()
    async with context.read() as session:
        await store.may_check_in(session, event, uid, now, group.timezone)
    if code is not None:
        await _with_code(context, t, group, event, uid, code)
        return
    async with context.transaction() as session:
        await set_prompt(session, uid, uid, PromptKind.CHECKIN, {"event": event.id}, now)
    if event.latitude is not None:
        radius = context.config.bot.checkin_radius_m
        key = "checkin.ask_location_pin" if event.allow_pin else "checkin.ask_location"
        text = t(key, number=event.number, title=event.title, radius=radius)
        if event.code_fallback:
            text = t("checkin.or_code", text=text)
        await context.bot.send_message(uid, text, reply_markup=location_keyboard(t))
    else:
        await context.bot.send_message(
            uid, t("checkin.ask_code", number=event.number, title=event.title)
        )


async def _with_code(
    context: Ctx,
    t: Translator,
    group: Group,
    event: Event,
    uid: int,
    code: str,
) -> None:
    if not takes_code(event):
        raise Refused("checkin.code_not_here", number=event.number)
    now = context.clock.now()
    async with context.read() as session:
        recent = await count_wrong_codes(session, event.id, uid, wrong_codes_since(now))
    if codes_locked(recent):
        raise Refused("checkin.too_many_codes", number=event.number)
    if not code_matches(code, event.checkin_code):
        context.acknowledged = True  # nothing was done: no "✅ done" stand-in for it
        async with context.transaction() as session:
            await record_wrong_code(session, event.id, uid, now)
        log.info("wrong check-in code from %s for event %s", uid, event.id)
        raise Refused("checkin.bad_code", number=event.number)
    await _check_in(context, t, group, event, uid, CheckinMethod.CODE, None)


async def _check_in(
    context: Ctx,
    t: Translator,
    group: Group,
    event: Event,
    uid: int,
    method: CheckinMethod,
    distance: int | None,
) -> None:
    now = context.clock.now()
    async with context.transaction() as session:
        await store.check_in(session, event, uid, now, method, group.timezone, distance=distance)
        await drop_prompt(session, uid, uid, PromptKind.CHECKIN)
        if method is CheckinMethod.CODE:
            await forget_wrong_codes(session, event.id, uid)
    refresh_soon(context, group.chat_id, event.id)
    key = "checkin.done_distance" if distance is not None else "checkin.done"
    await context.bot.send_message(
        uid,
        t(key, number=event.number, title=event.title, distance=distance or 0),
        reply_markup=ReplyKeyboardRemove(),
    )


async def take_location(update: Update, context: Ctx, found: Waiting) -> bool:
    """A location shared while a check-in waits for it: a live location (or, where
    allowed, a pin) within the radius checks the person in. Updates of a live location
    are checked silently until one is inside."""
    message = update.effective_message
    assert message is not None and message.location is not None
    moved = update.edited_message is not None
    event, group = await _event_of(context, found)
    if event is None or group is None:
        return False
    shared = _shared(message, message.location)
    radius = context.config.bot.checkin_radius_m
    verdict = judge_location(event, shared, context.clock.now(), radius)
    if verdict.method is None:
        if not moved:  # a live location's updates are judged silently
            await _refuse(update, context, verdict, shared, event, group)
        return True
    try:
        await _check_in(
            context, context.t, group, event, message.chat_id, verdict.method, verdict.distance
        )
    except Refused:
        if moved:  # a live location keeps moving: the refusal was given already
            return True
        raise
    return True


def _shared(message: Message, location: Location) -> SharedLocation:
    """The facts of a shared location that check-in judges."""
    return SharedLocation(
        latitude=location.latitude,
        longitude=location.longitude,
        live=bool(location.live_period),  # a live_period of 0 is a pin, not a live location
        forwarded=message.forward_origin is not None,
        accuracy=location.horizontal_accuracy,
    )


async def _refuse(
    update: Update,
    context: Ctx,
    verdict: Verdict,
    shared: SharedLocation,
    event: Event,
    group: Group,
) -> None:
    """Tell the person why the location they shared did not check them in."""
    radius = context.config.bot.checkin_radius_m
    accuracy = "?" if shared.accuracy is None else _metres(shared.accuracy)
    unreadable = shared.accuracy is not None and not 0 <= shared.accuracy < float("inf")
    imprecise = (
        ("checkin.bad_accuracy", {})
        if unreadable
        else (
            "checkin.imprecise",
            {"accuracy": accuracy, "radius": radius},
        )
    )
    replies: dict[Outcome, tuple[str, dict[str, object]]] = {
        Outcome.NO_VENUE: ("checkin.ask_code", {"number": event.number, "title": event.title}),
        Outcome.INVALID: ("error.bad_location", {}),  # says what is wrong: no such place
        Outcome.FORWARDED: ("checkin.forwarded", {}),
        Outcome.NEED_LIVE: ("checkin.need_live", {}),
        Outcome.IMPRECISE: imprecise,
        Outcome.TOO_FAR: ("checkin.too_far", {"distance": verdict.distance, "radius": radius}),
    }
    found = replies.get(verdict.outcome)
    if found is not None:
        await reply(update, context, context.t(found[0], **found[1]))
        return
    # the right place at the wrong time (NOT_YET, CLOSED): worded as every check-in's
    refusal = store.checkin_refusal(event, context.clock.now(), group.timezone)
    if refusal is not None:
        raise refusal


async def take_code(update: Update, context: Ctx, found: Waiting) -> bool:
    """Text typed while a check-in waits: the event's code."""
    message = update.effective_message
    assert message is not None and message.text is not None
    event, group = await _event_of(context, found)
    if event is None or group is None:
        return False
    await _with_code(context, context.t, group, event, message.chat_id, message.text)
    return True


async def _event_of(context: Ctx, found: Waiting) -> tuple[Event | None, Group | None]:
    async with context.read() as session:
        event = await session.get(Event, int(found.data.get("event", 0)))
        group = await session.get(Group, event.group_id) if event is not None else None
    return event, group


async def on_link(update: Update, context: Ctx, payload: str) -> None:
    """``/start ev-<token>``: the group's check-in button opened the private chat."""
    user = update.effective_user
    assert user is not None
    event, group = await _by_token(context, payload, user.id, qr=False)
    await begin(context, context.t, group, event, user.id, None)


async def on_qr(update: Update, context: Ctx, payload: str) -> None:
    """``/start qr-<token>``: the QR code printed at the venue checks the scanner in."""
    user = update.effective_user
    assert user is not None
    event, group = await _by_token(context, payload, user.id, qr=True)
    await _check_in(context, context.t, group, event, user.id, CheckinMethod.QR, None)


async def _by_token(context: Ctx, payload: str, uid: int, *, qr: bool) -> tuple[Event, Group]:
    """The event a deep link names, for a current member of its group (a link or QR code
    that travelled to someone outside the group checks nobody in)."""
    token = payload.split("-", 1)[1] if "-" in payload else ""
    async with context.read() as session:
        event = await reads.event_by_token(session, token, qr=qr) if token else None
        group = await session.get(Group, event.group_id) if event is not None else None
        member = await group_member(session, group.id, user_id=uid) if group is not None else None
    if event is None or group is None or not group.active:
        raise Refused("start.bad_link")
    if member is None:
        raise Refused("checkin.not_member")  # a QR on a wall names no group to passers-by
    if event.ends_at < context.clock.now():
        raise Refused("event.checkin_closed", number=event.number)
    return event, group


async def checkout_command(inv: Invocation) -> None:
    """``/checkout n`` in private: records leaving; the hours become check-out −
    check-in."""
    if not inv.private:
        raise PrivateOnly()
    number = inv.only_number()
    now = inv.context.clock.now()
    async with inv.transaction() as session:
        event = await store.get_event(session, inv.group.id, number)
        signup = await store.check_out(session, event, inv.user_id, now, inv.group.timezone)
    await inv.reply(
        inv.t(
            "checkout.done",
            number=event.number,
            title=event.title,
            hours=hours_text(signup.minutes or 0),
        )
    )


async def take_album_reply(context: Ctx, album: AlbumSent) -> bool:
    """An album (without a caption) sent in reply to an event's announcement: its photos
    join the event, exactly as if it had been captioned ``/event n``."""
    if album.private or album.reply_to is None:
        return False
    async with context.read() as session:
        group = await get_group(session, album.chat_id)
        event = (
            await reads.event_by_announcement(session, group.id, album.reply_to)
            if group is not None
            else None
        )
    if group is None or event is None:
        return False
    admin = await is_admin(context, group, album.user_id)
    await run_safely(
        Invocation.from_album(context, album, "event", str(event.number), group, admin)
    )
    return True


async def take_reply(update: Update, context: Ctx, photo: PhotoInfo | None) -> bool:
    """A location or photo sent in reply to an event's announcement: an admin's location
    sets the venue; a photo joins the event's photos."""
    message = update.effective_message
    if message is None or not is_group_chat(update) or context.group is None:
        return False
    replied: Message | None = message.reply_to_message
    if replied is None:
        return False
    group = context.group
    async with context.read() as session:
        event = await reads.event_by_announcement(session, group.id, replied.message_id)
    if event is None:
        return False
    if photo is not None:
        await photo_reply(update, context, group, event, photo)
        return True
    if message.location is None:
        return False
    if not context.sender_is_admin:
        raise NotAdmin()
    location = message.location
    if not valid_position(location.latitude, location.longitude):  # as geo: is checked
        raise Refused("error.bad_location")
    async with context.transaction() as session:
        await store.set_venue(
            session, event, location.latitude, location.longitude, context.clock.now()
        )
    await reply(
        update,
        context,
        context.t(
            "event.venue_set",
            number=event.number,
            title=event.title,
            radius=context.config.bot.checkin_radius_m,
        ),
    )
    return True
