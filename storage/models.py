"""SQLAlchemy 2 models: groups and members, topics, inspection issues, photos, albums,
pending commands and prompts (what a person is in the middle of).

Telegram ids are ``BigInteger``; timestamps are aware UTC through :class:`UTCDateTime`;
relationships are never lazy-loaded (async code cannot do implicit I/O).
"""

from __future__ import annotations

from datetime import date, datetime, time
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
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from domain.kinds import IssueStatus
from storage.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def _is_cjk(char: str) -> bool:
    """Whether the character is a CJK ideograph (Chinese names are written without
    spaces)."""
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff"


def full_name(first: str, last: str | None) -> str:
    """A person's name from its parts as Telegram gives them; Chinese names take no
    space between the parts (王 + 书记 → 王书记), others do (Chen + Driver)."""
    parts = [p for p in (first, last) if p]
    joiner = "" if all(_is_cjk(p[0]) and _is_cjk(p[-1]) for p in parts) else " "
    return joiner.join(parts)


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Group(Base):
    """A Telegram group the bot is (or was) in: one workspace with its own settings."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    chat_type: Mapped[str] = mapped_column(String(16), default="group")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    briefing_time: Mapped[time] = mapped_column(Time, default=time(8, 0))
    workdays_only: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    admins_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Counter(Base):
    """The last number handed out per group and kind (topic, issue, event)."""

    __tablename__ = "counters"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Member(Base):
    """A person the bot has seen, with the profile they set in private chat."""

    __tablename__ = "members"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    username: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    language_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    real_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    party_joined_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def display_name(self) -> str:
        """The name the group knows: the profile's real name, else the Telegram name."""
        if self.real_name:
            return self.real_name
        full = full_name(self.first_name, self.last_name)
        return full or (f"@{self.username}" if self.username else str(self.user_id))

    @property
    def reachable(self) -> bool:
        """Whether the bot may write to the person privately: they pressed Start and
        have not blocked it since."""
        return self.started_at is not None and self.blocked_at is None


class Membership(Base):
    """A member of a group, with their role as Telegram reports it."""

    __tablename__ = "memberships"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("members.user_id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")  # member/admin/creator
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProcessedUpdate(Base):
    """An update whose effects are committed: a redelivery of it changes nothing."""

    __tablename__ = "processed_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ParkedUpdate(Base):
    """An update still being processed that the poller has confirmed to Telegram: kept
    here until it ends, and processed again after a restart if it never did."""

    __tablename__ = "parked_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str] = mapped_column(Text)  # the update as Telegram sent it (JSON)
    parked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Topic(Base):
    """A work problem the branch lists for members to claim and solve (领题解题)."""

    __tablename__ = "topics"
    __table_args__ = (UniqueConstraint("group_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    slots: Mapped[int] = mapped_column(Integer, default=1)
    claimed_count: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open/claimed/review/done
    progress: Mapped[int] = mapped_column(Integer, default=0)
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    approval_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("members.user_id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class TopicClaim(Base):
    """A member who claimed a topic (at most ``slots`` per topic)."""

    __tablename__ = "topic_claims"

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"), primary_key=True)
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class TopicEvent(Base):
    """One entry of a topic's history: created, claimed, released, milestone, progress,
    submitted, approved, rejected — with who, when, a note and photos."""

    __tablename__ = "topic_events"
    __table_args__ = (Index("ix_topic_events_at", "at"),)  # the briefing: since yesterday

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("members.user_id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    progress: Mapped[int | None] = mapped_column(Integer, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Milestone(Base):
    """A dated step of a topic."""

    __tablename__ = "milestones"
    __table_args__ = (Index("ix_milestones_due", "due_on"),)  # the reminders of the day

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic_id: Mapped[int] = mapped_column(ForeignKey("topics.id", ondelete="CASCADE"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Rating(Base):
    """One member's 1-5 rating of a submitted topic result (changeable)."""

    __tablename__ = "ratings"
    __table_args__ = (CheckConstraint("stars BETWEEN 1 AND 5", name="stars_range"),)

    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"), primary_key=True)
    stars: Mapped[int] = mapped_column(Integer)
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Photo(Base):
    """A photo kept by Telegram file id, and downloaded to the media directory; it
    belongs to one subject (a topic's progress entry, an issue's history entry, …)."""

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_subject", "subject_kind", "subject_id"),
        # the background download's queue (storage.photos.pending_downloads)
        Index(
            "ix_photos_pending",
            "id",
            sqlite_where=text("local_path IS NULL AND download_attempts < 5"),
            postgresql_where=text("local_path IS NULL AND download_attempts < 5"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), index=True)
    # what the photo belongs to: a kind (domain.kinds.Subject) and that row's id
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[int] = mapped_column(Integer)
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    local_path: Mapped[str | None] = mapped_column(String(500), nullable=True)
    download_attempts: Mapped[int] = mapped_column(Integer, default=0)
    download_error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlbumPart(Base):
    """One photo of an album (messages sharing a media_group_id), kept until the album is
    complete and attached to the entry its caption asks for."""

    __tablename__ = "album_parts"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64), index=True)
    message_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    caption: Mapped[str | None] = mapped_column(Text, nullable=True)
    # the bot's message it replies to (an album sent in reply to an event's announcement)
    reply_to_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    file_id: Mapped[str] = mapped_column(String(255))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    file_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Album(Base):
    """An album that has been acted on: late photos of it join the same entry."""

    __tablename__ = "albums"
    __table_args__ = (UniqueConstraint("chat_id", "media_group_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    media_group_id: Mapped[str] = mapped_column(String(64))
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    # the entry its photos joined (late photos of the album join it too)
    subject_kind: Mapped[str | None] = mapped_column(String(16), nullable=True)
    subject_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    processed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PendingCommand(Base):
    """A numbered command sent in private chat by someone in several groups, waiting for
    them to pick the group."""

    __tablename__ = "pending_commands"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("members.user_id", ondelete="CASCADE"))
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    update_json: Mapped[str] = mapped_column(Text)
    chosen_group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


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
Index(
    "ix_issues_open_order",
    Issue.group_id,
    *ISSUE_ORDER,
    sqlite_where=_UNVERIFIED,
    postgresql_where=_UNVERIFIED,
)
Index("ix_issues_road_order", Issue.group_id, *ISSUE_ORDER[1:])
Index(
    "ix_issues_open_place",
    Issue.group_id,
    Issue.road,
    Issue.stake_from,
    sqlite_where=_UNVERIFIED,
    postgresql_where=_UNVERIFIED,
)
Index(
    "ix_issues_overdue",
    Issue.group_id,
    Issue.deadline,
    sqlite_where=_UNRESOLVED,
    postgresql_where=_UNRESOLVED,
)
Index(
    "ix_issues_open_assignee",
    Issue.group_id,
    Issue.assignee_id,
    sqlite_where=_UNVERIFIED,
    postgresql_where=_UNVERIFIED,
)
Index(
    "ix_issues_open_reporter",
    Issue.group_id,
    Issue.reporter_id,
    sqlite_where=_UNVERIFIED,
    postgresql_where=_UNVERIFIED,
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


class Prompt(Base):
    """What a person is in the middle of in one chat (a guided report, an awaited
    "after" photo, …): one at a time per person and chat, with what it collected."""

    __tablename__ = "prompts"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))  # domain.kinds.PromptKind
    data: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Event(Base):
    """An activity of the branch (活动): a party lesson, a talk, study, volunteer
    service, a visit, a meeting — with its places, waiting list and check-in."""

    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("group_id", "number"),
        CheckConstraint("cap IS NULL OR cap >= 1", name="cap_positive"),
        Index("ix_events_group_start", "group_id", "starts_at"),
        Index("ix_events_group_end", "group_id", "ends_at"),
        Index("ix_events_announcement", "group_id", "announce_message_id"),
        Index("ix_events_start", "starts_at"),  # the reminders of events starting soon
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # domain.kinds.EventType
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_given: Mapped[bool] = mapped_column(Boolean, default=True)  # else start + 2 h
    cap: Mapped[int | None] = mapped_column(Integer, nullable=True)  # None: no limit
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)  # the venue
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)  # check-in adds people
    allow_pin: Mapped[bool] = mapped_column(Boolean, default=False)  # a static pin counts
    code_fallback: Mapped[bool] = mapped_column(Boolean, default=False)  # code with a venue
    checkin_code: Mapped[str] = mapped_column(String(16))
    link_token: Mapped[str] = mapped_column(String(32), unique=True)  # the group's button
    qr_token: Mapped[str] = mapped_column(String(32), unique=True)  # the printed QR code
    announce_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    joined_count: Mapped[int] = mapped_column(Integer, default=0)
    waiting_count: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)  # order of sign-ups
    created_by: Mapped[int] = mapped_column(ForeignKey("members.user_id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class EventSignup(Base):
    """A person signed up for an event (with a place, or waiting), and their check-in,
    check-out and the minutes they are credited with."""

    __tablename__ = "event_signups"
    __table_args__ = (
        Index("ix_event_signups_queue", "event_id", "status", "seq"),
        Index("ix_event_signups_user", "user_id", "event_id"),
    )

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("members.user_id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # domain.kinds.SignupStatus
    seq: Mapped[int] = mapped_column(Integer)  # the order people signed up in
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    method: Mapped[str | None] = mapped_column(String(16), nullable=True)  # CheckinMethod
    distance_m: Mapped[int | None] = mapped_column(Integer, nullable=True)
    minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)  # credited time


class WrongCode(Base):
    """A wrong check-in code a person tried for an event, one row each (so attempts made
    at once by two processes all count); kept while they count, then pruned."""

    __tablename__ = "wrong_codes"
    __table_args__ = (
        Index("ix_wrong_codes_person", "event_id", "user_id", "tried_at"),
        Index("ix_wrong_codes_tried", "tried_at"),  # pruned once they no longer count
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(BigInteger)
    tried_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxMessage(Base):
    """A message that follows from a change, written in the change's transaction and
    sent afterwards by one sender (handlers/outbox.py): a crash can delay it or, rarely,
    send it twice, never lose it. ``key`` (kind, subject, slot — e.g.
    ``briefing:7:2026-03-12``) makes a second copy of a scheduled message impossible."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "due_at",
            "id",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        Index("ix_outbox_group_failed", "group_id", "failed_at"),
        Index("ix_outbox_created", "created_at"),  # pruned after a month
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str | None] = mapped_column(String(128), unique=True, nullable=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)  # Telegram HTML, within one message's length
    markup: Mapped[str | None] = mapped_column(Text, nullable=True)  # reply_markup as JSON
    reply_to: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    bulk: Mapped[bool] = mapped_column(Boolean, default=False)  # waits behind replies
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # retries wait
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    pages_sent: Mapped[int] = mapped_column(Integer, default=0)  # of a message in pages
    # a file made when it is sent ("summary:2026-11": that month's report), ``text`` its
    # caption
    document: Mapped[str | None] = mapped_column(String(64), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(String(300), nullable=True)
    # a private message's stand-in: the group note (an Outgoing as JSON) sent instead when
    # the person cannot be written to
    fallback: Mapped[str | None] = mapped_column(Text, nullable=True)


class Delivery(Base):
    """What the minute sweep did with one scheduled slot (a group's morning): its key
    (kind, subject, slot — ``morning:7:2026-03-12``) is written once, so the slot is
    handled once, after a restart too and with two bot processes on one database."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_group_at", "group_id", "at"),)

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    outcome: Mapped[str] = mapped_column(String(16))  # domain.slots.Outcome
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
