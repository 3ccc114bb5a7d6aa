"""Groups and the people in them: groups, their per-kind counters, members and
memberships."""

from datetime import date, datetime, time

from sqlalchemy import BigInteger, Boolean, Date, ForeignKey, Index, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime, utcnow


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


class Group(Base):
    """A Telegram group the bot is (or was) in: one workspace with its own settings."""

    __tablename__ = "groups"
    __table_args__ = (Index("ix_groups_migrated_from", "migrated_from", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    # the basic group's chat id, once it became a supergroup (its old chat's updates)
    migrated_from: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
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


class WallKey(Base):
    """The secret a group's wall links are signed with (``domain.wall_links``); a new
    one revokes every link given before."""

    __tablename__ = "wall_keys"

    group_id: Mapped[int] = mapped_column(
        ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True
    )
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


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
