"""活动: events and their sign-ups (places, waiting list, check-in, credited minutes)."""

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime, utcnow


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
    # 补录: entered after it had begun — no Join buttons, reminders or check-in
    recorded: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
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
    # 补录: the admin who recorded the person as present (method ``recorded``), and the
    # sign-up they had before (None: none, the record made it), put back when it is removed
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    prior_status: Mapped[str | None] = mapped_column(String(16), nullable=True)


class VolunteerTally(Base):
    """A person's credited minutes (and sign-ups credited) at a group's volunteer events:
    ``month`` 0 for all time, else the UTC month of the events' start as YYYYMM. Kept by
    database triggers on ``event_signups`` and ``events`` (migration 0017), counting
    every credited minute whether or not its event has ended (``storage.hours`` takes
    off what is still running)."""

    __tablename__ = "volunteer_tallies"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    events: Mapped[int] = mapped_column(Integer, default=0)


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
