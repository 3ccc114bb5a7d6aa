"""Every migration upgrades, downgrades and upgrades again (the "stairway" test)."""

from __future__ import annotations

from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.schema import CreateIndex

from storage.db import Database
from storage.migrate import current, downgrade, revisions, upgrade
from storage.models import Base
from storage.models.base import spell_for_postgresql


async def table_names(db: Database) -> set[str]:
    async with db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def test_stairway_upgrade_downgrade_upgrade(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        previous = "base"
        for revision in revisions():
            await upgrade(db.engine, revision)
            assert await current(db.engine) == revision
            await downgrade(db.engine, previous)
            assert await current(db.engine) == (None if previous == "base" else previous)
            await upgrade(db.engine, revision)
            previous = revision
        assert await current(db.engine) == revisions()[-1]
    finally:
        await db.dispose()


async def test_head_matches_the_models(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade(db.engine)
        assert set(Base.metadata.tables) <= await table_names(db)
        await downgrade(db.engine, "base")
        assert await table_names(db) <= {"alembic_version"}
    finally:
        await db.dispose()


async def upgrade_over(db: Database, revision: str, statements: list[str]) -> None:
    """Migrate to ``revision``, run ``statements`` (rows as they were then), then migrate
    to the head."""
    await upgrade(db.engine, revision)
    async with db.engine.begin() as conn:
        for statement in statements:
            await conn.execute(text(statement))
    await upgrade(db.engine)


SEED_0003 = [
    "INSERT INTO groups (id, chat_id, title, chat_type, language, timezone, briefing_time,"
    " workdays_only, active, created_at, updated_at) VALUES (1, -100, 'g', 'group', 'zh',"
    " 'Asia/Shanghai', '08:00:00', false, true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO members (user_id, first_name, created_at, updated_at)"
    " VALUES (7, 'a', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO topics (id, group_id, number, title, description, slots, claimed_count,"
    " status, progress, created_by, created_at, updated_at) VALUES (1, 1, 1, 't', '', 1, 1,"
    " 'claimed', 0, 7, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO topic_events (id, topic_id, kind, actor_id, note, at)"
    " VALUES (11, 1, 'progress', 7, '', '2026-01-01 00:00:00')",
    "INSERT INTO issues (id, group_id, number, category, severity, description, status,"
    " reporter_id, chat_id, created_at, updated_at) VALUES (2, 1, 1, 'other', 2, 'd',"
    " 'open', 7, -100, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    "INSERT INTO issue_events (id, issue_id, kind, actor_id, note, at)"
    " VALUES (21, 2, 'reported', 7, '', '2026-01-01 00:00:00')",
    "INSERT INTO photos (id, group_id, topic_event_id, file_id, file_unique_id, width, height,"
    " download_attempts, created_at) VALUES (101, 1, 11, 'f1', 'u1', 1, 1, 0,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO photos (id, group_id, issue_event_id, file_id, file_unique_id, width, height,"
    " download_attempts, created_at) VALUES (102, 1, 21, 'f2', 'u2', 1, 1, 0,"
    " '2026-01-01 00:00:00')",
    "INSERT INTO albums (id, chat_id, media_group_id, group_id, issue_event_id, processed_at)"
    " VALUES (5, -100, 'm1', 1, 21, '2026-01-01 00:00:00')",
    "INSERT INTO fix_requests (chat_id, user_id, issue_id, note, requested_at)"
    " VALUES (-100, 7, 2, '换了', '2026-01-01 00:00:00')",
    "INSERT INTO report_drafts (user_id, step, data, updated_at)"
    " VALUES (7, 'place', '{\"photos\": []}', '2026-01-01 00:00:00')",
]


async def test_upgrade_keeps_photos_attached_and_waits_waiting(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade_over(db, "0003", SEED_0003)
        async with db.engine.connect() as conn:
            photos = (
                await conn.execute(
                    text("SELECT id, subject_kind, subject_id FROM photos ORDER BY id")
                )
            ).all()
            albums = (await conn.execute(text("SELECT subject_kind, subject_id FROM albums"))).all()
            prompts = (
                await conn.execute(
                    text("SELECT chat_id, user_id, kind, data FROM prompts ORDER BY kind")
                )
            ).all()
        assert [tuple(p) for p in photos] == [(101, "topic_event", 11), (102, "issue_event", 21)]
        assert [tuple(a) for a in albums] == [("issue_event", 21)]
        assert [(c, u, k) for c, u, k, _ in prompts] == [(-100, 7, "fix_photo"), (7, 7, "report")]
        assert '"note": "换了"' in prompts[0][3] and '"step": "place"' in prompts[1][3]
        await downgrade(db.engine, "0003")
        async with db.engine.connect() as conn:
            back = (
                await conn.execute(
                    text("SELECT id, topic_event_id, issue_event_id FROM photos ORDER BY id")
                )
            ).all()
            waits = (await conn.execute(text("SELECT note FROM fix_requests"))).all()
            drafts = (await conn.execute(text("SELECT step FROM report_drafts"))).all()
        assert [tuple(b) for b in back] == [(101, 11, None), (102, None, 21)]
        assert [w[0] for w in waits] == ["换了"] and [d[0] for d in drafts] == ["place"]
    finally:
        await db.dispose()


SEED_0016 = [
    "INSERT INTO groups (id, chat_id, title, chat_type, language, timezone, briefing_time,"
    " workdays_only, active, created_at, updated_at) VALUES (1, -100, 'g', 'group', 'zh',"
    " 'Asia/Shanghai', '08:00:00', false, true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
    *(
        "INSERT INTO members (user_id, first_name, created_at, updated_at)"
        f" VALUES ({uid}, 'a', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
        for uid in (7, 8)
    ),
    *(
        "INSERT INTO events (id, group_id, number, kind, title, place, starts_at, ends_at,"
        " end_given, walk_in, allow_pin, code_fallback, recorded, checkin_code, link_token,"
        " qr_token, joined_count, waiting_count, last_seq, created_by, created_at, updated_at)"
        f" VALUES ({n}, 1, {n}, '{kind}', 't', '', '{start}', '{start}', true, false, false,"
        f" false, false, 'C', 'l{n}', 'q{n}', 2, 0, 2, 7, '{start}', '{start}')"
        for n, kind, start in (
            (1, "volunteer", "2026-01-31 20:00:00"),
            (2, "volunteer", "2026-02-03 01:00:00"),
            (3, "lesson", "2026-02-03 01:00:00"),
        )
    ),
    *(
        "INSERT INTO event_signups (event_id, user_id, status, seq, signed_at, minutes)"
        f" VALUES ({event}, {uid}, 'in', {uid}, '2026-01-01 00:00:00', {minutes})"
        for event, uid, minutes in (
            (1, 7, "60"),
            (1, 8, "NULL"),
            (2, 7, "90"),
            (2, 8, "30"),
            (3, 7, "120"),
        )
    ),
    *(
        "INSERT INTO issues (id, group_id, number, category, severity, description, status,"
        f" reporter_id, assignee_id, chat_id, created_at, updated_at) VALUES ({n}, 1, {n},"
        f" 'other', 2, 'd', '{status}', 7, {assignee}, -100, '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00')"
        for n, status, assignee in (
            (1, "assigned", 8),
            (2, "open", 8),
            (3, "fixed", 8),
            (4, "assigned", 7),
            (5, "open", "NULL"),
        )
    ),
]


async def test_upgrade_counts_the_hours_and_the_issues_held_already_there(
    empty_db_url: str,
) -> None:
    db = Database(empty_db_url)
    try:
        await upgrade_over(db, "0016", SEED_0016)
        async with db.engine.connect() as conn:
            hours = await conn.execute(
                text(
                    "SELECT month, user_id, minutes, events FROM volunteer_tallies"
                    " WHERE group_id = 1 ORDER BY month, user_id"
                )
            )
            held = await conn.execute(
                text("SELECT user_id, n FROM issue_assignee_tallies ORDER BY user_id")
            )
            assert [tuple(r) for r in hours] == [
                (0, 7, 150, 2),
                (0, 8, 30, 1),
                (202601, 7, 60, 1),  # 04:00 on 1 February in Shanghai: January in UTC
                (202602, 7, 90, 1),
                (202602, 8, 30, 1),
            ]
            assert [tuple(r) for r in held] == [(7, 1), (8, 2)]
    finally:
        await db.dispose()


async def test_upgrade_counts_the_issues_each_person_reported_or_holds(
    empty_db_url: str,
) -> None:
    verified = (
        "INSERT INTO issues (id, group_id, number, category, severity, description, status,"
        " reporter_id, assignee_id, chat_id, created_at, updated_at) VALUES (6, 1, 6,"
        " 'other', 2, 'd', 'verified', 8, 7, -100, '2026-01-01 00:00:00',"
        " '2026-01-01 00:00:00')"
    )
    db = Database(empty_db_url)
    try:
        await upgrade_over(db, "0018", [*SEED_0016, verified])
        async with db.engine.connect() as conn:
            mine = await conn.execute(
                text("SELECT user_id, n FROM issue_mine_tallies ORDER BY user_id")
            )
            # 7 reported 1–5 and holds 4 (once); 8 holds 1–3; the verified 6 counts for none
            assert [tuple(r) for r in mine] == [(7, 5), (8, 3)]
    finally:
        await db.dispose()


async def test_upgrade_gives_every_group_its_issue_counter(empty_db_url: str) -> None:
    db = Database(empty_db_url)
    try:
        # group 1 has issue 1 but no counter row (written directly); group 2 has neither
        await upgrade_over(db, "0017", [*SEED_0003[:2], SEED_0003[4], SEED_GROUP_2])
        async with db.engine.connect() as conn:
            counters = await conn.execute(
                text("SELECT group_id, kind, last_number FROM counters ORDER BY group_id")
            )
            assert [tuple(r) for r in counters] == [(1, "issue", 1), (2, "issue", 0)]
    finally:
        await db.dispose()


SEED_GROUP_2 = (
    "INSERT INTO groups (id, chat_id, title, chat_type, language, timezone, briefing_time,"
    " workdays_only, active, created_at, updated_at) VALUES (2, -200, 'h', 'group', 'zh',"
    " 'Asia/Shanghai', '08:00:00', false, true, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
)


async def test_the_models_partial_indexes_are_partial_in_the_migrated_database(
    db_url: str,
) -> None:
    partial = {
        index.name: index
        for table in Base.metadata.tables.values()
        for index in table.indexes
        if "where" in index.info
    }
    assert len(partial) == 11  # issues 7, calendar days 2, outbox 1, photos 1
    spell_for_postgresql(Base.metadata)  # as the migrations' environment does there
    for index in partial.values():
        for dialect in (make_url(u).get_dialect()() for u in ("sqlite://", "postgresql://")):
            assert " WHERE " in str(CreateIndex(index).compile(dialect=dialect)), index.name
    listing = (
        "SELECT name, sql FROM sqlite_master WHERE type = 'index'"
        if db_url.startswith("sqlite")
        else "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
    )
    db = Database(db_url)
    try:
        async with db.engine.connect() as conn:
            made = {name: sql or "" for name, sql in await conn.execute(text(listing))}
    finally:
        await db.dispose()
    for name in partial:
        assert " WHERE " in made[name].upper(), (name, made.get(name))
