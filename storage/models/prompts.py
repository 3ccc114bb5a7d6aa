"""What a person is in the middle of: a numbered command waiting for its group, and
prompts (a guided report, an awaited photo, …)."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import UTCDateTime, utcnow


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
