"""The tree under test and the processes that run it: its commit, a child's environment,
memory (RSS) from /proc."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import bot as bot_package

ROOT = Path(bot_package.__file__).resolve().parent.parent  # the source tree under test


def _git(*args: str) -> str:
    """What a git command prints, run in the source tree (CalledProcessError if it fails)."""
    return subprocess.run(
        ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def git_commit() -> dict[str, Any]:
    """The commit of the tree under test (``BENCH_COMMIT`` wins) and whether it is dirty."""
    given = os.environ.get("BENCH_COMMIT")
    if given:
        return {"commit": given, "dirty": None}
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        status = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return {"commit": "unknown", "dirty": None}
    return {"commit": head, "dirty": bool(status.strip())}


def proc_status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM (kB) of a process from /proc."""
    found: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                name, _, value = line.partition(":")
                if name in ("VmRSS", "VmHWM"):
                    found[name] = int(value.split()[0])
    except OSError:
        pass
    return found


def tree_rss_kb(pid: int | str = "self") -> int:
    """VmRSS (kB) of a process and all its descendants (a worker process counts too)."""
    total = proc_status(pid).get("VmRSS", 0)
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return total
    for task in tasks:
        try:
            children = (task / "children").read_text(encoding="ascii").split()
        except OSError:
            continue
        for child in children:
            total += tree_rss_kb(int(child))
    return total


def child_env() -> dict[str, str]:
    """The environment for a subprocess that must import the tree under test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VANGUARD_")}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
    )
    return env


async def run_child(module: str, args: list[str], out: Path, timeout: float) -> dict[str, Any]:
    """Run ``python -m <module> <args> --timeout T --out OUT`` in a fresh process and
    return the JSON it wrote, or ``{"status": "timeout"}`` / ``{"status": "failed",
    "error": <its stderr's last lines>}``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        *args,
        "--timeout",
        str(timeout),
        "--out",
        str(out),
        env=child_env(),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout + 120)
    except TimeoutError:
        process.kill()
        await process.wait()
        return {"status": "timeout"}
    found = _result(out) if process.returncode == 0 else None
    if found is None:
        tail = stderr.decode(errors="replace").strip().splitlines()[-3:]
        return {"status": "failed", "error": " | ".join(tail)[:400]}
    return found


def _result(out: Path) -> dict[str, Any] | None:
    """The JSON a child wrote (a small file), or None if it wrote none."""
    if not out.exists():
        return None
    found: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return found
