"""Who must fix what, as the roster (/members) shows it: the unresolved issues each
person holds — how many (from the tallies) and the lowest numbers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from storage.issue_reads import UNRESOLVED
from storage.models import Issue, IssueAssigneeTally

ROSTER_ISSUES = 10  # issue numbers the roster shows a person (and how many in all)
_UNION = 400  # parts of one UNION ALL (SQLite allows 500)


@dataclass(frozen=True)
class Held:
    """The unresolved issues a person holds, as the roster shows them: the lowest
    numbers (at most ``ROSTER_ISSUES``) and how many in all."""

    numbers: list[int]
    total: int


async def open_assigned(
    session: AsyncSession, group_id: int, shown: int = ROSTER_ISSUES
) -> dict[int, Held]:
    """For the roster: how many unresolved issues each person holds (from the tallies)
    and the lowest ``shown`` numbers of them (``shown`` index entries a person)."""
    tallies = await session.execute(
        select(IssueAssigneeTally.user_id, IssueAssigneeTally.n).where(
            IssueAssigneeTally.group_id == group_id, IssueAssigneeTally.n > 0
        )
    )
    totals = {int(uid): int(n) for uid, n in tallies}
    found: dict[int, list[int]] = {uid: [] for uid in totals}
    holders = sorted(totals)
    for start in range(0, len(holders), _UNION):
        parts = []
        for uid in holders[start : start + _UNION]:
            lowest = (
                select(Issue.assignee_id, Issue.number)
                .where(Issue.group_id == group_id, UNRESOLVED, Issue.assignee_id == uid)
                .order_by(Issue.number)
                .limit(shown)
                .subquery()
            )
            parts.append(select(lowest.c.assignee_id, lowest.c.number))
        for uid, number in await session.execute(union_all(*parts)):
            found[int(uid)].append(int(number))
    return {uid: Held(sorted(found[uid]), totals[uid]) for uid in holders}
