"""Deadlines that have come: the milestones of unfinished topics and the unresolved
issues due by a day, with the people who must act (the morning's reminders and the
briefing's list). Reads only, on the due-date indexes, capped in length."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import TopicStatus
from storage.members import members_by_id
from storage.models import Issue, Member, Milestone, Topic
from storage.topics import claimants

_UNRESOLVED = Issue.status.in_([literal_column("'open'"), literal_column("'assigned'")])


@dataclass
class Due:
    """A milestone or an issue deadline that is due (or overdue), and who must act."""

    kind: str  # "milestone" | "issue"
    number: int  # the topic's or the issue's number
    text: str  # the milestone's text, the issue's description
    due_on: date
    people: list[Member] = field(default_factory=list)
    subject_id: int = 0  # the milestone's or the issue's row


@dataclass(frozen=True)
class Soon:
    """The milestones and the issue deadlines due today or tomorrow (the day's reminders),
    each list earliest first and capped at ``cap``."""

    milestones: list[Due]
    issues: list[Due]
    cap: int

    @property
    def items(self) -> list[Due]:
        """Both lists, milestones first."""
        return self.milestones + self.issues


async def due_soon(session: AsyncSession, group_id: int, today: date, cap: int) -> Soon:
    """What is due today or tomorrow in the group: each deadline's people are reminded,
    and the briefing lists today's."""
    tomorrow = today + timedelta(days=1)
    return Soon(
        await due_milestones(session, group_id, today, tomorrow, cap),
        await due_issues(session, group_id, today, tomorrow, cap),
        cap,
    )


def today_of(found: list[Due], cap: int, today: date) -> tuple[list[Due], bool]:
    """The items of a capped, earliest-first list due ``today``, and whether they are all
    of them (the list was not cut, or it reaches past today)."""
    items = [d for d in found if d.due_on == today]
    return items, len(found) < cap or found[-1].due_on > today


def _dated(column: Any, first: date | None, last: date) -> list[ColumnElement[bool]]:
    """``column`` (a date) is from ``first`` (None: any time before) to ``last``."""
    return [column <= last] if first is None else [column <= last, column >= first]


def milestones_due(group_id: int, first: date | None, last: date) -> Any:  # a Select
    """The query of the milestones not done of the group's unfinished topics due from
    ``first`` (None: any time before) to ``last``, with their topic's number."""
    return (
        select(Milestone, Topic.number)
        .join(Topic, Topic.id == Milestone.topic_id)
        .where(
            Topic.group_id == group_id,
            Topic.status != TopicStatus.DONE.value,
            Milestone.done_at.is_(None),
            *_dated(Milestone.due_on, first, last),
        )
    )


def issues_due(group_id: int, first: date | None, last: date) -> Any:  # a Select
    """The query of the group's unresolved issues whose deadline is from ``first`` (None:
    any time before) to ``last``."""
    return select(Issue).where(
        Issue.group_id == group_id, _UNRESOLVED, *_dated(Issue.deadline, first, last)
    )


async def due_milestones(
    session: AsyncSession,
    group_id: int,
    first: date | None,
    last: date,
    limit: int,
    *,
    latest_first: bool = False,
) -> list[Due]:
    """Milestones not done of the group's unfinished topics, due from ``first`` (None:
    any time before) to ``last``, earliest (or latest) first, with the topic's
    claimants."""
    due = Milestone.due_on.desc() if latest_first else Milestone.due_on
    rows = list(
        await session.execute(
            milestones_due(group_id, first, last)
            .order_by(due, Topic.number, Milestone.id)
            .limit(limit)
        )
    )
    people = await claimants(session, sorted({m.topic_id for m, _ in rows}))
    return [
        Due("milestone", number, m.text, m.due_on, list(people.get(m.topic_id, [])), m.id)
        for m, number in rows
    ]


async def due_issues(
    session: AsyncSession,
    group_id: int,
    first: date | None,
    last: date,
    limit: int,
    *,
    latest_first: bool = False,
) -> list[Due]:
    """Unresolved issues of the group whose deadline is from ``first`` (None: any time
    before) to ``last``, earliest (or latest) first, with the person assigned (read on
    the overdue index)."""
    due = Issue.deadline.desc() if latest_first else Issue.deadline
    rows = list(
        await session.scalars(
            issues_due(group_id, first, last).order_by(due, Issue.number).limit(limit)
        )
    )
    people = await members_by_id(session, {i.assignee_id for i in rows if i.assignee_id})
    found = []
    for issue in rows:
        assert issue.deadline is not None
        assignee = people.get(issue.assignee_id) if issue.assignee_id else None
        found.append(
            Due(
                "issue",
                issue.number,
                issue.description,
                issue.deadline,
                [assignee] if assignee else [],
                issue.id,
            )
        )
    return found
