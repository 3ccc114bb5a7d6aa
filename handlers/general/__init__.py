"""General — /start and /help (``start``), /settings, /profile, /members and the
welcome of newcomers (``members``). ``register(app)`` installs them; the reply to
unknown commands and buttons is installed last, by ``register_fallback``."""

from __future__ import annotations

from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    MessageHandler,
    filters,
)

from handlers.commands import add_commands, command
from handlers.features import later_in


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the general commands, in the order /help lists them, and what a join, a
    leave or the bot's own membership change does (their modules imported when first
    used: ``handlers.features.Later``)."""
    use = later_in(app, __name__)
    add_commands(
        app,
        command("start", "any", use("start:start"), grouped=False),
        command("help", "any", use("start:help_command"), grouped=False),
        command("settings", "group", use("settings:settings"), admin=True, grouped=False),
        command("profile", "private", use("profile:profile"), grouped=False),
        command("members", "group", use("members:members"), grouped=False),
    )
    joined, left = filters.StatusUpdate.NEW_CHAT_MEMBERS, filters.StatusUpdate.LEFT_CHAT_MEMBER
    app.add_handler(MessageHandler(joined, use("members:new_members")))
    app.add_handler(MessageHandler(left, use("members:member_left")))
    mine = ChatMemberHandler.MY_CHAT_MEMBER
    app.add_handler(ChatMemberHandler(use("members:bot_membership"), mine))


def register_fallback(app: Application) -> None:  # type: ignore[type-arg]
    """Install the answers to unknown commands and buttons (after every feature): the
    unknown-command reply, the answer to an edited command, and to unknown buttons."""
    use = later_in(app, __name__)
    commands = filters.COMMAND & filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(commands, use("start:unknown_command")))
    edited = filters.COMMAND & filters.UpdateType.EDITED_MESSAGE
    app.add_handler(MessageHandler(edited, use("start:edited_command")))
    app.add_handler(CallbackQueryHandler(use("start:stale_button")))
