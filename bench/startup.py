"""Case 7: start-up time and idle RSS of ``vanguard run`` and of the echo bot, each as a
process of its own against the HTTP emulator (:mod:`emulator.server`).

Start-up is the time from spawning the process to its first ``getUpdates``; the RSS is
read from /proc after it has idled two seconds. Vanguard's first start on a fresh SQLite
file (migrations included) is reported apart; the repeats restart it on that file.

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

from bench.figures import spread
from bench.processes import ROOT, child_env, proc_status
from bench.settings import Settings
from emulator.core import TelegramEmulator
from emulator.server import EmulatorServer

IDLE = 2.0  # seconds the bot idles before its RSS is read
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


async def one_start(
    emulator: TelegramEmulator, command: list[str], folder: Path, timeout: float
) -> dict[str, Any]:
    """Spawn ``command``; seconds to its first getUpdates, and its RSS after idling."""
    seen = len(emulator.calls)
    began = time.time()
    log = (folder / "stderr.log").open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            *command,
            env=child_env(),
            cwd=folder,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log,
        )
    finally:
        log.close()
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
        }
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 15)
            except TimeoutError:
                process.kill()
                await process.wait()


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Case 7: Vanguard and the echo bot, taking turns."""
    await compile_tree()
    emulator = TelegramEmulator()
    server = EmulatorServer(emulator)
    await server.start()
    timeout = settings.sample_timeout
    runs: dict[str, list[dict[str, Any]]] = {"vanguard": [], "echo": []}
    try:
        with tempfile.TemporaryDirectory(dir=settings.work) as name:
            folder = Path(name)
            vanguard = vanguard_command(server, folder, emulator.token)
            echo = echo_command(server, emulator.token)
            first = await one_start(emulator, vanguard, folder, timeout)
            for _ in range(settings.startup_repeats):
                runs["vanguard"].append(await one_start(emulator, vanguard, folder, timeout))
                runs["echo"].append(await one_start(emulator, echo, folder, timeout))
    finally:
        await server.stop()
    row: dict[str, Any] = {"case": "startup", "database": "sqlite"}
    for who, found in runs.items():
        ok = [r for r in found if r["status"] == "ok"]
        row[who] = {
            "start_s": spread([r["seconds"] for r in ok], 3),
            "idle_rss_mb": spread([r["rss_kb"] / 1024 for r in ok], 1),
            "failures": len(found) - len(ok),
        }
    row["vanguard_first_start_s"] = round(first["seconds"], 3) if "seconds" in first else None
    return [row]
