"""``/report`` alone in private chat: a guided report for someone at the roadside.

Photos → road and stake (or a shared location) → description → which group. ``/cancel``
stops at any step. The steps are kept in a draft row (so a restart loses nothing); the
issue itself is written only at the last step, in one transaction that also removes the
draft (so a double press cannot log it twice).
"""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import BadRequest

from domain.errors import DuplicateUpdate, InvalidValue, Refused
from domain.geo import valid_position
from domain.kinds import PromptKind
from domain.parsing import ArgumentError, parse_report
from domain.roads import STAKE_EXAMPLE, StakeError, parse_place
from domain.text import excerpt
from handlers.common import reply
from handlers.context import Ctx
from handlers.errors import render_user_error
from handlers.features import AlbumSent
from handlers.inspections.report import announce_report
from handlers.invocation import Invocation
from storage import issues as store
from storage.members import groups_of, is_admin
from storage.models import Group
from storage.photos import PhotoInfo
from storage.prompts import Waiting, check_free, drop_prompt, get_prompt, set_prompt


def _buttons(context: Ctx, token: str) -> InlineKeyboardMarkup:
    t = context.t
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t.plain("flow.next"), callback_data=f"rpt:next:{token}"),
                InlineKeyboardButton(t.plain("flow.cancel"), callback_data=f"rpt:cancel:{token}"),
            ]
        ]
    )


async def _draft(
    session: AsyncSession, user_id: int, *, for_update: bool = False
) -> tuple[str, dict[str, Any]] | None:
    """(step, collected data) of the person's guided report, if one is going on."""
    found = await get_prompt(session, user_id, user_id, for_update=for_update)
    if found is None or found.kind != PromptKind.REPORT:
        return None
    data = dict(found.data)
    return str(data.pop("step", "photos")), data


async def _save(
    session: AsyncSession, user_id: int, step: str, data: dict[str, Any], now: datetime
) -> None:
    fresh = step == "photos" and not data.get("photos")  # the report begins
    record = {**data, "step": step}
    await set_prompt(session, user_id, user_id, PromptKind.REPORT, record, now, fresh=fresh)


async def _drop(session: AsyncSession, user_id: int) -> bool:
    return await drop_prompt(session, user_id, user_id, PromptKind.REPORT)


STEP_HINTS = {
    "photos": "flow.photos_hint",
    "place": "flow.place_help",
    "description": "flow.description_help",
    "group": "flow.group_hint",
}


async def start_flow(update: Update, context: Ctx) -> None:
    """Begin the guided report: first the photos."""
    user = update.effective_user
    assert user is not None
    async with context.transaction() as session:
        if not await groups_of(session, user.id):
            raise Refused("scope.no_group")  # said now, not after all the steps
        await check_free(session, user.id, user.id, PromptKind.REPORT)
        token = secrets.token_hex(4)  # this report's buttons: earlier ones do nothing to it
        await _save(session, user.id, "photos", {"photos": [], "token": token}, context.clock.now())
    await reply(update, context, context.t("flow.photos"), _buttons(context, token))


async def start_from_link(update: Update, context: Ctx, payload: str) -> None:
    """The ``report`` deep link opens the guided report."""
    await start_flow(update, context)


async def flow_photo(update: Update, context: Ctx, photo: PhotoInfo, wait: Waiting) -> bool:
    """A photo in private chat while the guided report is going on."""
    user = update.effective_user
    if user is None:
        return False
    return await _add_photos(context, user.id, [photo])


async def flow_album(context: Ctx, album: AlbumSent, wait: Waiting) -> bool:
    """An album without a caption in private chat while the guided report is going on."""
    return await _add_photos(context, album.user_id, album.photos)


async def _add_photos(context: Ctx, user_id: int, photos: list[PhotoInfo]) -> bool:
    """Keep the photos for the report at its photos step (else say what the step wants);
    one status message counts them."""
    async with context.transaction() as session:
        draft = await _draft(session, user_id, for_update=True)
        if draft is None:
            return False
        step, data = draft
        if step == "photos":
            known = {p["file_unique_id"] for p in data["photos"]}
            data["photos"] += [p.__dict__ for p in photos if p.file_unique_id not in known]
            await _save(session, user_id, "photos", data, context.clock.now())
    if step != "photos":
        await context.bot.send_message(user_id, context.t(STEP_HINTS.get(step, "flow.group_hint")))
        return True
    text = context.t("flow.photo_count", count=len(data["photos"]))
    status_id = data.get("status_message_id")
    if status_id:
        with contextlib.suppress(BadRequest):
            await context.bot.edit_message_text(
                text,
                chat_id=user_id,
                message_id=status_id,
                reply_markup=_buttons(context, data.get("token", "")),
            )
        return True
    sent = await context.bot.send_message(
        user_id, text, reply_markup=_buttons(context, data.get("token", ""))
    )
    async with context.transaction() as session:
        draft = await _draft(session, user_id, for_update=True)
        if draft is not None:
            draft[1]["status_message_id"] = sent.message_id
            await _save(session, user_id, draft[0], draft[1], context.clock.now())
    return True


async def on_flow_button(update: Update, context: Ctx) -> None:
    """Next / Cancel / a group, under the guided report's messages."""
    query = update.callback_query
    assert query is not None and query.data is not None
    user_id = query.from_user.id
    async with context.read() as session:
        draft = await _draft(session, user_id)
    if draft is None:
        await query.answer(context.t.plain("flow.gone"), show_alert=True)
        return
    step, data = draft
    parts = query.data.split(":")
    action = parts[1]
    if parts[-1] != data.get("token"):  # a button of an earlier, finished report
        await query.answer(context.t.plain("flow.other_report"), show_alert=True)
        return
    if action == "cancel":
        async with context.transaction() as session:
            await _drop(session, user_id)
        await query.answer()
        await context.bot.send_message(
            user_id, context.t("flow.cancelled"), reply_markup=ReplyKeyboardRemove()
        )
        return
    if action == "next" and step == "photos":
        await query.answer()
        await _ask_place(context, user_id, data)
        return
    if action == "g" and step == "group":
        chat_id = int(parts[2])
        async with context.read() as session:
            group = next(
                (g for g in await groups_of(session, user_id) if g.chat_id == chat_id), None
            )
        if group is None:
            await query.answer(context.t.plain("flow.gone"), show_alert=True)
            return
        await query.answer(context.t.plain("scope.picked", group=group.title))
        await _finish(update, context, user_id, data, group)
        return
    await query.answer(context.t.plain("flow.gone"), show_alert=True)


async def _ask_place(context: Ctx, user_id: int, data: dict[str, Any]) -> None:
    async with context.transaction() as session:
        await _save(session, user_id, "place", data, context.clock.now())
    keyboard = ReplyKeyboardMarkup(
        [[KeyboardButton(context.t.plain("flow.share_location"), request_location=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    await context.bot.send_message(user_id, context.t("flow.place"), reply_markup=keyboard)


async def flow_text(update: Update, context: Ctx, wait: Waiting) -> bool:
    """Text in private chat while a guided report is going on: its next step."""
    data = dict(wait.data)
    await _next_step(update, context, str(data.pop("step", "photos")), data)
    return True


async def _next_step(update: Update, context: Ctx, step: str, data: dict[str, Any]) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None and message.text is not None
    t = context.t
    if step == "photos":
        await reply(
            update, context, t("flow.photos_hint"), _buttons(context, data.get("token", ""))
        )
    elif step == "place":
        try:
            place, _ = parse_place(message.text)
        except StakeError as error:
            await reply(
                update, context, t(error.key, value=excerpt(error.text), example=STAKE_EXAMPLE)
            )
            return
        if place is None:
            await reply(update, context, t("flow.place_help"))
            return
        data.update(road=place.road, stake_from=place.stake_from, stake_to=place.stake_to)
        await _ask_description(update, context, user.id, data)
    elif step == "description":
        try:
            args = parse_report(message.text)
        except ArgumentError as error:  # a bad category or severity, or too long
            await reply(
                update, context, render_user_error(t, InvalidValue(error.key, **error.params))
            )
            return
        except (StakeError, ValueError):
            await reply(update, context, t("flow.description_help"))
            return
        data.update(description=args.description, category=args.category, severity=args.severity)
        if args.place is not None:
            data.update(
                road=args.place.road, stake_from=args.place.stake_from, stake_to=args.place.stake_to
            )
        await _ask_group(update, context, user.id, data)
    else:
        await reply(update, context, t("flow.group_hint"))


async def flow_location(update: Update, context: Ctx, wait: Waiting) -> bool:
    """A location in private chat: the place of the guided report, when it asks for one
    (otherwise the location is not the report's: False)."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    data = dict(wait.data)
    step = data.pop("step", "")
    if message.location is None:
        return False
    if step != "place":  # the report is at another step: the location is not for a report
        await reply(update, context, context.t(STEP_HINTS.get(step, "flow.group_hint")))
        return True
    if not valid_position(message.location.latitude, message.location.longitude):
        raise Refused("error.bad_location")
    data.update(latitude=message.location.latitude, longitude=message.location.longitude)
    await _ask_description(update, context, user.id, data)
    return True


async def _ask_description(
    update: Update, context: Ctx, user_id: int, data: dict[str, Any]
) -> None:
    async with context.transaction() as session:
        await _save(session, user_id, "description", data, context.clock.now())
    await reply(update, context, context.t("flow.description"), ReplyKeyboardRemove())


async def _ask_group(update: Update, context: Ctx, user_id: int, data: dict[str, Any]) -> None:
    async with context.read() as session:
        groups = await groups_of(session, user_id)
    if not groups:
        async with context.transaction() as session:
            await _drop(session, user_id)
        raise Refused("scope.no_group")
    if len(groups) == 1:
        await _finish(update, context, user_id, data, groups[0])
        return
    async with context.transaction() as session:
        await _save(session, user_id, "group", data, context.clock.now())
    buttons = [
        [
            InlineKeyboardButton(
                g.title or str(g.chat_id),
                callback_data=f"rpt:g:{g.chat_id}:{data.get('token', '')}",
            )
        ]
        for g in groups[:8]
    ]
    await reply(update, context, context.t("flow.group"), InlineKeyboardMarkup(buttons))


async def _finish(
    update: Update, context: Ctx, user_id: int, data: dict[str, Any], group: Group
) -> None:
    """Write the issue (and drop the draft) in one transaction, then tell the group."""
    photos = [PhotoInfo(**p) for p in data.get("photos", [])]
    new = store.NewIssue(
        description=data["description"],
        road=data.get("road"),
        stake_from=data.get("stake_from"),
        stake_to=data.get("stake_to"),
        category=data.get("category", "other"),
        severity=data.get("severity", 2),
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
    )
    async with context.transaction() as session:
        if not await _drop(session, user_id):
            raise DuplicateUpdate(update.update_id)
        issue, _, nearby = await store.report_issue(
            session, group.id, user_id, user_id, new, photos, context.clock.now()
        )
        admin = context.is_bot_admin(user_id) or await is_admin(session, group.id, user_id)
    inv = Invocation.from_message(update, context, "report", "", group, admin, photos)
    await announce_report(inv, issue, nearby, len(photos))
    await context.bot.send_message(
        user_id,
        context.t("flow.done", number=issue.number, group=group.title),
        reply_markup=ReplyKeyboardRemove(),
    )
