"""Photos kept for a subject, and albums: their parts as they arrive, and the albums
already acted on."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, partial_index
from storage.types import UTCDateTime, utcnow


class Photo(Base):
    """A photo kept by Telegram file id, and downloaded to the media directory; it
    belongs to one subject (a topic's progress entry, an issue's history entry, …)."""

    __tablename__ = "photos"
    __table_args__ = (
        Index("ix_photos_subject", "subject_kind", "subject_id"),
        # the background download's queue (storage.photos.pending_downloads)
        partial_index(
            "ix_photos_pending",
            "id",
            where=text("local_path IS NULL AND download_attempts < 5"),
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
