"""Two `vanguard run` processes in webhook mode on one PostgreSQL database, behind a
round-robin proxy, with the emulator posting updates to the webhook as Telegram does."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from emulator import TelegramEmulator
from emulator.core import Call
from emulator.scenario import World
from emulator.server import EmulatorServer
from emulator.webhook import SECRET_HEADER, WebhookPusher
from storage.db import Database
from storage.models import Group, Issue, Photo
from tests.conftest import NO_PG, PG_URL
from tests.test_process import write_config

pytestmark = pytest.mark.process

SECRET = "s3cret-of-the-workers"
PUBLIC = "https://vanguard.test/tg/hook"  # the address the workers register


@pytest.fixture
def backend() -> str:
    """PostgreSQL only: workers share one database, and SQLite is one process's."""
    if not PG_URL:
        pytest.skip(f"webhook workers share a PostgreSQL database; {NO_PG}")
    return "postgresql"


class RoundRobin:
    """A reverse proxy in front of the workers: each POST goes to the next worker in
    turn, and its answer back; ``routed`` says which worker got which update."""

    def __init__(self, upstreams: list[str]) -> None:
        self.upstreams = upstreams
        self.routed: list[tuple[int, int]] = []  # (update id, worker index)
        self.port = 0
        self._turn = 0
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Listen on a free port of 127.0.0.1."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None))
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        """Stop listening."""
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._http is not None
        worker, self._turn = self._turn, (self._turn + 1) % len(self.upstreams)
        body = await request.read()
        update_id = int((await request.json())["update_id"])
        self.routed.append((update_id, worker))
        headers = {SECRET_HEADER: request.headers.get(SECRET_HEADER, "")}
        headers["Content-Type"] = "application/json"
        try:
            async with self._http.post(
                self.upstreams[worker], data=body, headers=headers
            ) as answer:
                return web.Response(status=answer.status, body=await answer.read())
        except aiohttp.ClientError:
            return web.Response(status=502, text="bad gateway")

    def workers_of(self, update_ids: set[int]) -> set[int]:
        """The workers these updates were handed to (first copies and later ones)."""
        return {worker for update_id, worker in self.routed if update_id in update_ids}


def free_port() -> int:
    """A port of 127.0.0.1 nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Workers:
    """The emulator, the world, the proxy, the pusher and the two worker processes."""

    emulator: TelegramEmulator
    world: World
    proxy: RoundRobin
    pusher: WebhookPusher
    logs: list[Path]

    def log(self) -> str:
        """The end of both workers' logs, for a failure's message."""
        return "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in self.logs)

    async def quiet(self, timeout: float = 60) -> None:
        """Until every update has been answered with 2xx."""
        done = await self.emulator.wait_for(lambda: self.emulator.pending_updates() == 0, timeout)
        assert done, f"{self.emulator.pending_updates()} updates unanswered\n{self.log()}"


async def _start_worker(
    config: Path, tmp_path: Path, log: Path, port: int, reorder_wait_ms: int
) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env.update(
        VANGUARD_TELEGRAM_MODE="webhook",
        VANGUARD_WEBHOOK_URL=PUBLIC,
        VANGUARD_WEBHOOK_PORT=str(port),
        VANGUARD_WEBHOOK_SECRET=SECRET,
        VANGUARD_WEBHOOK_REORDER_WAIT_MS=str(reorder_wait_ms),
    )
    with log.open("ab") as out:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            *("-m", "bot", "run", "--config", str(config)),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=out,
            env=env,
            cwd=tmp_path,
        )


@contextlib.asynccontextmanager
async def webhook_workers(
    tmp_path: Path, db_url: str, *, one_per_chat: bool, timeout: float, reorder_wait_ms: int = 0
) -> AsyncIterator[Workers]:
    """Two workers behind the proxy, each registered its webhook; at the end both stop
    on SIGTERM with exit code 0."""
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    ports = [free_port(), free_port()]
    proxy = RoundRobin([f"http://127.0.0.1:{port}/tg/hook" for port in ports])
    await proxy.start()
    front = f"http://127.0.0.1:{proxy.port}"
    pusher = WebhookPusher(emulator, front, one_per_chat=one_per_chat, timeout=timeout)
    await pusher.start()
    config = write_config(tmp_path, emulator, server, db_url)
    logs = [tmp_path / f"worker{n}.log" for n in (1, 2)]
    workers = [
        await _start_worker(config, tmp_path, log, port, reorder_wait_ms)
        for log, port in zip(logs, ports, strict=True)
    ]
    setup = Workers(emulator, World(emulator, reply_timeout=30), proxy, pusher, logs)
    try:
        both = await emulator.wait_for(
            lambda: sum(c.method == "setWebhook" for c in emulator.calls) == 2, 90
        )
        assert both, f"the workers did not both start\n{setup.log()}"
        yield setup
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(worker.wait(), 30) for worker in workers]
        assert codes == [0, 0], setup.log()
    finally:
        for worker in workers:
            if worker.returncode is None:
                worker.kill()
                await worker.wait()
        await pusher.stop()
        await proxy.stop()
        await server.stop()


def answers(emulator: TelegramEmulator, to: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The bot's messages that reply to these (chat, message) pairs, as such pairs."""
    return [
        (chat_id, int(m["reply_to_message"]["message_id"]))
        for chat_id, m in emulator.bot_output()
        if "reply_to_message" in m and (chat_id, int(m["reply_to_message"]["message_id"])) in to
    ]


GROUPS = 15
REPORTS = 10  # per group: 150 in all


async def test_two_webhook_workers_keep_each_groups_reports_in_order_and_one_album_whole(
    db_url: str, tmp_path: Path
) -> None:
    """Every update is sent at once, a group's too (the worst a front can do), and the
    proxy hands them alternately to the two workers: each group's reports still get
    their numbers in the order they were sent, each is stored and acknowledged once, and
    an album whose photos went to both workers makes one issue with all its photos."""
    async with webhook_workers(
        tmp_path, db_url, one_per_chat=False, timeout=60, reorder_wait_ms=2000
    ) as s:
        groups = []
        for n in range(GROUPS + 1):
            chief = s.world.person("书记", last_name=str(n))
            crew = tuple(s.world.person("队员", last_name=f"{n}-{k}") for k in range(REPORTS))
            group = s.world.group(f"养护{n}班", creator=chief, members=crew)
            await group.add_bot(by=chief)
            groups.append((group, crew))
        for group, _ in groups:
            assert "本群已登记" in (await group.next_reply()).text, s.log()
        reports: set[tuple[int, int]] = set()
        for k in range(REPORTS):  # the groups' reports interleaved, as in a busy morning
            for group, crew in groups[:GROUPS]:
                sent = await group.say(crew[k], f"/report S272 K9{k}+100 坑槽 cat:pothole")
                reports.add((group.id, sent["message_id"]))
        album_group, album_crew = groups[GROUPS]
        parts = await album_group.send_album(album_crew[0], 4, "/report S272 K5+300 裂缝 cat:crack")
        reports.add((album_group.id, parts[0]["message_id"]))
        got = await s.emulator.wait_for(lambda: len(set(answers(s.emulator, reports))) == 151, 120)
        assert got, f"{len(set(answers(s.emulator, reports)))} of 151 answered\n{s.log()}"
        await s.quiet()
        twice = len(answers(s.emulator, reports)) - len(reports)
        album_updates = {u["update_id"] for u in s.emulator.emitted_updates[-4:]}
        assert s.proxy.workers_of(album_updates) == {0, 1}  # the album went to both
        shares = [sum(w == n for _, w in s.proxy.routed) for n in (0, 1)]
        database = Database(db_url)
        try:
            async with database.read() as session:
                issues = list(
                    await session.execute(
                        select(Issue.chat_id, Issue.number, Issue.stake_from).order_by(
                            Issue.chat_id, Issue.number
                        )
                    )
                )
                photos = await session.scalar(
                    select(func.count())
                    .select_from(Photo)
                    .join(Group, Group.id == Photo.group_id)
                    .where(Group.chat_id == album_group.id)
                )
        finally:
            await database.dispose()
    print(f"\nupdates per worker {shares}; {len(s.pusher.redelivered())} sent again; {twice} twice")
    assert twice == 0
    assert len(issues) == GROUPS * REPORTS + 1
    for group, _ in groups[:GROUPS]:
        mine = [(number, stake) for chat, number, stake in issues if chat == group.id]
        # numbered 1…10 in the order sent: K90+100 first, K99+100 last
        assert mine == [(k + 1, 90_100 + 1000 * k) for k in range(REPORTS)], (group.id, mine)
    assert [(n, stake) for chat, n, stake in issues if chat == album_group.id] == [(1, 5300)]
    assert photos == 4


async def test_a_late_answer_goes_to_the_other_worker_and_runs_once_while_other_chats_go_on(
    db_url: str, tmp_path: Path
) -> None:
    """Telegram's way: a chat's updates one at a time, and an update sent again when its
    answer is late. A group's /help whose reply takes 4 s is sent again after 2 s, to
    the other worker, which waits for the first and answers without running it again;
    meanwhile another group's /help is answered at once."""
    async with webhook_workers(tmp_path, db_url, one_per_chat=True, timeout=2.0) as s:
        chief = s.world.person("书记", last_name="慢")
        slow = s.world.group("养护慢班", creator=chief)
        other_chief = s.world.person("书记", last_name="快")
        # one group a sample: a group's own messages are spaced out (three at once, then
        # one every 3.5 s), which is not what this measures
        quick = [s.world.group(f"养护快{n}班", creator=other_chief) for n in range(4)]
        for group, by in ((slow, chief), *((q, other_chief) for q in quick)):
            await group.add_bot(by=by)
            assert "本群已登记" in (await group.next_reply()).text, s.log()

        async def slow_replies(call: Call) -> None:
            if call.method == "sendMessage" and call.params.get("chat_id") == str(slow.id):
                await asyncio.sleep(4)

        s.emulator.on_call = slow_replies
        loop = asyncio.get_running_loop()
        await slow.say(chief, "/help")
        slow_update = s.emulator.emitted_updates[-1]["update_id"]
        waits = []
        for group in quick:
            await asyncio.sleep(0.5)
            began = loop.time()
            await group.say(other_chief, "/help")
            assert "/members" in (await group.next_reply()).text
            waits.append(loop.time() - began)
        assert "/members" in (await slow.next_reply()).text
        await s.quiet(90)
        s.emulator.on_call = None
        again = [m for chat, m in s.emulator.bot_output() if chat == slow.id][2:]
        workers = s.proxy.workers_of({slow_update})
    print(f"\nanother group's /help answered in {', '.join(f'{w:.2f}' for w in waits)} s")
    assert slow_update in s.pusher.redelivered()  # its answer was late: sent again
    assert workers == {0, 1}  # … to the other worker too
    assert not again, [m.get("text", "")[:40] for m in again]  # and answered once
    assert max(waits) < 1.5, waits
