"""The admins' corrections of the holiday calendar: written by ``/settings holiday``
(a group's, or an installation admin's for every group), read as a group's
:class:`~domain.workdays.WorkCalendar` — for the sweep, all the due groups' corrections
of the days in question in one statement."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from domain.kinds import DayKind
from domain.workdays import WorkCalendar
from storage.dialect import insert
from storage.models import CalendarDay


@dataclass
class Corrections:
    """Corrections read for some groups (by group id; ``installation``: every group's)."""

    groups: dict[int, dict[date, DayKind]] = field(default_factory=dict)
    installation: dict[date, DayKind] = field(default_factory=dict)

    def calendar(self, group_id: int) -> WorkCalendar:
        """The group's working days: its own corrections, then the installation's."""
        return WorkCalendar(self.groups.get(group_id, {}), self.installation)


async def correct_days(
    session: AsyncSession,
    group_id: int | None,
    days: Sequence[date],
    kind: DayKind | None,
    by: int,
    now: datetime,
) -> None:
    """Make ``days`` days off or working days (``kind``), or forget their correction
    (``kind`` None), for the group or (``group_id`` None) installation-wide."""
    scope = CalendarDay.group_id.is_(None) if group_id is None else CalendarDay.group_id == group_id
    if kind is None:
        await session.execute(delete(CalendarDay).where(scope, CalendarDay.day.in_(list(days))))
        return
    rows = [
        {"group_id": group_id, "day": d, "kind": kind.value, "set_by": by, "set_at": now}
        for d in days
    ]
    stmt = insert(session, CalendarDay).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["day"] if group_id is None else ["group_id", "day"],
        index_where=CalendarDay.group_id.is_(None)  # the partial index's own predicate
        if group_id is None
        else CalendarDay.group_id.is_not(None),
        set_={"kind": stmt.excluded.kind, "set_by": stmt.excluded.set_by, "set_at": now},
    )
    await session.execute(stmt)


async def corrections(
    session: AsyncSession,
    group_ids: Sequence[int],
    first: date,
    last: date,
    makeup_year: int | None = None,
) -> Corrections:
    """The corrections of these groups and the installation's, of the days from
    ``first`` to ``last``, and (``makeup_year``) the days worked that year: one
    statement."""
    found = Corrections()
    if not group_ids:
        return found
    days: ColumnElement[bool] = CalendarDay.day.between(first, last)
    if makeup_year is not None:
        worked = CalendarDay.day.between(date(makeup_year, 1, 1), date(makeup_year, 12, 31))
        days = or_(days, worked & (CalendarDay.kind == DayKind.WORK.value))
    scope = or_(CalendarDay.group_id.in_(sorted(set(group_ids))), CalendarDay.group_id.is_(None))
    rows = await session.execute(
        select(CalendarDay.group_id, CalendarDay.day, CalendarDay.kind).where(scope, days)
    )
    for group_id, day, kind in rows:
        held = found.installation if group_id is None else found.groups.setdefault(group_id, {})
        held[day] = DayKind(kind)
    return found


async def year_calendar(session: AsyncSession, group_id: int, year: int) -> WorkCalendar:
    """The group's working days with every correction of ``year`` (``/settings
    holidays``)."""
    found = await corrections(session, [group_id], date(year, 1, 1), date(year, 12, 31))
    return found.calendar(group_id)
