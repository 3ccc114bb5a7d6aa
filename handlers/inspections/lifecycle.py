"""Inspections — an issue's life: /assign, /fixed (with the "after" photo, or the
wait for it), /verify, /reopen."""

from __future__ import annotations

from telegram import (
    Update,
)

from domain.errors import UsageError
from domain.kinds import PromptKind, Subject
from domain.parsing import future_date, parse_int
from handlers.common import is_admin
from handlers.context import Ctx
from handlers.days import local_day
from handlers.features import AlbumSent
from handlers.invocation import (
    Invocation,
    run_safely,
)
from handlers.issue_lines import where_text
from handlers.media import kick_downloads
from handlers.people import named_person
from storage import issues as store
from storage.members import get_member
from storage.models import Group, Issue
from storage.photos import PhotoInfo
from storage.prompts import Waiting, check_free, drop_prompt, set_prompt


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
    note = inv.text_after(1, "comment", required=False)
    now = inv.context.clock.now()
    if not inv.photos:
        async with inv.transaction() as session:
            issue = await store.get_issue(session, inv.group.id, number)
            store.check_fixable(issue, inv.user_id, inv.is_admin)  # before asking for a photo
            await check_free(session, inv.chat_id, inv.user_id, PromptKind.FIX_PHOTO)
            wait = {"issue_id": issue.id, "note": note}
            await set_prompt(session, inv.chat_id, inv.user_id, PromptKind.FIX_PHOTO, wait, now)
        key = "issue.send_after_photo_private" if inv.private else "issue.send_after_photo"
        await inv.reply(inv.t(key, number=number))
        return
    await record_fix(inv, number, note)


async def record_fix(inv: Invocation, number: int, note: str) -> None:
    """Issue ``number`` rectified with the invocation's "after" photos and ``note``;
    the group is told."""
    now = inv.context.clock.now()
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


async def _owed_fix(
    context: Ctx, chat_id: int, user_id: int, wait: Waiting
) -> tuple[Group, int, str] | None:
    """The issue (group, number, note) an awaited "after" photo is for; when it can no
    longer be fixed (someone else fixed it meanwhile), the wait ends."""
    async with context.read() as session:
        issue = await session.get(Issue, int(wait.data.get("issue_id", 0)))
        group = await session.get(Group, issue.group_id) if issue is not None else None
    if issue is None or group is None or issue.status not in store.UNRESOLVED:
        async with context.transaction() as session:
            await drop_prompt(session, chat_id, user_id, PromptKind.FIX_PHOTO)
        return None
    return group, issue.number, str(wait.data.get("note", ""))


async def fix_photo(update: Update, context: Ctx, photo: PhotoInfo, wait: Waiting) -> bool:
    """The awaited "after" photo: completes the /fixed that asked for it."""
    message = update.effective_message
    user = update.effective_user
    if message is None or user is None:
        return False
    owed = await _owed_fix(context, message.chat_id, user.id, wait)
    if owed is None:
        return False
    group, number, note = owed
    admin = await is_admin(context, group, user.id)
    rest = f"{number} {note}".strip()
    inv = Invocation.from_message(update, context, "fixed", rest, group, admin, [photo])
    await record_fix(inv, number, note)
    return True


async def fix_album(context: Ctx, album: AlbumSent, wait: Waiting) -> bool:
    """An album of "after" photos answering /fixed."""
    owed = await _owed_fix(context, album.chat_id, album.user_id, wait)
    if owed is None:
        return False
    group, number, note = owed
    admin = await is_admin(context, group, album.user_id)
    rest = f"{number} {note}".strip()
    inv = Invocation.from_album(context, album, "fixed", rest, group, admin)
    await run_safely(inv, lambda fixing: record_fix(fixing, number, note))
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
    number, reason = inv.number_and_text("reason")
    async with inv.transaction() as session:
        issue = await store.get_issue(session, inv.group.id, number)
        issue = await store.reopen(session, issue, inv.user_id, reason, inv.context.clock.now())
    await inv.announce(
        inv.t("issue.reopened", number=number, where=where_text(inv.t, issue), reason=reason)
    )
