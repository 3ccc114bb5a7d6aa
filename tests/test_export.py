"""/export issues at size: the register streams every issue in chunks, says it is
working when it takes a while, keeps other groups answered, and explains a file past
Telegram's 50 MB upload limit."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from handlers.export import commands as export
from storage.groups import get_group
from storage.issue_reads import EXPORT_CHUNK
from storage.models import Issue
from tests.conftest import Cast, Harness

MANY = EXPORT_CHUNK * 2 + 37  # three chunks, the last one short


async def seed_issues(harness: Harness, cast: Cast, count: int) -> None:
    """``count`` issues in the cast's group, written in one go."""
    db = harness.app.bot_data.db
    assert db is not None
    now = datetime.now(UTC)
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        rows = [
            {
                "group_id": group.id,
                "number": n,
                "road": "S272",
                "stake_from": n * 10,
                "stake_to": n * 10,
                "category": "pavement",
                "severity": 2,
                "description": '=HYPERLINK("x")' if n == 2 else f"坑槽 {n}",
                "status": "open",
                "reporter_id": cast.worker.id,
                "chat_id": cast.group.id,
                "created_at": now,
                "updated_at": now,
            }
            for n in range(1, count + 1)
        ]
        await session.execute(insert(Issue), rows)


async def test_register_streams_every_issue_and_says_it_is_working(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cast.group.say(cast.worker, "/help")  # the worker is a member
    await cast.group.next_reply()
    await seed_issues(harness, cast, MANY)
    monkeypatch.setattr(export, "NOTICE_AFTER", 0)
    await cast.group.say(cast.captain, "/export issues")
    assert "台账正在生成" in await cast.group.next_reply()
    sent = await cast.group.next_reply(timeout=30)
    content = harness.emulator.files[sent.raw["document"]["file_id"]].content
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == list(range(1, MANY + 1))
    assert rows[2][5] == '=HYPERLINK("x")'  # kept as text, never run as a formula
    assert sheet.cell(row=3, column=6).data_type == "s"


async def test_a_register_past_telegrams_limit_is_kept_and_explained(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, 5)
    monkeypatch.setattr(export, "UPLOAD_LIMIT", 100)
    await cast.group.say(cast.captain, "/export issues")
    reply = await cast.group.next_reply()
    assert "50 MB" in reply and ".xlsx" in reply
    assert "document" not in reply.raw
    saved = list(harness.config.media.dir.glob("*/exports/*.xlsx"))
    assert len(saved) == 1 and saved[0].stat().st_size > 100


async def test_another_group_is_answered_while_a_register_is_made(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, MANY)
    monkeypatch.setattr(export, "NOTICE_AFTER", 0)
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.secretary,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await cast.group.say(cast.captain, "/export issues")
    assert "台账正在生成" in await cast.group.next_reply()
    await other.say(cast.secretary, "/help")
    assert "/members" in await other.next_reply()
    assert "document" in (await cast.group.next_reply(timeout=30)).raw
