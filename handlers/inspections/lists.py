"""Inspections — /issues (paged, with ◀ ▶ buttons) and /issue."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest

from domain.errors import Refused, UsageError
from domain.roads import StakeError, is_road, parse_place
from handlers.common import is_group_chat, split_message
from handlers.context import Ctx
from handlers.days import local_day
from handlers.i18n import Html, Translator
from handlers.inspections.keyboards import page_keyboard
from handlers.inspections.views import issue_line, render_issue
from handlers.invocation import (
    Invocation,
)
from storage import issue_reads
from storage.issue_view import issue_view
from storage.members import groups_of
from storage.models import Group, Issue, Member

PAGE_SIZE = 20


FILTER_WORDS = {
    "未完成": "open",
    "未销号": "open",
    "逾期": "overdue",
    "我的": "mine",
    "全部": "all",
}


MAX_PAGE = 500  # the deepest page of a list counted only to 1000+ (10,000 issues in)


async def issues_command(inv: Invocation) -> None:
    """The list: open (default), overdue, mine, all, or one road; counts on top."""
    if len(inv.args) > 1:
        raise UsageError("issues")
    which = inv.args[0] if inv.args else "open"
    which = FILTER_WORDS.get(which, which)
    which = which.lower() if which.lower() in issue_reads.FILTERS else road_of(which)
    text, markup = await render_issue_page(
        inv.context, inv.t, inv.group, which, inv.user_id, 0, in_group=not inv.private
    )
    await inv.reply(text, markup)


def road_of(word: str) -> str:
    """The road code a word names (``S272``, ``s272``, ``国道325``); usage error otherwise."""
    try:
        place, rest = parse_place(word)
    except StakeError:
        raise UsageError("issues") from None
    if place is None or rest:
        raise UsageError("issues")
    return place.road


@dataclass(frozen=True)
class IssuePage:
    """One page of the issue list as read: the group's tallies, how many match, whether
    that count passed the cap, which page of how many, its rows, and the local day."""

    total: issue_reads.IssueCounts
    matching: int
    many: bool
    page: int
    pages: int
    rows: list[tuple[Issue, Member | None]]
    today: date


async def read_issue_page(
    context: Ctx, group: Group, which: str, user_id: int, page: int
) -> IssuePage:
    """Read one page of the list (in one read): "all", "open" and "mine" are counted
    exactly (the tallies); the others up to the cap, and past it the list pages on as
    long as pages are full (up to MAX_PAGE). A page that has issues comes with the
    counts in one statement; a page past the end is read again as the last one (as the
    first, past the cap, where the end is not known)."""
    today = local_day(group, context.clock.now())
    asked = max(page, 0)
    async with context.read() as session:
        rows: list[tuple[Issue, Member | None]] = []
        total: issue_reads.IssueCounts | None = None
        read = asked <= MAX_PAGE  # (a deeper page waits for the counts: it may not exist)
        if read:
            rows, total = await issue_reads.page_and_counts(
                session, group.id, which, user_id, today, offset=asked * PAGE_SIZE, limit=PAGE_SIZE
            )
        if total is None:  # no page to carry the counts: read alone
            total = await issue_reads.counts(session, group.id, today)
        matching = await issue_reads.count_matching(session, group.id, which, user_id, today, total)
        many = matching > issue_reads.COUNT_CAP and which not in ("all", "open", "mine")
        counted = min(matching, issue_reads.COUNT_CAP) if many else matching
        pages = max(1, -(-counted // PAGE_SIZE))
        page = min(asked, MAX_PAGE if many else pages - 1)
        if page != asked or not read:
            rows = await _page(session, group, which, user_id, today, page)
        if many and not rows and page:  # a page past the end: show the first
            page = 0
            rows = await _page(session, group, which, user_id, today, page)
    if many:  # as far as this page shows, and one more while pages are full
        pages = max(pages, page + (2 if len(rows) == PAGE_SIZE and page < MAX_PAGE else 1))
    return IssuePage(total, matching, many, page, pages, list(rows), today)


async def _page(
    session: AsyncSession, group: Group, which: str, user_id: int, today: date, page: int
) -> list[tuple[Issue, Member | None]]:
    """Page ``page`` of the list, without the counts."""
    return await issue_reads.list_page(
        session, group.id, which, user_id, today, offset=page * PAGE_SIZE, limit=PAGE_SIZE
    )


def render_list_page(
    t: Translator, group: Group, which: str, found: IssuePage, *, in_group: bool
) -> tuple[Html, InlineKeyboardMarkup | None]:
    """The page as the group sees it: the tallies, the filter's title, one line an issue,
    "page n of m", and ◀ ▶ buttons when there is more than one page."""
    total = found.total
    head = t(
        "issues.head",
        found=total.found,
        fixed=total.fixed,
        verified=total.verified,
        overdue=capped(total.overdue),
    )
    label = t.plain(f"issues.filter.{which}") if which in issue_reads.FILTERS else which
    if not found.rows:
        return Html(head + "\n" + t("issues.none", filter=label)), None
    people = {m.user_id: m for _, m in found.rows if m is not None}
    count = capped(found.matching) if found.many else found.matching
    lines = [head, t("issues.title", filter=label, count=count)]
    lines += [issue_line(t, i, people, found.today) for i, _ in found.rows]
    if found.pages > 1:
        more = "+" if found.many and len(found.rows) == PAGE_SIZE else ""
        lines.append(t("issues.page", page=found.page + 1, pages=f"{found.pages}{more}"))
    where = "" if in_group else f":{group.chat_id}"
    markup = page_keyboard(t, which, found.page, found.pages, where)
    return split_message(lines)[0], markup


async def render_issue_page(
    context: Ctx,
    t: Translator,
    group: Group,
    which: str,
    user_id: int,
    page: int,
    *,
    in_group: bool,
) -> tuple[Html, InlineKeyboardMarkup | None]:
    """One page of the list, with ◀ ▶ buttons when there is more than one."""
    found = await read_issue_page(context, group, which, user_id, page)
    return render_list_page(t, group, which, found, in_group=in_group)


def capped(count: int) -> str:
    """A count as shown: past the cap, "1000+"."""
    cap = issue_reads.COUNT_CAP
    return f"{cap}+" if count > cap else str(count)


async def on_page_button(update: Update, context: Ctx) -> None:
    """◀ ▶ under the list. In a group the list is always that group's own; in private
    chat the button names the group, and the presser must be a member of it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _, which, page_raw, *chat = query.data.split(":")
    if is_group_chat(update):
        group = context.group
        if chat or group is None:
            raise Refused("error.stale_button")
    else:
        async with context.read() as session:
            mine = {g.chat_id: g for g in await groups_of(session, query.from_user.id)}
        group = mine.get(int(chat[0])) if chat else None
        if group is None:
            raise Refused("issues.not_your_group")
    if which not in issue_reads.FILTERS and not is_road(which):
        raise Refused("error.stale_button")
    page = int(page_raw)
    text, markup = await render_issue_page(
        context, context.t, group, which, query.from_user.id, page, in_group=is_group_chat(update)
    )
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(text, reply_markup=markup)


async def issue_command(inv: Invocation) -> None:
    """One issue: place, category, status, assignee, deadline, history, then the
    before and after photos as albums."""
    number = inv.only_number()
    async with inv.context.read() as session:
        detail = await issue_view(session, inv.group.id, number)
    t = inv.t
    lines = render_issue(t, inv.group, detail)
    for chunk in split_message(lines):
        await inv.reply(chunk)
    shown = (("issue.before", detail.before), ("issue.after", detail.fix_photos))
    for label, photos in shown:
        if len(photos) == 1:
            await inv.context.bot.send_photo(
                inv.chat_id, photos[0].file_id, caption=t.plain(label, number=number)
            )
        elif photos:
            media = [InputMediaPhoto(p.file_id) for p in photos[:10]]
            media[0] = InputMediaPhoto(photos[0].file_id, caption=t.plain(label, number=number))
            await inv.context.bot.send_media_group(inv.chat_id, media)
