"""Inspections — /report in one message (text, photo or album caption) and the
location sent right after it."""

from __future__ import annotations

from datetime import timedelta

from telegram import (
    Update,
)

from domain.errors import InvalidValue, UsageError
from domain.kinds import Subject
from domain.parsing import ArgumentError, parse_report
from domain.roads import STAKE_EXAMPLE, StakeError
from handlers.albums import finish_albums_of
from handlers.common import reply
from handlers.context import Ctx
from handlers.i18n import Html
from handlers.inspections.views import duplicates_text
from handlers.invocation import (
    Invocation,
    announce_with_photos,
)
from handlers.issue_lines import where_text
from handlers.media import kick_downloads
from handlers.outbox import outgoing, send_later
from storage import issues as store
from storage.models import Issue

LOCATION_WINDOW = timedelta(minutes=2)


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
        if not inv.private:
            # the acknowledgement is written with the issue: a crash cannot lose it
            text = report_text(inv, issue, nearby, len(inv.photos))
            ack = outgoing(inv.chat_id, text, reply_to=inv.message_id, group_id=inv.group.id)
            await send_later(session, inv.context, ack)
    if inv.photos:
        kick_downloads(inv.context)
    if inv.private:
        await announce_report(inv, issue, nearby, len(inv.photos))


async def announce_report(inv: Invocation, issue: Issue, nearby: list[Issue], photos: int) -> None:
    """Tell the group (and the reporter) that the issue is logged."""
    await announce_with_photos(inv, report_text(inv, issue, nearby, photos))


def report_text(inv: Invocation, issue: Issue, nearby: list[Issue], photos: int) -> Html:
    """The announcement of a new issue: where, what, how bad, possible duplicates."""
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
    return text


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
