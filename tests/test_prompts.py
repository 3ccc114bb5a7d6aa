"""What a person is in the middle of (a guided report, an awaited "after" photo) and
the photos, albums, locations and buttons that arrive meanwhile: each goes where the
person meant it, and nothing is taken from an earlier moment."""

from __future__ import annotations

from datetime import timedelta

from emulator.scenario import BotMessage, PrivateChat
from handlers.albums import sweep_albums
from handlers.context import Ctx
from storage import issue_reads
from storage.groups import get_group
from storage.issue_view import issue_view
from tests.conftest import Cast, Harness


async def issue(harness: Harness, cast: Cast, number: int) -> issue_reads.IssueDetail:
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        return await issue_view(session, group.id, number)


async def reported(cast: Cast) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()


async def started_report(cast: Cast) -> tuple[PrivateChat, BotMessage]:
    await cast.group.say(cast.worker, "/help")  # a member of the group, known to the bot
    await cast.group.next_reply()
    private = cast.worker.private()
    await private.send("/report")
    return private, await private.next_reply()


async def test_an_album_sent_before_the_wait_is_no_after_photo(
    harness: Harness, cast: Cast
) -> None:
    await reported(cast)
    await cast.group.send_album(cast.worker, 2)  # no caption: kept a while, then dropped
    await harness.idle()  # its quiet time has passed
    await cast.group.say(cast.worker, "/fixed 1")
    assert "整改后照片" in await cast.group.next_reply()
    await sweep_albums(Ctx(harness.app))
    await harness.idle()
    await cast.group.expect_silence()
    assert (await issue(harness, cast, 1)).issue.status == "open"


async def test_an_album_captioned_report_is_all_the_reports(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    private = cast.worker.private()
    await private.send("/fixed 1")
    await private.next_reply()
    await private.send_album(cast.worker, 3, "/report S272 K5+000 新问题")
    assert "已发到" in await private.next_reply()
    posted = await cast.group.replies(3)  # the report, posted with its photos
    assert "#2" in (posted[0].raw.get("caption") or "") and "3 张" in posted[0].raw["caption"]
    assert (await issue(harness, cast, 1)).issue.status == "open"
    assert len((await issue(harness, cast, 2)).before) == 3


async def test_an_album_without_caption_answers_the_wait_whole(
    harness: Harness, cast: Cast
) -> None:
    await reported(cast)
    private = cast.worker.private()
    await private.send("/fixed 1")
    await private.next_reply()
    await private.send_album(cast.worker, 3)
    assert "已发到" in await private.next_reply()
    announced = await cast.group.next_reply()
    assert "已整改" in announced and "3 张" in announced
    detail = await issue(harness, cast, 1)
    assert detail.issue.status == "fixed" and len(detail.after) == 3


async def test_the_guided_report_keeps_an_albums_photos_and_leaves_captioned_ones(
    harness: Harness, cast: Cast
) -> None:
    private, _ = await started_report(cast)
    await private.send_album(cast.worker, 2, "/report S1 K1+000 另一个问题")
    assert "已发到" in await private.next_reply()
    posted = await cast.group.replies(2)
    assert "#1" in (posted[0].raw.get("caption") or "") and "2 张" in posted[0].raw["caption"]
    await private.send_album(cast.worker, 2)
    assert "已收到 2 张" in await private.next_reply()


async def test_fixed_does_not_throw_away_a_guided_report(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    private, _ = await started_report(cast)
    await private.send("/fixed 1")
    assert "按步骤上报问题" in await private.next_reply()
    await private.send("/report")
    assert "照片" in await private.next_reply()  # the same kind: a report starts again


async def test_a_fix_made_by_someone_else_ends_the_wait(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.captain, "/assign 1 @zhang_gong")
    await cast.group.next_reply()
    private = cast.worker.private()
    await private.send("/fixed 1")
    await private.next_reply()
    await cast.group.send_photo(cast.captain, "/fixed 1 管理员修好了")
    await cast.group.next_reply()
    await private.send_photo(cast.worker)
    assert "/report" in await private.next_reply()  # a plain photo again, no complaint


async def test_a_location_at_the_photos_step_does_not_move_the_last_report(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/report S272 K1+000 坑槽")
    await cast.group.next_reply()
    await cast.group.send_location(cast.worker, 23.0, 113.0)
    await cast.group.next_reply()
    private, _ = await started_report(cast)
    await private.send_location(cast.worker, 24.0, 114.0)
    assert "照片" in await private.next_reply()
    assert (await issue(harness, cast, 1)).issue.latitude == 23.0


async def test_buttons_of_an_earlier_report_do_nothing_to_this_one(
    harness: Harness, cast: Cast
) -> None:
    private, first = await started_report(cast)
    await private.send("/cancel")
    await private.next_reply()
    private, _ = await started_report(cast)
    answer = await private.press(cast.worker, first, "取消")
    assert "之前的一次上报" in answer["text"]
    await private.send_photo(cast.worker)
    assert "已收到 1 张" in await private.next_reply()  # the new report still runs


async def test_a_redelivered_hint_is_not_given_twice(harness: Harness, cast: Cast) -> None:
    private = cast.worker.private()
    await private.send("你好")
    assert "/help" in await private.next_reply()
    await harness.world.settle()
    harness.emulator.redeliver(harness.emulator.emitted_updates[-1])
    await private.expect_silence()


async def test_cancel_forgets_a_command_waiting_for_a_group_pick(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    other = harness.world.group("养护二班", creator=cast.captain, members=(cast.worker,))
    await other.add_bot(by=cast.captain)
    await other.next_reply()
    await other.say(cast.worker, "/help")
    await other.next_reply()
    private = cast.worker.private()
    await private.send("/issues")
    picker = await private.next_reply()
    await private.send("/cancel")
    assert "不会再执行" in await private.next_reply()
    answer = await private.press(cast.worker, picker, picker.buttons[0].text)
    assert answer.get("show_alert") is True  # the pick no longer runs anything
    await harness.world.settle()
    await private.expect_silence()


async def test_a_stale_wait_expires(harness: Harness, cast: Cast) -> None:
    await reported(cast)
    await cast.group.say(cast.worker, "/fixed 1")
    await cast.group.next_reply()
    harness.clock.advance(timedelta(minutes=31))
    await cast.group.send_photo(cast.worker)
    await cast.group.expect_silence()
    assert (await issue(harness, cast, 1)).issue.status == "open"


async def test_a_file_that_is_no_image_gets_an_answer_in_private(
    harness: Harness, cast: Cast
) -> None:
    private, _ = await started_report(cast)
    await private.send_document(cast.worker, "整改方案.pdf", b"%PDF-1.4", "application/pdf")
    assert "整改方案.pdf" in await private.next_reply()
    await cast.group.send_document(cast.worker, "台账.pdf", b"%PDF-1.4", "application/pdf")
    await cast.group.expect_silence()  # in a group, files are the members' own business
