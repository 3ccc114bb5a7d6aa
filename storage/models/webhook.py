"""Updates a webhook worker has received and not finished: each holds its chat's turn
(bot/turns.py), so that workers sharing one PostgreSQL database take a chat's updates
one after another."""

from datetime import datetime

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime


class WebhookUpdate(Base):
    """An update a worker is handling, or waiting to handle: later updates of its chat
    wait until the row is gone (finished) or its hold has run out (the worker died or
    gave the update back)."""

    __tablename__ = "webhook_updates"
    __table_args__ = (Index("ix_webhook_updates_chat_key", "chat_key", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # the order the update keeps (bot.ordering.chat_key as text); NULL: none
    chat_key: Mapped[str | None] = mapped_column(String(64), nullable=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # renewed while its worker lives; a row held until the past blocks nothing
    held_until: Mapped[datetime] = mapped_column(UTCDateTime)
