"""/export issues at size: the register streams every issue in chunks, says it is
working when it takes a while, keeps other groups answered, and explains a file past
Telegram's 50 MB upload limit."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from bot.delivery import ConfirmingPoller
from storage.issue_reads import EXPORT_CHUNK
from tests.conftest import Cast, Harness, dialogue, seed_issues

MANY = EXPORT_CHUNK * 2 + 37  # three chunks, the last one short


async def test_register_streams_every_issue_and_says_it_is_working(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")  # the worker is a member
    await cast.group.next_reply()
    await seed_issues(harness, cast, MANY)
    harness.app.bot_data.options.notice_after = timedelta(0)
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


async def test_a_register_made_in_time_is_not_announced_while_it_waits_to_be_sent(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, 3)
    # the file is made at once, but Telegram holds its upload back five seconds (as the
    # group's pace does behind earlier replies): a notice after three would come late
    harness.app.bot_data.options.notice_after = timedelta(seconds=3)
    harness.emulator.fail("sendDocument", 429, retry_after=5)
    await cast.group.say(cast.captain, "/export issues")
    sent = await cast.group.next_reply(timeout=30)
    assert sent.raw.get("document"), sent.text
    await harness.idle()
    said = [m.get("text", "") for (chat, _), m in harness.emulator.messages.items()]
    assert not [text for text in said if "台账正在生成" in text]


async def test_a_register_past_telegrams_limit_is_kept_and_explained(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, 5)
    harness.app.bot_data.options.upload_limit = 100
    await cast.group.say(cast.captain, "/export issues")
    reply = await cast.group.next_reply()
    assert "50 MB" in reply and ".xlsx" in reply
    assert "document" not in reply.raw
    saved = list(harness.config.media.dir.glob("*/exports/*.xlsx"))
    assert len(saved) == 1 and saved[0].stat().st_size > 100


async def test_another_group_is_answered_while_a_register_is_made(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, MANY)
    harness.app.bot_data.options.notice_after = timedelta(0)
    other = harness.world.group("养护二班", creator=cast.driver, members=(cast.secretary,))
    await other.add_bot(by=cast.driver)
    await other.next_reply()
    await cast.group.say(cast.captain, "/export issues")
    assert "台账正在生成" in await cast.group.next_reply()
    await other.say(cast.secretary, "/help")
    assert "/members" in await other.next_reply()
    assert "document" in (await cast.group.next_reply(timeout=30)).raw


async def test_an_export_cut_short_by_a_restart_is_not_made_twice(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    await seed_issues(harness, cast, MANY)
    poller = harness.runner.transport
    assert isinstance(poller, ConfirmingPoller)
    poller.stop_grace = 0.05
    await cast.group.say(cast.captain, "/export issues")
    await harness.emulator.wait_for(
        lambda: any(c.method == "getUpdates" for c in harness.emulator.calls[-3:]), 5
    )
    await harness.restart()  # the request is cut short; the register still goes out
    assert "document" in (await cast.group.next_reply(timeout=30)).raw
    await harness.idle()  # the request came again: recognised, not made twice
    await cast.group.expect_silence()


async def test_a_duplicate_is_registered_as_one_never_as_verified(
    harness: Harness, cast: Cast
) -> None:
    await dialogue(
        cast.group,
        [
            (cast.worker, "/report S272 K93+520 边沟堵塞", "#1"),
            (cast.worker, "/report S272 K93+520 边沟堵塞 同一处", "#2"),
            (cast.captain, "/verify 2 dup:1", "#2"),
            (cast.worker, "/issue 2", "重复（见 #1）"),  # in /issue too, never 已验收
            (cast.captain, "/export 问题", "问题台账"),  # the Chinese word, as the usage shows
        ],
    )
    sent = [m for cid, m in harness.emulator.bot_output() if "document" in m][-1]
    sheet = load_workbook(io.BytesIO(harness.emulator.files[sent["document"]["file_id"]].content))
    rows = {r[0]: r for r in sheet.active.iter_rows(min_row=2, values_only=True)}  # type: ignore[union-attr]
    assert rows[2][10] == "重复（见 #1）" and rows[1][10] != "重复（见 #1）"
    assert isinstance(rows[1][7], datetime)  # reported at: a date Excel sorts and filters
