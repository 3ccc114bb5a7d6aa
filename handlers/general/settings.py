"""/settings: the group's briefing time, time zone, language and workdays rule; the
corrections of its holiday calendar (``holidays``)."""

from __future__ import annotations

from typing import Any

from domain.config import canonical_timezone
from domain.errors import InvalidValue, UsageError
from domain.parsing import parse_switch, parse_time
from handlers.context import Ctx
from handlers.days import group_calendar, local_day
from handlers.general.holidays import (
    HOLIDAY_WORDS,
    HOLIDAYS_WORDS,
    correct_holidays,
    list_holidays,
)
from handlers.general.views import render_settings
from handlers.i18n import LANGUAGES, Html, Translator, for_language
from handlers.invocation import Invocation
from storage.groups import get_group, update_settings
from storage.models import Group


async def settings(inv: Invocation) -> None:
    """Shows the group's settings; ``/settings <name> <value>`` changes one (admins);
    ``/settings holiday …`` and ``/settings holidays`` correct and show the calendar."""
    group, context = inv.group, inv.context
    inv.require_admin()
    args = inv.args
    if args and args[0].lower() in HOLIDAY_WORDS:
        await correct_holidays(inv)
        return
    if args and args[0].lower() in HOLIDAYS_WORDS:
        await list_holidays(inv)
        return
    if not args:
        await inv.reply(await _shown(context, inv.t, group))
        return
    if len(args) != 2:
        raise UsageError("settings")
    change = _change(args[0].lower(), args[1])
    async with context.transaction() as session:
        fresh = await get_group(session, group.chat_id)
        assert fresh is not None
        await update_settings(session, fresh, context.clock.now(), **change)
    t = for_language(fresh.language)
    shown = await _shown(context, t, fresh)
    await inv.reply(Html(t("settings.saved") + "\n\n" + shown))


def _change(name: str, value: str) -> dict[str, Any]:
    """The setting ``/settings <name> <value>`` changes, as ``update_settings`` takes it;
    the reason (or the usage line) when it does not parse."""
    if name in ("briefing", "晨报"):
        briefing = parse_time(value)
        if briefing is None:
            raise InvalidValue("error.bad_time", value=value, command="settings")
        return {"briefing_time": briefing}
    if name in ("timezone", "tz", "时区"):
        timezone = canonical_timezone(value)  # asia/shanghai is Asia/Shanghai
        if timezone is None:
            raise InvalidValue("error.bad_timezone", value=value, command="settings")
        return {"timezone": timezone}
    if name in ("lang", "language", "语言"):
        if value.lower() not in LANGUAGES:
            raise InvalidValue("error.bad_language", value=value, command="settings")
        return {"language": value.lower()}
    if name in ("workdays", "工作日"):
        workdays = parse_switch(value)
        if workdays is None:
            raise InvalidValue("error.bad_switch", value=value, command="settings")
        return {"workdays_only": workdays}
    raise UsageError("settings")


async def _shown(context: Ctx, t: Translator, group: Group) -> Html:
    """The group's settings as /settings shows them."""
    today = local_day(group, context.clock.now())
    async with context.read() as session:
        calendar = await group_calendar(session, group, today)
    return render_settings(t, group, today, calendar)
