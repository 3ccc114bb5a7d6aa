"""A big database, fast: groups, people, topics, issues with their history and photos,
and events with their sign-ups (:mod:`bench.seed_events`), inserted in bulk
(:mod:`bench.bulk`) straight into the tables of :mod:`storage.models`, after the
migrations, from a :class:`~bench.spec.Spec`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

from bench.bulk import Ids, bulk, reset_sequences
from bench.seed_events import event_rows
from bench.spec import GroupSpec, Spec
from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade
from storage.models import (
    Base,
    Counter,
    Event,
    EventSignup,
    Issue,
    IssueEvent,
    Member,
    Membership,
    Photo,
    Rating,
    Topic,
    TopicClaim,
    TopicEvent,
)
from storage.models import Group as GroupRow

ROADS = [
    "S272",
    "G325",
    "G105",
    "S113",
    "X101",
    "X205",
    "Y012",
    "S230",
    "G240",
    "X318",
    "S339",
    "G107",
    "Y101",
    "X412",
    "S51",
    "G4",
    "S272",
    "X509",
    "Y223",
    "Z001",
]
CATEGORIES = ["pothole", "crack", "guardrail", "signs", "drainage", "greenery", "debris"]
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def _issue_rows(
    g: GroupSpec, group_id: int, ids: Ids, today: date, files: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Issues of one group with their events and photos: mostly verified, some open,
    assigned (a few overdue) or fixed, over 20 roads and many stakes."""
    issues, events, photos = [], [], []
    for number in range(1, g.issues + 1):
        issue = _issue(g, group_id, ids.take("issues"), number, today)
        issues.append(issue)
        for kind, actor, subject, note, at in _issue_history(g, issue):
            event_id = ids.take("issue_events")
            events.append(
                {
                    "id": event_id,
                    "issue_id": issue["id"],
                    "kind": kind,
                    "actor_id": actor,
                    "subject_id": subject,
                    "note": note,
                    "at": at,
                }
            )
            if kind in ("reported", "fixed"):
                photos.append(_photo(group_id, "issue_event", event_id, at))
                if number == max(1, g.issues // 2):  # the issue /issue shows
                    files.append((photos[-1]["file_id"], photos[-1]["file_unique_id"]))
    return issues, events, photos


def _issue(g: GroupSpec, group_id: int, issue_id: int, number: int, today: date) -> dict[str, Any]:
    """Issue ``number`` of a group: its status, people, deadline and place follow from
    the number."""
    share = number % 100
    status = (
        "open" if share < 3 else "assigned" if share < 8 else "fixed" if share < 10 else "verified"
    )
    created = T0 + timedelta(minutes=7 * number)
    reporters = g.reporters
    reporter = reporters[number % len(reporters)]
    assignee = reporters[(number + 3) % len(reporters)] if status != "open" else None
    deadline = None
    if status == "assigned":
        deadline = today + timedelta(days=30) if share < 6 else today - timedelta(days=3)
    stake = (number * 37) % 150_000
    return {
        "id": issue_id,
        "group_id": group_id,
        "number": number,
        "road": ROADS[number % len(ROADS)],
        "stake_from": stake,
        "stake_to": stake,
        "latitude": None,
        "longitude": None,
        "category": CATEGORIES[number % len(CATEGORIES)],
        "severity": 1 + number % 3,
        "description": f"路面坑槽 {number}",
        "status": status,
        "reporter_id": reporter,
        "assignee_id": assignee,
        "deadline": deadline,
        "duplicate_of_id": None,
        "chat_id": g.chat_id,
        "created_at": created,
        "fixed_at": created + timedelta(days=2) if status in ("fixed", "verified") else None,
        "verified_at": created + timedelta(days=3) if status == "verified" else None,
        "updated_at": created + timedelta(days=3),
    }


def _issue_history(
    g: GroupSpec, issue: dict[str, Any]
) -> list[tuple[str, int, int | None, str, datetime]]:
    """An issue's history up to its status: (kind, actor, subject, note, at)."""
    status, created = issue["status"], issue["created_at"]
    reporter, assignee, deadline = issue["reporter_id"], issue["assignee_id"], issue["deadline"]
    history: list[tuple[str, int, int | None, str, datetime]] = [
        ("reported", reporter, None, "", created)
    ]
    if assignee is not None:
        note = deadline.isoformat() if deadline else ""
        history.append(("assigned", g.admins[0], assignee, note, created + timedelta(days=1)))
    if status in ("fixed", "verified"):
        history.append(("fixed", assignee or reporter, None, "", created + timedelta(days=2)))
    if status == "verified":
        history.append(("verified", g.admins[0], None, "", created + timedelta(days=3)))
    return history


def _photo(group_id: int, kind: str, subject_id: int, at: datetime) -> dict[str, Any]:
    """A photo row (Telegram file ids only; never downloaded)."""
    unique = f"AQAD{kind[0]}{subject_id:09d}"
    return {
        "group_id": group_id,
        "subject_kind": kind,
        "subject_id": subject_id,
        "file_id": f"AgACAgUAAxkBAAI{unique}AAHBench",
        "file_unique_id": unique,
        "width": 1280,
        "height": 960,
        "file_size": 180_000,
        "message_id": subject_id,
        "local_path": f"seeded/{unique}.jpg",  # downloaded long ago
        "download_attempts": 0,
        "download_error": None,
        "created_at": at,
    }


def _topic_rows(
    g: GroupSpec, group_id: int, ids: Ids, files: list[tuple[str, str]]
) -> tuple[list[dict[str, Any]], ...]:
    """The group's topics: half done (claimed, submitted with a photo, rated), half open."""
    topics, claims, events, photos, ratings = [], [], [], [], []
    for number in range(1, g.topics + 1):
        topic_id = ids.take("topics")
        done = number <= g.topics // 2
        at = T0 + timedelta(days=number)
        worker = g.members[number % len(g.members)]
        topics.append(
            {
                "id": topic_id,
                "group_id": group_id,
                "number": number,
                "title": f"桥梁加固工程 {number}",
                "description": "说明",
                "due_on": date(2030, 12, 31),
                "slots": 2,
                "claimed_count": 1 if done else 0,
                "status": "done" if done else "open",
                "progress": 100 if done else 0,
                "result": "完成加固" if done else None,
                "result_message_id": None,
                "approval_comment": None,
                "created_by": g.creator,
                "approved_by": g.creator if done else None,
                "created_at": at,
                "submitted_at": at + timedelta(days=5) if done else None,
                "approved_at": at + timedelta(days=6) if done else None,
                "updated_at": at + timedelta(days=6),
            }
        )
        events.append(_topic_event(ids, topic_id, "created", g.creator, at))
        if done:
            claims.append({"topic_id": topic_id, "user_id": worker, "claimed_at": at})
            events.append(_topic_event(ids, topic_id, "claimed", worker, at))
            submitted = _topic_event(ids, topic_id, "submitted", worker, at + timedelta(days=5))
            events.append(submitted)
            photos.append(_photo(group_id, "topic_event", submitted["id"], at))
            files.append((photos[-1]["file_id"], photos[-1]["file_unique_id"]))
            events.append(_topic_event(ids, topic_id, "approved", g.creator, at))
            ratings.append({"topic_id": topic_id, "user_id": g.creator, "stars": 5, "rated_at": at})
    return topics, claims, events, photos, ratings


def _topic_event(ids: Ids, topic_id: int, kind: str, actor: int, at: datetime) -> dict[str, Any]:
    """One row of a topic's history."""
    return {
        "id": ids.take("topic_events"),
        "topic_id": topic_id,
        "kind": kind,
        "actor_id": actor,
        "subject_id": None,
        "note": "",
        "progress": 100 if kind == "submitted" else None,
        "at": at,
    }


async def seed(url: str, spec: Spec) -> dict[str, Any]:
    """Migrate the database at ``url`` and fill it from ``spec``; returns row counts
    and the seconds it took. The file ids of the photos the bot may send (those of the
    issue /issue shows, and the topics') are added to ``spec.files``."""
    began = time.perf_counter()
    engine = create_engine(url)
    now = datetime.now(UTC)
    ids = Ids()
    counts: dict[str, int] = {}
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            counts["members"] = await bulk(
                conn,
                Member.__table__,  # type: ignore[arg-type]
                (
                    {
                        "user_id": uid,
                        "username": f"u{uid}",
                        "first_name": name,
                        "last_name": "工",
                        "language_code": "zh-hans",
                        "created_at": now,
                        "updated_at": now,
                    }
                    for uid, name in spec.users.items()
                ),
            )
            for g in spec.groups:
                await _seed_group(conn, g, ids, now, spec.files, counts)
            if not is_sqlite(url):
                await reset_sequences(
                    conn, ("groups", "topics", "topic_events", "issues", "issue_events", "events")
                )
        async with engine.begin() as conn:  # statistics, as a database in use has them
            await conn.execute(text("ANALYZE"))
        if not is_sqlite(url):
            await _compact_tallies(engine)
    finally:
        await engine.dispose()
    return {"rows": counts, "seconds": round(time.perf_counter() - began, 2)}


# the counts the database's triggers keep: one row a group (and road, and kilometre;
# and person, and person and month), updated once for every issue or sign-up seeded
TALLIES = (
    "issue_tallies",
    "issue_road_tallies",
    "issue_stake_tallies",
    "issue_assignee_tallies",
    "volunteer_tallies",
)


async def _compact_tallies(engine: Any) -> None:
    """Rewrite the trigger-kept tallies as autovacuum keeps them in a database in use.
    Seeding updates a tally row once for each of 100,000 issues inside a few long
    transactions, which leaves ~70,000 dead versions behind 3,000 live rows; a server
    with autovacuum on (the default) reclaims them as they come, while the test server
    runs with it off, so the page would read 700 pages of dead rows that no real
    database carries. Then every table is vacuumed, as autovacuum does after bulk
    inserts (PostgreSQL 13 and later): it marks the pages whose rows every transaction
    sees, so that an index-only scan reads the index alone, as it does in a database in
    use (an unvacuumed one fetches every row it passes). VACUUM cannot run inside a
    transaction: autocommit."""
    async with engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text(f"VACUUM (FULL, ANALYZE) {', '.join(TALLIES)}"))
        await conn.execute(text("VACUUM"))


async def _seed_group(
    conn: AsyncConnection,
    g: GroupSpec,
    ids: Ids,
    now: datetime,
    files: list[tuple[str, str]],
    counts: dict[str, int],
) -> None:
    """One group: its row, memberships and counters, its events, topics and issues."""
    group_id = ids.take("groups")
    await conn.execute(
        insert(GroupRow.__table__),  # type: ignore[arg-type]
        [_group_row(g, group_id, now)],
    )
    roles = {g.creator: "creator", **dict.fromkeys(g.admins, "admin")}
    await bulk(
        conn,
        Membership.__table__,  # type: ignore[arg-type]
        (
            {
                "group_id": group_id,
                "user_id": uid,
                "role": roles.get(uid, "member"),
                "active": True,
                "first_seen_at": now,
                "last_seen_at": now,
            }
            for uid in [g.creator, *g.admins, *g.members]
        ),
    )
    await conn.execute(
        insert(Counter.__table__),  # type: ignore[arg-type]
        [
            {"group_id": group_id, "kind": "issue", "last_number": g.issues},
            {"group_id": group_id, "kind": "topic", "last_number": g.topics},
        ],
    )
    await _seed_events(conn, g, group_id, ids, now, counts)
    topic_tables = (Topic, TopicClaim, TopicEvent, Photo, Rating)
    await _insert_counted(conn, counts, topic_tables, _topic_rows(g, group_id, ids, files))
    issue_rows = _issue_rows(g, group_id, ids, now.date(), files)
    await _insert_counted(conn, counts, (Issue, IssueEvent, Photo), issue_rows)


def _group_row(g: GroupSpec, group_id: int, now: datetime) -> dict[str, Any]:
    """The group's row: in Shanghai, briefed at 08:00 every day, its admins known."""
    return {
        "id": group_id,
        "chat_id": g.chat_id,
        "title": g.title,
        "chat_type": "group",
        "language": "zh",
        "timezone": "Asia/Shanghai",
        "briefing_time": daytime(8, 0),
        "workdays_only": False,
        "active": True,
        "admins_refreshed_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def _seed_events(
    conn: AsyncConnection,
    g: GroupSpec,
    group_id: int,
    ids: Ids,
    now: datetime,
    counts: dict[str, int],
) -> None:
    """The group's events and sign-ups (:mod:`bench.seed_events`), and their counter."""
    events, signups = event_rows(g, group_id, ids, now)
    if events:
        await conn.execute(
            insert(Counter.__table__),  # type: ignore[arg-type]
            [{"group_id": group_id, "kind": "event", "last_number": len(events)}],
        )
        await _insert_counted(conn, counts, (Event, EventSignup), (events, signups))


async def _insert_counted(
    conn: AsyncConnection,
    counts: dict[str, int],
    models: Sequence[type[Base]],
    tables: Sequence[list[dict[str, Any]]],
) -> None:
    """Insert each model's rows; add how many to ``counts`` under its table's name."""
    for model, rows in zip(models, tables, strict=True):
        name = model.__tablename__
        counts[name] = counts.get(name, 0) + await bulk(
            conn,
            model.__table__,  # type: ignore[arg-type]
            iter(rows),
        )
