"""The admins' corrections of the holiday calendar (``/settings holiday``)."""

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, partial_index
from storage.types import UTCDateTime, utcnow


class CalendarDay(Base):
    """One day an admin made a day off or a working day (``domain.kinds.DayKind``): for
    one group, or (``group_id`` None) for every group that has not corrected that day
    itself. One row per group and day, and one installation-wide row per day."""

    __tablename__ = "calendar_days"
    __table_args__ = (
        partial_index(
            "uq_calendar_days_group_day",
            "group_id",
            "day",
            unique=True,
            where="group_id IS NOT NULL",
        ),
        partial_index(
            "uq_calendar_days_installation_day",
            "day",
            unique=True,
            where="group_id IS NULL",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), nullable=True
    )
    day: Mapped[date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(8))  # domain.kinds.DayKind
    set_by: Mapped[int] = mapped_column(BigInteger)  # the admin's Telegram user id
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
