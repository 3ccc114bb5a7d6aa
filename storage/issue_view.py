"""One issue as ``/issue N`` shows it — the issue, its reporter and assignee, the number
of the issue it duplicates, its history with the people named in it, and the before and
after photos — read in one statement (built once) instead of one each. The register
(台账), which reads many issues at once, has its own read (``issue_reads.details``)."""

from __future__ import annotations

from functools import cache

from sqlalchemy import Select, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.errors import UnknownNumber
from domain.kinds import IssueEventKind, Subject
from domain.parsing import storable
from storage.issue_reads import IssueDetail
from storage.models import Issue, IssueEvent, Member, Photo


@cache
def _view() -> Select[Issue, Member, Member, int, IssueEvent, Member, Member, Photo]:
    """The issue (by group and number) with one row per event and photo, oldest first;
    an issue without history still gives its one row. Built once, on first use (an
    alias configures every mapper: not at import, in front of the bot's first poll)."""
    reporter, assignee, actor, subject = (aliased(Member) for _ in range(4))
    original = aliased(Issue)
    return (
        select(Issue, reporter, assignee, original.number, IssueEvent, actor, subject, Photo)
        .outerjoin(reporter, reporter.user_id == Issue.reporter_id)
        .outerjoin(assignee, assignee.user_id == Issue.assignee_id)
        .outerjoin(original, original.id == Issue.duplicate_of_id)
        .outerjoin(IssueEvent, IssueEvent.issue_id == Issue.id)
        .outerjoin(actor, actor.user_id == IssueEvent.actor_id)
        .outerjoin(subject, subject.user_id == IssueEvent.subject_id)
        .outerjoin(
            Photo,
            and_(Photo.subject_kind == bindparam("kind"), Photo.subject_id == IssueEvent.id),
        )
        .where(Issue.group_id == bindparam("group_id"), Issue.number == bindparam("number"))
        .order_by(IssueEvent.at, IssueEvent.id, Photo.id)
        # a status change is a Core UPDATE: never an issue as an earlier read left it
        .execution_options(populate_existing=True)
    )


async def issue_view(session: AsyncSession, group_id: int, number: int) -> IssueDetail:
    """Issue ``number`` of the group with everything ``/issue`` shows, in one statement;
    UnknownNumber if there is none."""
    if not storable(number):
        raise UnknownNumber("issue", number)
    params = {"group_id": group_id, "number": number, "kind": Subject.ISSUE_EVENT}
    rows = (await session.execute(_view(), params)).all()
    if not rows:
        raise UnknownNumber("issue", number)
    issue, reporter, assignee, original = rows[0][:4]
    people = {m.user_id: m for m in (reporter, assignee) if m is not None}
    events: dict[int, IssueEvent] = {}
    before: list[Photo] = []
    after: list[Photo] = []
    for *_, event, actor, subject, photo in rows:
        if event is None:
            continue
        events.setdefault(event.id, event)
        people.update((m.user_id, m) for m in (actor, subject) if m is not None)
        if photo is not None:
            (after if event.kind == IssueEventKind.FIXED else before).append(photo)
    return IssueDetail(
        issue=issue,
        events=list(events.values()),
        people=people,
        before=before,
        after=after,
        duplicate_of=original,
    )
