"""The tree under test and the processes that run it: its commit, a child's environment,
memory (RSS) from /proc."""

from __future__ import annotations

import os
import subprocess
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
