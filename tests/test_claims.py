"""What a piece of work claims when it is not the update at hand: each album finished by
one sweep is claimed on its own (a second sweep finds nothing left to do), and the
button that picked a group for a command sent in private chat is recorded as handled
while the command claims the pending command."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from handlers.albums import sweep_albums
from handlers.context import Ctx
from storage.models import Issue, ProcessedUpdate
from tests.conftest import Cast, Harness, topic_and_a_second_group


async def issue_count(harness: Harness) -> int:
    """Issues in the database (all groups)."""
    assert harness.app.bot_data.db is not None
    async with harness.app.bot_data.db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(Issue)) or 0)


async def processed_ids(harness: Harness) -> set[int]:
    """The update ids recorded as handled."""
    assert harness.app.bot_data.db is not None
    async with harness.app.bot_data.db.read() as session:
        return set(await session.scalars(select(ProcessedUpdate.update_id)))


async def test_two_albums_finished_by_one_sweep_are_each_reported_once(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    # the albums' quiet-time timers are lost (as in a restart): the sweep finishes them
    harness.app.bot_data.options.album_debounce = timedelta(minutes=10)
    await cast.group.send_album(cast.worker, 2, "/report S272 K93+520 边沟堵塞")
    await cast.group.send_album(cast.worker, 2, "/report G325 K12+000 护栏损坏")
    await harness.world.settle()
    assert harness.app.job_queue is not None
    for job in harness.app.job_queue.jobs():
        if (job.name or "").startswith("album:"):
            job.schedule_removal()
    await harness.idle()
    harness.clock.advance(timedelta(minutes=20))  # parts are kept longer than this
    await sweep_albums(Ctx(harness.app))
    await harness.idle()
    replies = " ".join(r.text for r in await cast.group.replies(2))
    assert "#1" in replies and "#2" in replies
    assert await issue_count(harness) == 2
    await sweep_albums(Ctx(harness.app))  # the next sweep: nothing is left to do
    await harness.idle()
    assert await issue_count(harness) == 2
    await cast.group.expect_silence()


async def test_the_button_that_picks_the_group_is_recorded_as_handled(
    harness: Harness, cast: Cast
) -> None:
    await topic_and_a_second_group(harness, cast)
    private = cast.worker.private()
    await private.send("/claim 1")
    question = await private.next_reply()
    await harness.idle()
    before = await processed_ids(harness)
    await private.press(cast.worker, question, "养护一班")
    assert "#1" in (await cast.group.next_reply()).text
    await private.next_reply()
    await harness.idle()
    assert len(await processed_ids(harness) - before) == 1  # the press itself
