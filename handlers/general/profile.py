"""/profile (private chat): own name, date of joining the Party, language."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.errors import InvalidValue, PrivateOnly, UsageError
from domain.parsing import parse_date
from domain.text import LIMITS, clean_line, has_newline, is_blank
from handlers.context import Ctx
from handlers.general.views import render_profile
from handlers.i18n import Html
from handlers.invocation import Invocation
from storage.members import groups_of, set_party_joined, set_real_name

PARTY_FOUNDED = date(1921, 7, 23)
MAX_NAME = LIMITS["name"]


def _name_argument(inv: Invocation) -> str:
    """What follows ``/profile name`` as typed (line breaks kept, so they can be refused);
    empty when only invisible characters were given."""
    message = inv.message
    text = message.text if message is not None and message.text else ""
    parts = text.split(None, 2)
    value = parts[2].strip() if len(parts) > 2 else ""
    return "" if is_blank(value) else value


def _today(context: Ctx) -> date:
    now: datetime = context.clock.now()
    return now.astimezone(ZoneInfo(context.config.bot.timezone)).date()


async def profile(inv: Invocation) -> None:
    """Shows the profile; ``/profile name 张三`` and ``/profile joined 2008-07-01`` set it."""
    if not inv.private:
        raise PrivateOnly()
    context = inv.context
    member = context.member
    assert member is not None
    args = inv.args
    today = _today(context)
    if args:
        field = args[0].lower()
        value = " ".join(args[1:]).strip()
        if field in ("name", "姓名"):
            value = _name_argument(inv)
        if not value:
            raise UsageError("profile")
        if field in ("name", "姓名"):
            if len(value) > MAX_NAME or has_newline(value):
                raise InvalidValue("error.bad_name", max=MAX_NAME, command="profile")
            value = clean_line(value)
            async with context.transaction() as session:
                member = await set_real_name(session, member.user_id, value, context.clock.now())
                groups = await groups_of(session, member.user_id)
        elif field in ("joined", "入党"):
            joined = parse_date(value)
            if joined is None:
                raise InvalidValue("error.bad_date", value=value, command="profile")
            if not PARTY_FOUNDED <= joined <= today:
                raise InvalidValue("error.joined_range", value=value, command="profile")
            async with context.transaction() as session:
                member = await set_party_joined(
                    session, member.user_id, joined, context.clock.now()
                )
                groups = await groups_of(session, member.user_id)
        else:
            raise UsageError("profile")
        text = Html(
            context.t("profile.saved") + "\n\n" + render_profile(context.t, member, groups, today)
        )
        await inv.reply(text)
        return
    await show_profile(inv)


async def show_profile(inv: Invocation) -> None:
    """The person's profile as it is, with how to change it (private chat)."""
    member = inv.context.member
    assert member is not None
    async with inv.context.read() as session:
        groups = await groups_of(session, member.user_id)
    await inv.reply(render_profile(inv.t, member, groups, _today(inv.context)))
