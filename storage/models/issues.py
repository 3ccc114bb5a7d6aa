"""自查问题: inspection issues, the indexes their lists read, their tallies and history."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from domain.kinds import IssueStatus
from storage.models.base import Base, partial_index
from storage.types import UTCDateTime, utcnow


class Issue(Base):
    """A defect found on a field inspection (自查问题), from report to verified fix."""

    __tablename__ = "issues"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint("severity BETWEEN 1 AND 3", name="severity_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    road: Mapped[str | None] = mapped_column(String(16), nullable=True)
    stake_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    stake_to: Mapped[int | None] = mapped_column(Integer, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    category: Mapped[str] = mapped_column(String(16), default="other")
    severity: Mapped[int] = mapped_column(Integer, default=2)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/assigned/fixed/verified
    reporter_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("members.user_id"), nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True)
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("issues.id", ondelete="SET NULL"), nullable=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# What /issues, its counts, the duplicate check and the roster filter and sort by. The
# list's order (road, then stake, issues without either last) is spelled with IS NULL so
# that SQLite and PostgreSQL, which put NULLs at opposite ends, agree and read it off an
# index; "open" lists read the partial indexes, which leave verified issues out.
_UNVERIFIED = Issue.status != IssueStatus.VERIFIED.value
_UNRESOLVED = Issue.status.in_([IssueStatus.OPEN.value, IssueStatus.ASSIGNED.value])
ISSUE_ORDER: tuple[Any, ...] = (  # columns and expressions
    Issue.road.is_(None),
    Issue.road,
    Issue.stake_from.is_(None),
    Issue.stake_from,
    Issue.number,
)
Index("ix_issues_order", Issue.group_id, *ISSUE_ORDER)
partial_index(
    "ix_issues_open_order",
    Issue.group_id,
    *ISSUE_ORDER,
    where=_UNVERIFIED,
)
Index("ix_issues_road_order", Issue.group_id, *ISSUE_ORDER[1:])
partial_index(
    "ix_issues_open_place",
    Issue.group_id,
    Issue.road,
    Issue.stake_from,
    where=_UNVERIFIED,
)
partial_index(
    "ix_issues_overdue",
    Issue.group_id,
    Issue.deadline,
    where=_UNRESOLVED,
)
# /issues mine: the open issues a person holds, and those they reported, each in the
# list's order (a page is the first rows of the two); /issues overdue: the unresolved
# issues with a deadline in the list's order, with the deadline (a page stops once it
# has its rows, passing over those not yet due in the index alone)
partial_index(
    "ix_issues_open_assignee_order",
    Issue.group_id,
    Issue.assignee_id,
    *ISSUE_ORDER,
    where=_UNVERIFIED,
)
partial_index(
    "ix_issues_open_reporter_order",
    Issue.group_id,
    Issue.reporter_id,
    *ISSUE_ORDER,
    where=_UNVERIFIED,
)
_DEADLINED = _UNRESOLVED & Issue.deadline.is_not(None)
partial_index(
    "ix_issues_deadline_order",
    Issue.group_id,
    *ISSUE_ORDER,
    Issue.deadline,
    where=_DEADLINED,
)
# the roster: the lowest numbers of the unresolved issues each person holds
partial_index(
    "ix_issues_unresolved_assignee",
    Issue.group_id,
    Issue.assignee_id,
    Issue.number,
    where=_UNRESOLVED,
)
Index("ix_issues_reporter_recent", Issue.reporter_id, Issue.chat_id, Issue.created_at)
Index("ix_issues_group_created", Issue.group_id, Issue.created_at)  # new since yesterday
Index("ix_issues_group_fixed", Issue.group_id, Issue.fixed_at)  # the monthly report
Index("ix_issues_group_verified", Issue.group_id, Issue.verified_at)


class IssueTally(Base):
    """How many issues of a group are in each status (duplicates apart). Kept by
    database triggers on ``issues`` (migration 0005), so the counts on top of /issues
    cost one small read however many issues there are."""

    __tablename__ = "issue_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    duplicate: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IssueStakeTally(Base):
    """How many located issues of a group (duplicates apart) are on each kilometre of
    each road, a column a status: the wall page's road strips. Kept by database triggers
    on ``issues`` (migration 0014), so a strip costs one small read however many issues
    a road has."""

    __tablename__ = "issue_stake_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    road: Mapped[str] = mapped_column(String(16), primary_key=True)
    km: Mapped[int] = mapped_column(Integer, primary_key=True)  # stake_from // 1000
    n_open: Mapped[int] = mapped_column(Integer, default=0)
    n_assigned: Mapped[int] = mapped_column(Integer, default=0)
    n_fixed: Mapped[int] = mapped_column(Integer, default=0)
    n_verified: Mapped[int] = mapped_column(Integer, default=0)


class IssueRoadTally(Base):
    """How many located issues of a group (duplicates apart) are in each status on each
    road: the wall page's list of roads. Kept by the same triggers as
    :class:`IssueStakeTally` (migration 0014)."""

    __tablename__ = "issue_road_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    road: Mapped[str] = mapped_column(String(16), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IssueAssigneeTally(Base):
    """How many unresolved issues (open or assigned) of a group each person holds: the
    roster's count. Kept by database triggers on ``issues`` (migration 0017)."""

    __tablename__ = "issue_assignee_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IssueMineTally(Base):
    """How many issues of a group not yet verified each person reported or holds (once
    each): the count ``/issues mine`` shows. Kept by a database trigger on ``issues``
    (migration 0019)."""

    __tablename__ = "issue_mine_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class IssueEvent(Base):
    """One step of an issue's life: reported, located, assigned, fixed, verified,
    reopened, duplicate — with who, when, a note and photos."""

    __tablename__ = "issue_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issue_id: Mapped[int] = mapped_column(ForeignKey("issues.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.user_id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
