"""The month inserted: the rows built, then bulk-inserted table by table."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.bulk import bulk, reset_sequences
from bench.spec import Spec
from bench.summary_seed.events import add_events
from bench.summary_seed.issues import add_issues
from bench.summary_seed.month import MonthWorld
from bench.summary_seed.people import add_counters, add_people
from bench.summary_seed.photos import Files
from bench.summary_seed.plan import Plan
from bench.summary_seed.topics import add_topics
from domain.calendar import Month
from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade
from storage.models import (
    Counter,
    Event,
    EventSignup,
    Issue,
    IssueEvent,
    Member,
    Membership,
    Milestone,
    Photo,
    Rating,
    Topic,
    TopicClaim,
    TopicEvent,
)
from storage.models import Group as GroupRow

# the order the rows go in (foreign keys)
TABLES = {
    "members": Member,
    "groups": GroupRow,
    "memberships": Membership,
    "counters": Counter,
    "topics": Topic,
    "topic_claims": TopicClaim,
    "topic_events": TopicEvent,
    "milestones": Milestone,
    "ratings": Rating,
    "issues": Issue,
    "issue_events": IssueEvent,
    "events": Event,
    "event_signups": EventSignup,
    "photos": Photo,
}
SEQUENCES = ("groups", "topics", "topic_events", "issues", "issue_events", "events")


async def seed_month(
    url: str, spec: Spec, plan: Plan, month: Month, photos: list[Path]
) -> dict[str, Any]:
    """Migrate the database at ``url`` and fill the month in; row counts, how many
    photos the report should place, and the seconds it took."""
    began = time.perf_counter()
    files = Files(photos)
    world = MonthWorld(spec.group("summary"), plan, month, datetime.now(UTC), files)
    add_people(world, spec)
    add_topics(world)
    add_issues(world)
    add_events(world)
    add_counters(world)
    spec.group("summary").issues = len(world.rows.tables["issues"])
    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            for name, model in TABLES.items():
                rows: Iterator[dict[str, Any]] = iter(world.rows.tables.get(name, []))
                counts[name] = await bulk(conn, model.__table__, rows)  # type: ignore[arg-type]
            if not is_sqlite(url):
                await reset_sequences(conn, SEQUENCES)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return {
        "rows": counts,
        "month": month.label,
        "placed_photos": files.next,
        "seconds": round(time.perf_counter() - began, 2),
    }
