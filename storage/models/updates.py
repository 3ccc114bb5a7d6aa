"""Updates the bot has processed, and updates parked while they run (bot/parking.py)."""

from datetime import datetime

from sqlalchemy import BigInteger, Float, String, Text
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
    # the process processing it holds it until then (renewed while it runs); when the
    # lease has run out (the process died) or is NULL, any live process may take it up
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class SendBudget(Base):
    """Where Telegram's flood limits stand for one chat (``chat``: its id) or for the
    whole bot (``chat`` = ``"*"``), shared by every process on one PostgreSQL database:
    the theoretical arrival time of the next message, in seconds since the epoch on the
    database's clock (GCRA; see bot/budget.py)."""

    __tablename__ = "send_budgets"

    chat: Mapped[str] = mapped_column(String(40), primary_key=True)
    tat: Mapped[float] = mapped_column(Float(precision=53), index=True)
