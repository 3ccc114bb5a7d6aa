"""What the results wall's web page needs beyond its contents: the secret a group's
links are signed with, and a photo the page may show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import IssueStatus, Subject, TopicEventKind, TopicStatus
from domain.wall_links import new_secret
from storage.dialect import insert
from storage.models import (
    Group,
    Issue,
    IssueEvent,
    Photo,
    Topic,
    TopicEvent,
    WallKey,
)

PAGE_SUBJECTS = (Subject.TOPIC_EVENT.value, Subject.ISSUE_EVENT.value)  # photos a page shows


async def link_secret(session: AsyncSession, group_id: int, now: datetime) -> str:
    """The group's link secret, made on first use (one for all processes)."""
    await session.execute(
        insert(session, WallKey)
        .values(group_id=group_id, secret=new_secret(), created_at=now)
        .on_conflict_do_nothing(index_elements=["group_id"])
    )
    secret = await session.scalar(select(WallKey.secret).where(WallKey.group_id == group_id))
    assert secret is not None
    return secret


async def current_secret(session: AsyncSession, group_id: int) -> str | None:
    """The group's link secret, or None when it never gave a link (or is gone)."""
    return await session.scalar(
        select(WallKey.secret)
        .join(Group, Group.id == WallKey.group_id)
        .where(WallKey.group_id == group_id, Group.active.is_(True))
    )


async def reset_secret(session: AsyncSession, group_id: int, now: datetime) -> str:
    """A new secret for the group: every link given before stops working."""
    secret = new_secret()
    await session.execute(
        insert(session, WallKey)
        .values(group_id=group_id, secret=secret, created_at=now)
        .on_conflict_do_update(
            index_elements=["group_id"], set_={"secret": secret, "created_at": now}
        )
    )
    return secret


async def page_photo(session: AsyncSession, group_id: int, photo_id: int) -> Photo | None:
    """A downloaded photo the group's page shows: of an approved result (its progress,
    its accepted submission) or of a verified issue; None for any other (an unfinished
    or rejected topic's, an open issue's, another group's)."""
    photo = await session.scalar(
        select(Photo).where(
            Photo.id == photo_id,
            Photo.group_id == group_id,
            Photo.subject_kind.in_(PAGE_SUBJECTS),
            Photo.local_path.is_not(None),
        )
    )
    if photo is None:
        return None
    if photo.subject_kind == Subject.TOPIC_EVENT:
        shown = await _result_step(session, group_id, photo.subject_id)
    else:
        shown = await _verified_step(session, group_id, photo.subject_id)
    return photo if shown else None


async def _result_step(session: AsyncSession, group_id: int, event_id: int) -> bool:
    """Whether a topic step is on the wall: progress of an approved topic, or the
    submission that was approved (its last)."""
    found = (
        await session.execute(
            select(TopicEvent.kind, TopicEvent.topic_id)
            .join(Topic, Topic.id == TopicEvent.topic_id)
            .where(
                TopicEvent.id == event_id,
                Topic.group_id == group_id,
                Topic.status == TopicStatus.DONE,
            )
        )
    ).first()
    if found is None:
        return False
    kind, topic_id = found
    if kind == TopicEventKind.PROGRESS:
        return True
    last = await session.scalar(
        select(func.max(TopicEvent.id)).where(
            TopicEvent.topic_id == topic_id, TopicEvent.kind == TopicEventKind.SUBMITTED
        )
    )
    return kind == TopicEventKind.SUBMITTED and last == event_id


async def _verified_step(session: AsyncSession, group_id: int, event_id: int) -> bool:
    """Whether an issue step belongs to a verified issue (not a duplicate)."""
    found = await session.scalar(
        select(IssueEvent.id)
        .join(Issue, Issue.id == IssueEvent.issue_id)
        .where(
            IssueEvent.id == event_id,
            Issue.group_id == group_id,
            Issue.status == IssueStatus.VERIFIED,
            Issue.duplicate_of_id.is_(None),
        )
    )
    return found is not None
