"""The cut-off after too many wrong check-in codes, through the emulator: it is kept in
the database, so it holds after the bot restarts and counts the codes tried in two bot
processes on one database together."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import func, select
from telegram import Update

from bot.app import VanguardApp
from emulator.scenario import Person
from storage.models import WrongCode
from tests.conftest import Cast, Harness, second_application, wait_idle
from tests.test_events import day_after, new_event, open_checkin, signed_up, stored

UPDATE_IDS = itertools.count(10**9)  # the second process's updates: never the emulator's


@pytest_asyncio.fixture
async def second(harness: Harness) -> AsyncIterator[VanguardApp]:
    """A second bot process on the harness's database (it does not poll: the test hands
    it updates, as to a webhook behind a load balancer)."""
    async with second_application(harness) as app:
        yield app


async def say_to(app: VanguardApp, harness: Harness, person: Person, text: str) -> None:
    """``person`` writes ``text`` in private; ``app`` (not the harness's bot) handles it."""
    chat = person.private()
    message = harness.emulator.user_message(chat.chat, person.user, text=text)
    update = Update.de_json({"update_id": next(UPDATE_IDS), "message": message}, app.bot)
    await app.process_update(update)
    await wait_idle(harness.world, [harness.app, app])


async def wrong_codes(harness: Harness) -> int:
    """How many wrong codes the database holds."""
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(WrongCode)) or 0)


async def code_event(harness: Harness, cast: Cast) -> str:
    """An event checked into with its code, open now, the driver signed up; its code."""
    post = await new_event(harness, cast)
    await signed_up(harness, cast, cast.driver, post)
    await open_checkin(harness, day_after(harness))
    return (await stored(harness, cast.group)).checkin_code


async def test_the_cut_off_holds_after_a_restart(harness: Harness, cast: Cast) -> None:
    code = await code_event(harness, cast)
    guesser = cast.driver.private()
    for attempt in range(10):
        await guesser.send(f"/checkin 1 WRONG{attempt}")
        assert "not right" in await guesser.next_reply()
    assert await wrong_codes(harness) == 10
    await harness.restart()
    await guesser.send(f"/checkin 1 {code}")
    assert "Too many wrong codes" in await guesser.next_reply()
    harness.clock.advance(timedelta(minutes=31))
    await guesser.send(f"/checkin 1 {code}")
    assert "Checked in" in await guesser.next_reply()
    assert await wrong_codes(harness) == 0  # forgotten once the right one came


async def test_two_processes_count_the_wrong_codes_together(
    harness: Harness, cast: Cast, second: VanguardApp
) -> None:
    code = await code_event(harness, cast)
    guesser = cast.driver.private()
    for attempt in range(5):
        await guesser.send(f"/checkin 1 WRONG{attempt}")
        assert "not right" in await guesser.next_reply()
        await say_to(second, harness, cast.driver, f"/checkin 1 OTHER{attempt}")
        assert "not right" in await guesser.next_reply()
    await guesser.send(f"/checkin 1 {code}")
    assert "Too many wrong codes" in await guesser.next_reply()
    await say_to(second, harness, cast.driver, f"/checkin 1 {code}")
    assert "Too many wrong codes" in await guesser.next_reply()
