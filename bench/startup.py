"""Case 7: start-up time and idle RSS of ``vanguard run`` and of the echo bot, each as a
process of its own against the HTTP emulator (:mod:`emulator.server`).

Start-up is the time from spawning the process to its first ``getUpdates``; the RSS is
read from /proc after it has idled two seconds. Then ``/help`` in new groups, one at a
time: the wait for each over HTTP (the echo bot's is the anchor of the other cases'
``/help`` over HTTP: the morning's). Then, in starts of their own, the time from
spawning it to its answer to a ``/help`` already waiting (what a person sees of a
restart: whatever start-up leaves for the first update is in it). Vanguard's first
start on a fresh SQLite file (migrations included) is reported apart; the repeats
restart it on that file.

Both run from compiled bytecode, as an installed bot does (pip compiles a package as it
installs it; a checkout writes ``__pycache__`` on its first run): the tree is compiled
first, so that where ``PYTHONDONTWRITEBYTECODE`` is set, a start does not compile the
tree's modules again (some 0.1 s for Vanguard's 150), which no deployed bot does.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.figures import ratio, spread
from bench.processes import ROOT, child_env, proc_status
from bench.settings import Settings
from bench.tracking import Tracker
from bench.world import make_group
from emulator.core import TelegramEmulator
from emulator.server import EmulatorServer

IDLE = 2.0  # seconds the bot idles before its RSS is read
HELP_SAMPLES = 3  # /help timed one at a time, each in a new group
PACKAGES = ("bot", "domain", "handlers", "storage", "emulator", "bench")  # what they import


async def compile_tree() -> None:
    """Compile the tree's packages to bytecode (``__pycache__``, as a first run would)."""
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "compileall", "-q", *(str(ROOT / p) for p in PACKAGES)),
        stdout=asyncio.subprocess.DEVNULL,
    )
    await process.wait()


def vanguard_command(server: EmulatorServer, folder: Path, token: str) -> list[str]:
    """``vanguard run`` with a config.toml on the emulator and a SQLite file."""
    config = folder / "config.toml"
    config.write_text(
        "[telegram]\n"
        f'token = "{token}"\n'
        f'api_base_url = "{server.api_base_url}"\n'
        f'file_base_url = "{server.file_base_url}"\n'
        "[database]\n"
        f'url = "sqlite+aiosqlite:///{folder / "vanguard.db"}"\n'
        "[media]\n"
        f'dir = "{folder / "media"}"\n',
        encoding="utf-8",
    )
    return [sys.executable, "-m", "bot", "run", "--config", str(config)]


def echo_command(server: EmulatorServer, token: str) -> list[str]:
    """The echo bot as a process."""
    return [
        sys.executable,
        "-m",
        "bench.echo",
        "--api",
        server.api_base_url,
        "--files",
        server.file_base_url,
        "--token",
        token,
    ]


async def help_waits(tracker: Tracker, timeout: float) -> list[float]:
    """Seconds to the answer of ``/help`` in ``HELP_SAMPLES`` new groups, one at a time,
    each after a first message there (which registers the group and its member; a group
    of its own each, as Vanguard spaces one group's messages out)."""
    tracker.unquoted = "trailing"
    waits = []
    for _ in range(HELP_SAMPLES):
        group = make_group(tracker.emulator, "启动班", 1, admins=0, bot_in=True)
        person = group.members[0]
        if not await tracker.wait([tracker.say(group.chat, person, "/start")], timeout):
            break
        key = tracker.say(group.chat, person, "/help")
        if not await tracker.wait([key], timeout):
            break
        waits.append(tracker.latency(key) or 0.0)
    return waits


async def spawn(command: list[str], folder: Path) -> asyncio.subprocess.Process:
    """Start a bot process in ``folder``, its stderr appended to ``stderr.log`` there."""
    log = (folder / "stderr.log").open("ab")
    try:
        return await asyncio.create_subprocess_exec(
            *command,
            env=child_env(),
            cwd=folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    finally:
        log.close()


async def one_start(
    tracker: Tracker, command: list[str], folder: Path, timeout: float
) -> dict[str, Any]:
    """Spawn ``command``; seconds to its first getUpdates, its RSS after idling, then the
    wait for ``/help``."""
    emulator = tracker.emulator
    seen = len(emulator.calls)
    began = time.time()
    process = await spawn(command, folder)
    try:
        # a long poll is logged when it arrives but reported only when it ends: look
        deadline = time.monotonic() + timeout
        while not any(c.method == "getUpdates" for c in emulator.calls[seen:]):
            if time.monotonic() > deadline or process.returncode is not None:
                return {"status": "timeout" if process.returncode is None else "failed"}
            await asyncio.sleep(0.01)
        first = next(c for c in emulator.calls[seen:] if c.method == "getUpdates")
        await asyncio.sleep(IDLE)
        status = proc_status(process.pid)
        return {
            "status": "ok",
            "seconds": first.at - began,
            "rss_kb": status.get("VmRSS", 0),
            "help_s": await help_waits(tracker, timeout),
        }
    finally:
        await stop(process)


async def stop(process: asyncio.subprocess.Process) -> None:
    """Stop a bot as its service manager would (SIGTERM; killed after 15 s)."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


async def first_answer(
    tracker: Tracker, command: list[str], folder: Path, timeout: float
) -> float | None:
    """Seconds from spawning ``command`` to its answer to a ``/help`` sent before it
    started (a new group's first message, waiting in the queue as after a restart): what
    a person waiting on a restart sees, imports on first use included."""
    group = make_group(tracker.emulator, "重启班", 1, admins=0, bot_in=True)
    key = tracker.say(group.chat, group.members[0], "/help")
    began = time.perf_counter()  # the tracker's clock
    process = await spawn(command, folder)
    try:
        if not await tracker.wait([key], timeout):
            return None
        return tracker.answered_at[key] - began
    finally:
        await stop(process)


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Case 7: Vanguard and the echo bot, taking turns."""
    await compile_tree()
    emulator = TelegramEmulator()
    tracker = Tracker(emulator)
    server = EmulatorServer(emulator)
    await server.start()
    timeout = settings.sample_timeout
    runs: dict[str, list[dict[str, Any]]] = {"vanguard": [], "echo": []}
    answers: dict[str, list[float | None]] = {"vanguard": [], "echo": []}
    try:
        with tempfile.TemporaryDirectory(dir=settings.work) as name:
            folder = Path(name)
            vanguard = vanguard_command(server, folder, emulator.token)
            echo = echo_command(server, emulator.token)
            first = await one_start(tracker, vanguard, folder, timeout)
            for _ in range(settings.startup_repeats):
                runs["vanguard"].append(await one_start(tracker, vanguard, folder, timeout))
                runs["echo"].append(await one_start(tracker, echo, folder, timeout))
            for _ in range(settings.startup_repeats):
                answers["vanguard"].append(await first_answer(tracker, vanguard, folder, timeout))
                answers["echo"].append(await first_answer(tracker, echo, folder, timeout))
    finally:
        await server.stop()
    row: dict[str, Any] = {"case": "startup", "database": "sqlite"}
    for who, found in runs.items():
        ok = [r for r in found if r["status"] == "ok"]
        row[who] = {
            "start_s": spread([r["seconds"] for r in ok], 3),
            "idle_rss_mb": spread([r["rss_kb"] / 1024 for r in ok], 1),
            "help_ms": spread([x * 1000 for r in ok for x in r["help_s"]], 1),
            "first_answer_s": spread([a for a in answers[who] if a is not None], 3),
            "failures": len(found) - len(ok) + answers[who].count(None),
        }
    row["help_vs_echo"] = ratio(row["vanguard"]["help_ms"], row["echo"]["help_ms"])
    row["vanguard_first_start_s"] = round(first["seconds"], 3) if "seconds" in first else None
    return [row]
