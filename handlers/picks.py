"""A numbered command sent in private chat by someone in several groups waits for them
to pick the group with a button; the button runs it there, once."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from handlers.common import is_admin
from handlers.context import Ctx
from handlers.invocation import Invocation, run_safely
from storage.albums import get_pending
from storage.members import groups_of


async def on_pick(update: Update, context: Ctx) -> None:
    """The person chose the group for a command sent in private chat: run it there."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, pending_raw, chat_raw = query.data.split(":")
    async with context.read() as session:
        pending = await get_pending(session, int(pending_raw))
        mine = {g.chat_id: g for g in await groups_of(session, query.from_user.id)}
    group = mine.get(int(chat_raw))
    if pending is None or pending[0] != query.from_user.id or group is None:
        await query.answer(context.t.plain("scope.pick_stale"), show_alert=True)
        return
    payload = pending[1]
    await query.answer(context.t.plain("scope.picked", group=group.title))
    admin = await is_admin(context, group, query.from_user.id)
    pending_payload = {**payload, "pending_id": int(pending_raw)}
    await run_safely(
        Invocation.from_pick(context, query.from_user.id, pending_payload, group, admin)
    )


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the buttons that pick the group for a command sent in private chat."""
    app.add_handler(CallbackQueryHandler(on_pick, pattern=r"^pick:[0-9]{1,12}:-?[0-9]{1,20}$"))
