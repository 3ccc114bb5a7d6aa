"""Updates the bot has processed, and updates parked while they run (bot/parking.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime, utcnow


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
