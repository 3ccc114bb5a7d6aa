"""What the bot sends: the outbox, and the minute sweep's deliveries (one row a slot)."""

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, partial_index
from storage.types import UTCDateTime, utcnow


class OutboxMessage(Base):
    """A message that follows from a change, written in the change's transaction and
    sent afterwards by one sender (handlers/outbox.py): a crash can delay it or, rarely,
    send it twice, never lose it. ``key`` (kind, subject, slot — e.g.
    ``briefing:7:2026-03-12``) makes a second copy of a scheduled message impossible."""

    __tablename__ = "outbox"
    __table_args__ = (
        partial_index(
            "ix_outbox_pending",
            "due_at",
            "id",
            where=text("sent_at IS NULL AND failed_at IS NULL"),
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
