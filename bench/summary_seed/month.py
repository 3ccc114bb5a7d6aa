"""The month being built: its rows per table, the moments in it, its people."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.bulk import Ids
from bench.spec import GroupSpec
from bench.summary_seed.photos import HEIGHT, WIDTH, Files
from bench.summary_seed.plan import Plan
from domain.calendar import Month
from domain.kinds import Subject


def within(month: Month, moment: datetime) -> bool:
    """Whether ``moment`` falls in ``month``."""
    return month.start <= moment < month.end


@dataclass
class Rows:
    """Rows per table, in insertion order."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        """Add ``row`` to ``table``; returns it (to be completed later)."""
        self.tables.setdefault(table, []).append(row)
        return row


def add_photo(
    rows: Rows, group_id: int, kind: Subject, subject_id: int, at: datetime, path: str
) -> None:
    """A downloaded photo of a subject."""
    n = len(rows.tables.get("photos", []))
    unique = f"AQADs{n:09d}"
    rows.add(
        "photos",
        {
            "group_id": group_id,
            "subject_kind": kind.value,
            "subject_id": subject_id,
            "file_id": f"AgACAgUAAxkBAAI{unique}AAHSum",
            "file_unique_id": unique,
            "width": WIDTH,
            "height": HEIGHT,
            "file_size": Path(path).stat().st_size,
            "message_id": 100_000 + n,
            "local_path": path,
            "download_attempts": 0,
            "download_error": None,
            "created_at": at,
        },
    )


class MonthWorld:
    """The month's rows for one group, as :mod:`~bench.summary_seed.people`,
    :mod:`~bench.summary_seed.topics`, :mod:`~bench.summary_seed.issues` and
    :mod:`~bench.summary_seed.events` add them; one random sequence for all."""

    def __init__(self, g: GroupSpec, plan: Plan, month: Month, now: datetime, files: Files) -> None:
        self.g, self.plan, self.month, self.now, self.files = g, plan, month, now, files
        self.rng = random.Random(20261129)
        self.ids = Ids()
        self.rows = Rows()
        self.group_id = self.ids.take("groups")
        self.people = [g.creator, *g.admins, *g.members]
        self.span = month.end - month.start

    def at(self, share: float) -> datetime:
        """The moment ``share`` (0–1) of the way through the month."""
        return self.month.start + self.span * min(max(share, 0.0), 0.9999)

    def before_now(self, moment: datetime) -> datetime:
        """``moment``, or just before the bot's now if it would be later."""
        return min(moment, self.now - timedelta(minutes=5))

    def person(self) -> int:
        """Someone in the group other than its creator, at random."""
        return self.rng.choice(self.people[1:])
