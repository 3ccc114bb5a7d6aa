"""Field inspections — 自查问题清单: /report /issues /issue /assign /fixed /verify /reopen
/export, a location sent after a report, and the wait for an "after" photo."""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from domain.errors import InvalidValue, Refused, UsageError
from domain.kinds import PromptKind, Subject
from domain.parsing import ArgumentError, future_date, parse_int, parse_report
from domain.roads import STAKE_EXAMPLE, RoadPlace, StakeError, gap_metres, is_road, parse_place
from domain.text import bounded
from handlers import commands, export
from handlers.commands import CommandSpec
from handlers.common import fit, is_admin, is_group_chat, reply, split_message
from handlers.context import Ctx
from handlers.i18n import Html, Translator, for_language, language_from_code
from handlers.invocation import (
    Invocation,
    announce_with_photos,
    finish_albums_of,
    register_command,
    run_safely,
)
from handlers.media import kick_downloads
from handlers.people import named_person
from handlers.prompts import LooseAlbum, Taker, add_taker, set_location_fallback
from storage import issues as store
from storage import topics as topic_store
from storage.members import get_member, groups_of, members_by_id
from storage.models import Group, Issue, Member
from storage.photos import PhotoInfo
from storage.prompts import Waiting, drop_prompt, set_prompt

STATUS_ICONS = {"open": "🔴", "assigned": "🟠", "fixed": "🟢", "verified": "✅"}
LOCATION_WINDOW = timedelta(minutes=2)
FIX_PHOTO_WAIT = timedelta(minutes=30)
PAGE_SIZE = 20
LIST_LINE = 180  # visible characters of one line of the list
FILTER_WORDS = {
    "未完成": "open",
    "未销号": "open",
    "逾期": "overdue",
    "我的": "mine",
    "全部": "all",
}
MAX_PAGE = 10**6


# ---------------------------------------------------------------- rendering


def place_of(issue: Issue) -> RoadPlace:
    """The issue's road and stake range."""
    return RoadPlace(issue.road or "", issue.stake_from, issue.stake_to)


def where_text(t: Translator, issue: Issue) -> str:
    """``S272 K93+520`` or the shared location, or "no place given"."""
    place = str(place_of(issue))
    if place:
        return place
    if issue.latitude is not None and issue.longitude is not None:
        return f"📍{issue.latitude:.5f},{issue.longitude:.5f}"
    return t.plain("issue.no_place")


def local_day(group: Group, moment: datetime) -> date:
    """The date of ``moment`` in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone)).date()


def issue_line(t: Translator, issue: Issue, people: dict[int, Member], today: date) -> Html:
    """One issue in the list."""
    assignee = people.get(issue.assignee_id or 0)
    extra = ""
    if assignee is not None and issue.status in store.UNRESOLVED:
        extra += t.plain("issue.line_assignee", who=assignee.display_name)
    if issue.deadline and issue.status in store.UNRESOLVED:
        key = "issue.line_overdue" if issue.deadline < today else "issue.line_deadline"
        extra += t.plain(key, date=issue.deadline.isoformat())
    line = t(
        "issue.line",
        icon=STATUS_ICONS[issue.status],
        number=issue.number,
        where=where_text(t, issue),
        category=t.plain(f"issue.category.{issue.category}"),
        severity=issue.severity,
        text=issue.description[:60],
        extra=extra,
    )
    # a page of PAGE_SIZE lines must fit one message, whatever the names and texts
    return fit(line, LIST_LINE)


def duplicates_text(t: Translator, issue: Issue, nearby: list[Issue]) -> str:
    """ "May be the same as #m (S272 K93+500, 20 m away)" lines."""
    lines = []
    for other in nearby:
        gap = gap_metres(place_of(issue), place_of(other))
        lines.append(
            t(
                "issue.possible_duplicate",
                number=other.number,
                where=str(place_of(other)),
                metres=gap if gap is not None else 0,
            )
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- /report


async def report_command(inv: Invocation) -> None:
    """Log an issue in one message: text, photo caption or album caption."""
    if not inv.rest.strip():
        raise UsageError("report")
    try:
        args = parse_report(inv.rest)
    except StakeError as error:
        raise InvalidValue(
            error.key, value=error.text, example=STAKE_EXAMPLE, command="report"
        ) from None
    except ArgumentError as error:
        raise InvalidValue(error.key, command="report", **error.params) from None
    except ValueError:
        raise UsageError("report") from None
    place = args.place
    new = store.NewIssue(
        description=args.description,
        road=place.road if place else None,
        stake_from=place.stake_from if place else None,
        stake_to=place.stake_to if place else None,
        category=args.category,
        severity=args.severity,
    )
    async with inv.transaction() as session:
        issue, event, nearby = await store.report_issue(
            session,
            inv.group.id,
            inv.user_id,
            inv.chat_id,
            new,
            inv.photos,
            inv.context.clock.now(),
        )
        await inv.link_album(session, (Subject.ISSUE_EVENT, event.id))
    if inv.photos:
        kick_downloads(inv.context)
    await announce_report(inv, issue, nearby, len(inv.photos))


async def announce_report(inv: Invocation, issue: Issue, nearby: list[Issue], photos: int) -> None:
    """Tell the group (and the reporter) that the issue is logged."""
    t = inv.t
    text = t(
        "issue.reported",
        number=issue.number,
        where=where_text(t, issue),
        category=t.plain(f"issue.category.{issue.category}"),
        severity=issue.severity,
        text=issue.description,
        photos=t.plain("topic.photo_count", count=photos) if photos else "",
    )
    if nearby:
        text = Html(text + "\n" + duplicates_text(t, issue, nearby))
    if issue.latitude is None:
        text = Html(text + "\n" + t("issue.location_hint"))
    await announce_with_photos(inv, text)


async def on_location(update: Update, context: Ctx) -> None:
    """A location no prompt waits for: right after a report, it attaches to it."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None or message.location is None:
        return
    # an album captioned /report that is still in its quiet period came first: act on it
    # now, so the location joins that report and not the one before it
    await finish_albums_of(context, message.chat_id, user.id)
    now = context.clock.now()
    async with context.transaction() as session:
        issue = await store.attach_location(
            session,
            message.chat_id,
            user.id,
            message.location.latitude,
            message.location.longitude,
            now - LOCATION_WINDOW,
            now,
        )
    if issue is not None:
        await reply(
            update,
            context,
            context.t("issue.located", number=issue.number, where=where_text(context.t, issue)),
        )


# ---------------------------------------------------------------- lists and details


async def issues_command(inv: Invocation) -> None:
    """The list: open (default), overdue, mine, all, or one road; counts on top."""
    if len(inv.args) > 1:
        raise UsageError("issues")
    which = inv.args[0] if inv.args else "open"
    which = FILTER_WORDS.get(which, which)
    which = which.lower() if which.lower() in store.FILTERS else road_of(which)
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
    today = local_day(group, context.clock.now())
    async with context.read() as session:
        found = await store.list_issues(session, group.id, which, user_id, today)
        total = await store.counts(session, group.id, today)
        people = await members_by_id(session, (i.assignee_id or 0 for i in found))
    head = t(
        "issues.head",
        found=total.found,
        fixed=total.fixed,
        verified=total.verified,
        overdue=total.overdue,
    )
    label = t.plain(f"issues.filter.{which}") if which in store.FILTERS else which
    if not found:
        return Html(head + "\n" + t("issues.none", filter=label)), None
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 0), pages - 1)
    shown = found[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    lines = [head, t("issues.title", filter=label, count=len(found))]
    lines += [issue_line(t, i, people, today) for i in shown]
    if pages > 1:
        lines.append(t("issues.page", page=page + 1, pages=pages))
    text = split_message(lines)[0]
    where = "" if in_group else f":{group.chat_id}"
    buttons = []
    if page > 0:
        buttons.append(
            InlineKeyboardButton(
                t.plain("issues.prev"), callback_data=f"iss:{which}:{page - 1}{where}"
            )
        )
    if page < pages - 1:
        buttons.append(
            InlineKeyboardButton(
                t.plain("issues.next"), callback_data=f"iss:{which}:{page + 1}{where}"
            )
        )
    return text, InlineKeyboardMarkup([buttons]) if buttons else None


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
    if which not in store.FILTERS and not is_road(which):
        raise Refused("error.stale_button")
    page = min(int(page_raw), MAX_PAGE)
    text, markup = await render_issue_page(
        context, context.t, group, which, query.from_user.id, page, in_group=is_group_chat(update)
    )
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(text, reply_markup=markup)


async def issue_command(inv: Invocation) -> None:
    """One issue: place, category, status, assignee, deadline, history, then the
    before and after photos as albums."""
    if len(inv.args) != 1:
        raise UsageError("issue")
    number = inv.number(inv.args[0])
    async with inv.context.read() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        detail = await store.issue_detail(session, issue)
    t = inv.t
    people = detail.people
    zone = ZoneInfo(inv.group.timezone)
    lines = [
        t("issue.head", icon=STATUS_ICONS[issue.status], number=number, where=where_text(t, issue)),
        t(
            "issue.fields",
            category=t.plain(f"issue.category.{issue.category}"),
            severity=issue.severity,
            status=t.plain(f"issue.status.{issue.status}"),
        ),
        t("issue.description", text=issue.description),
        t("issue.reporter", who=_name(people, issue.reporter_id)),
    ]
    if issue.assignee_id:
        lines.append(
            t(
                "issue.assignee",
                who=_name(people, issue.assignee_id),
                deadline=issue.deadline.isoformat() if issue.deadline else "—",
            )
        )
    if detail.duplicate_of:
        lines.append(t("issue.duplicate_of", number=detail.duplicate_of))
    lines.append(t("issue.history"))
    for event in detail.events:
        lines.append(
            t(
                "issue.history_line",
                when=event.at.astimezone(zone).strftime("%m-%d %H:%M"),
                who=_name(people, event.actor_id),
                what=t.plain(f"issue.event.{event.kind}", subject=_name(people, event.subject_id)),
                note=f" — {event.note}" if event.note else "",
            )
        )
    for chunk in split_message(lines):
        await inv.reply(chunk)
    for label, photos in (("issue.before", detail.before), ("issue.after", detail.after)):
        if len(photos) == 1:
            await inv.context.bot.send_photo(
                inv.chat_id, photos[0].file_id, caption=t.plain(label, number=number)
            )
        elif photos:
            media = [InputMediaPhoto(p.file_id) for p in photos[:10]]
            media[0] = InputMediaPhoto(photos[0].file_id, caption=t.plain(label, number=number))
            await inv.context.bot.send_media_group(inv.chat_id, media)


def _name(people: dict[int, Member], user_id: int | None) -> str:
    member = people.get(user_id or 0)
    return member.display_name if member else ""


# ---------------------------------------------------------------- life cycle


async def assign_command(inv: Invocation) -> None:
    """Assign an issue (admins; anyone may take it with ``me``), with a deadline."""
    if not 2 <= len(inv.args) <= 3:
        raise UsageError("assign")
    number = inv.number(inv.args[0])
    deadline = None
    if len(inv.args) == 3:
        deadline = future_date(inv.args[2], local_day(inv.group, inv.context.clock.now()), "assign")
    who = inv.args[1]
    if who.lower() in ("me", "我"):
        assignee = inv.user_id
    else:
        inv.require_admin()
        person = await named_person(inv.context, inv.group, inv.message, who)
        if person is None:
            raise UsageError("assign")
        assignee = person.user_id
    async with inv.transaction() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        issue = await store.assign(
            session,
            issue,
            assignee,
            deadline,
            inv.user_id,
            inv.context.clock.now(),
            by_admin=inv.is_admin,
        )
        member = await get_member(session, assignee)
    name = member.display_name if member else str(assignee)
    text = inv.t(
        "issue.assigned",
        number=number,
        where=where_text(inv.t, issue),
        who=name,
        deadline=issue.deadline.isoformat() if issue.deadline else inv.t.plain("issue.no_deadline"),
    )
    await inv.announce(text)


async def fixed_command(inv: Invocation) -> None:
    """Mark rectified: with the "after" photo as caption, or the bot asks for it."""
    if not inv.args:
        raise UsageError("fixed")
    number = inv.number(inv.args[0])
    note = bounded(inv.rest.split(None, 1)[1], "comment", "fixed") if len(inv.args) > 1 else ""
    now = inv.context.clock.now()
    if not inv.photos:
        async with inv.transaction() as session:
            issue = await store.get_issue(session, inv.group.id, number)
            if not store.may_fix(issue, inv.user_id, inv.is_admin):
                raise Refused("issue.not_allowed_fix", number=number)
            if issue.status not in store.UNRESOLVED:
                raise Refused(
                    "issue.wrong_status", number=number, status_key=f"issue.status.{issue.status}"
                )
            wait = {"issue_id": issue.id, "note": note}
            await set_prompt(session, inv.chat_id, inv.user_id, PromptKind.FIX_PHOTO, wait, now)
        await inv.reply(inv.t("issue.send_after_photo", number=number))
        return
    async with inv.transaction() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        issue, event = await store.mark_fixed(
            session, issue, inv.user_id, inv.is_admin, note, inv.photos, now
        )
        await drop_prompt(session, inv.chat_id, inv.user_id, PromptKind.FIX_PHOTO)
        await inv.link_album(session, (Subject.ISSUE_EVENT, event.id))
        member = await get_member(session, inv.user_id)
    kick_downloads(inv.context)
    await inv.announce(
        inv.t(
            "issue.fixed",
            number=number,
            where=where_text(inv.t, issue),
            who=member.display_name if member else "",
            note=note,
            photos=inv.t.plain("topic.photo_count", count=len(inv.photos)),
        )
    )


async def _owed_fix(context: Ctx, wait: Waiting) -> tuple[Group, int, str] | None:
    """The issue (group, number, note) an awaited "after" photo is for."""
    async with context.read() as session:
        issue = await session.get(Issue, int(wait.data.get("issue_id", 0)))
        group = await session.get(Group, issue.group_id) if issue is not None else None
    if issue is None or group is None:
        return None
    return group, issue.number, str(wait.data.get("note", ""))


async def fix_photo(update: Update, context: Ctx, photo: PhotoInfo, wait: Waiting) -> bool:
    """The awaited "after" photo: completes the /fixed that asked for it."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return False
    owed = await _owed_fix(context, wait)
    if owed is None:
        return False
    group, number, note = owed
    inv = Invocation(
        context=context,
        command="fixed",
        rest=f"{number} {note}".strip(),
        chat_id=message.chat_id,
        private=not is_group_chat(update),
        user_id=user.id,
        message_id=message.message_id,
        group=group,
        is_admin=await is_admin(context, group, user.id),
        t=context.t,
        photos=[photo],
        message=message,
        update_id=update.update_id,
    )
    await fixed_command(inv)
    return True


async def fix_album(context: Ctx, album: LooseAlbum, wait: Waiting) -> bool:
    """An album of "after" photos answering /fixed."""
    owed = await _owed_fix(context, wait)
    if owed is None:
        return False
    group, number, note = owed
    private = album.chat_id == album.user_id
    if private:
        async with context.read() as session:
            member = await get_member(session, album.user_id)
        t = for_language(language_from_code(member.language_code if member else None))
    else:
        t = for_language(group.language)
    inv = Invocation(
        context=context,
        command="fixed",
        rest=f"{number} {note}".strip(),
        chat_id=album.chat_id,
        private=private,
        user_id=album.user_id,
        message_id=album.message_id,
        group=group,
        is_admin=await is_admin(context, group, album.user_id),
        t=t,
        photos=album.photos,
        album=(album.chat_id, album.media_group_id),
    )
    await run_safely(inv)
    return True


async def verify_command(inv: Invocation) -> None:
    """Admins check the fix and close the issue (``dup:m``: close as a duplicate of m)."""
    inv.require_admin()
    if not 1 <= len(inv.args) <= 2:
        raise UsageError("verify")
    number = inv.number(inv.args[0])
    duplicate_number = None
    if len(inv.args) == 2:
        word = inv.args[1].lower()
        if not word.startswith(("dup:", "dup：", "重复:", "重复：")):
            raise UsageError("verify")
        duplicate_number = parse_int(word.split(":", 1)[-1].split("：", 1)[-1])
        if duplicate_number is None:
            raise UsageError("verify")
    now = inv.context.clock.now()
    async with inv.transaction() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        original = None
        if duplicate_number is not None:
            original = await store.get_issue(session, inv.group.id, duplicate_number)
        issue = await store.verify(session, issue, inv.user_id, now, original)
    if original is not None:
        await inv.announce(inv.t("issue.closed_duplicate", number=number, original=original.number))
    else:
        await inv.announce(inv.t("issue.verified", number=number, where=where_text(inv.t, issue)))


async def reopen_command(inv: Invocation) -> None:
    """Admins send an issue back to open, with the reason."""
    inv.require_admin()
    if len(inv.args) < 2:
        raise UsageError("reopen")
    number = inv.number(inv.args[0])
    reason = bounded(inv.rest.split(None, 1)[1], "reason", "reopen")
    if not reason:
        raise UsageError("reopen")
    async with inv.transaction() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        issue = await store.reopen(session, issue, inv.user_id, reason, inv.context.clock.now())
    await inv.announce(
        inv.t("issue.reopened", number=number, where=where_text(inv.t, issue), reason=reason)
    )


# ---------------------------------------------------------------- export


async def export_command(inv: Invocation) -> None:
    """Admins get the issue register or the topic list as an .xlsx file."""
    inv.require_admin()
    if len(inv.args) != 1 or inv.args[0].lower() not in ("issues", "topics"):
        raise UsageError("export")
    what = inv.args[0].lower()
    t = for_group(inv)
    async with inv.context.read() as session:
        if what == "issues":
            details = await store.export_rows(session, inv.group.id)
            content = export.issue_register(t, details, inv.group.timezone)
        else:
            topics = await topic_store.list_topics(session, inv.group.id)
            ids = [x.id for x in topics]
            content = export.topic_list(
                t,
                topics,
                await topic_store.claimants(session, ids),
                await topic_store.rating_summaries(session, ids),
                inv.group.timezone,
            )
    day = local_day(inv.group, inv.context.clock.now()).isoformat()
    filename = t.plain(f"export.{what}.filename", date=day)
    folder = inv.context.config.media.dir / str(inv.group.id) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(content)
    await inv.context.bot.send_document(
        inv.chat_id,
        content,
        filename=filename,
        caption=t.plain(f"export.{what}.caption", date=day),
    )


def for_group(inv: Invocation) -> Translator:
    """The group's language (registers are the group's documents)."""
    return for_language(inv.group.language)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Install the inspection commands, the location handler and the photo hooks (after
    handlers.report_flow, whose private-chat handlers come first)."""
    commands.add(
        app,
        CommandSpec("report", "any", section="inspections"),
        CommandSpec("issues", "group", section="inspections"),
        CommandSpec("issue", "group", section="inspections"),
        CommandSpec("assign", "group", section="inspections"),
        CommandSpec("fixed", "any", section="inspections"),
        CommandSpec("verify", "group", admin=True, section="inspections"),
        CommandSpec("reopen", "group", admin=True, section="inspections"),
        CommandSpec("export", "group", admin=True, section="inspections"),
    )
    register_command(app, "report", report_command, photos=True)
    register_command(app, "issues", issues_command)
    register_command(app, "issue", issue_command)
    register_command(app, "assign", assign_command)
    register_command(app, "fixed", fixed_command, photos=True)
    register_command(app, "verify", verify_command)
    register_command(app, "reopen", reopen_command)
    register_command(app, "export", export_command)
    app.add_handler(
        CallbackQueryHandler(
            on_page_button, pattern=r"^iss:[A-Za-z0-9]{1,8}:[0-9]{1,6}(:-?[0-9]{1,20})?$"
        )
    )
    add_taker(
        app,
        PromptKind.FIX_PHOTO,
        Taker(
            photo=fix_photo,
            album=fix_album,
            expires=FIX_PHOTO_WAIT,
            cancelled="issue.fix_cancelled",
        ),
    )
    set_location_fallback(app, on_location)
