"""Prompts: what a person is in the middle of in one chat — a guided report, an awaited
"after" photo, and next an awaited check-in location — with what it has collected so
far. One per person and chat; a new one replaces the old."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from domain.errors import Refused
from domain.kinds import PromptKind
from storage.dialect import insert, rowcount
from storage.models import Prompt


@dataclass(frozen=True)
class Waiting:
    """A prompt as the features read it."""

    kind: PromptKind
    data: dict[str, Any]
    since: datetime  # its last step
    started: datetime  # when it began


async def set_prompt(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    kind: PromptKind,
    data: dict[str, Any],
    now: datetime,
    *,
    fresh: bool = True,
) -> None:
    """Wait for the person's next message in this chat: a new prompt (``fresh``, which
    replaces any earlier one) or the next step of the same one."""
    text = json.dumps(data, ensure_ascii=False)
    changes: dict[str, Any] = {"kind": kind, "data": text, "updated_at": now}
    if fresh:
        changes["started_at"] = now
    await session.execute(
        insert(session, Prompt)
        .values(
            chat_id=chat_id,
            user_id=user_id,
            kind=kind,
            data=text,
            started_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(index_elements=["chat_id", "user_id"], set_=changes)
    )


async def check_free(session: AsyncSession, chat_id: int, user_id: int, kind: PromptKind) -> None:
    """Refuse to begin ``kind`` while the person is in the middle of something else in
    this chat (a new prompt would silently throw the other one away)."""
    found = await get_prompt(session, chat_id, user_id)
    if found is not None and found.kind != kind:
        raise Refused("prompt.busy", doing_key=f"prompt.kind.{found.kind}")


async def get_prompt(
    session: AsyncSession, chat_id: int, user_id: int, *, for_update: bool = False
) -> Waiting | None:
    """What the person is in the middle of in this chat, if anything; ``for_update``
    locks the row (photos of an album arrive concurrently)."""
    prompt = await session.get(
        Prompt, (chat_id, user_id), populate_existing=True, with_for_update=for_update
    )
    if prompt is None:
        return None
    return Waiting(
        PromptKind(prompt.kind), json.loads(prompt.data), prompt.updated_at, prompt.started_at
    )


async def drop_prompt(
    session: AsyncSession, chat_id: int, user_id: int, kind: PromptKind | None = None
) -> bool:
    """Stop waiting (only for ``kind``, when given); False if nothing was waited for."""
    stmt = delete(Prompt).where(Prompt.chat_id == chat_id, Prompt.user_id == user_id)
    if kind is not None:
        stmt = stmt.where(Prompt.kind == kind)
    return rowcount(await session.execute(stmt)) > 0


async def prune_prompts(session: AsyncSession, older_than: datetime) -> None:
    """Forget prompts nobody came back to."""
    await session.execute(delete(Prompt).where(Prompt.updated_at < older_than))
