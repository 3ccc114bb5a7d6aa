"""Cases 4 and 5: the ×1000 data case and the export, on one seeded database.

One group holds ``small_issues`` issues, another ``big_issues`` (×1000 by default), with
their history and photos, and a third none; the first two also ``small_signups`` and
``big_signups`` event sign-ups (the same last ten days, and 27 years before them). Case
4 times each command in the small and the big group, one at a time, alternating, and
counts its SQL statements. Case 5 runs ``/export issues`` in the big group in a
subprocess of its own (``bench.export_child``), so that the peak RSS is the export's.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from bench.bots import start_vanguard, stop_quietly
from bench.databases import database
from bench.figures import outcome, spread
from bench.processes import run_child
from bench.seed import seed
from bench.settings import Settings
from bench.spec import GroupSpec, Spec, build_emulator, make_spec
from bench.throughput import one_by_one
from bench.tracking import SqlCounter, Tracker
from bench.world import Group
from emulator.core import TelegramEmulator


def commands(issues: int) -> dict[str, str]:
    """The commands timed, by name (the issue shown is one in the middle)."""
    return {
        "/issues open": "/issues open",
        "/issues all": "/issues all",
        "/issues overdue": "/issues overdue",
        "/issues mine": "/issues mine",
        "/issues S272": "/issues S272",
        "/issue N/2": f"/issue {max(1, issues // 2)}",
        "/topics": "/topics",
        "/wall": "/wall",
        "/members": "/members",
        "/hours": "/hours",
        "/hours year": "/hours year",
        "/hours all": "/hours all",
        "/hours me": "/hours me",
        "/events": "/events",
        "/events past": "/events past",
        "/report": "/report S272 K{km}+{m:03d} 坑槽",
        "/help": "/help",
    }


def as_group(emulator: TelegramEmulator, spec: GroupSpec) -> Group:
    """The emulator's view of a seeded group."""
    users = emulator.users
    return Group(
        emulator.chats[spec.chat_id],
        users[spec.creator],
        [users[u] for u in spec.admins],
        [users[u] for u in spec.members],
    )


async def data_case(
    settings: Settings, kind: str, url: str, spec: Spec, media: Path
) -> list[dict[str, Any]]:
    """Case 4: every command in the small and the big group, timed and counted."""
    emulator = TelegramEmulator()
    build_emulator(emulator, spec)
    tracker = Tracker(emulator)
    groups = {key: as_group(emulator, spec.group(key)) for key in ("small", "big")}
    _app, runner = await start_vanguard(emulator, url, media)
    results = []
    sql = SqlCounter()
    stake = 10_000
    try:
        with sql.installed():
            for name in commands(1):
                figures: dict[str, list[dict[str, Any]]] = {"small": [], "big": []}
                for sample in range(settings.data_samples + 1):  # the first one warms up
                    for key, group in groups.items():
                        text = commands(spec.group(key).issues)[name]
                        stake += 100
                        text = text.format(km=stake // 1000, m=stake % 1000)
                        try:
                            found = await one_by_one(
                                tracker,
                                sql,
                                group.chat,
                                group.members[0],
                                text,
                                settings.sample_timeout,
                            )
                        except TimeoutError as exc:
                            figures[key].append({"error": str(exc)})
                            await tracker.wait_quiet(sql, 1.0, cap=settings.sample_timeout)
                            continue
                        if sample > 0:
                            figures[key].append(found)
                results.append(_row(kind, name, spec, figures))
    finally:
        await stop_quietly(runner, timeout=settings.sample_timeout)
    return results


def _row(
    kind: str, name: str, spec: Spec, figures: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """One row of case 4: both groups' times, the ratio of the medians, statements."""
    row: dict[str, Any] = {
        "case": "data_x1000",
        "database": kind,
        "command": name,
        "small_issues": spec.group("small").issues,
        "big_issues": spec.group("big").issues,
        "small_signups": spec.group("small").signups,
        "big_signups": spec.group("big").signups,
    }
    for key, found in figures.items():
        ok = [f for f in found if "error" not in f]
        row[key] = {
            "ms": spread([f["latency"] * 1000 for f in ok], 1),
            "statements": spread([f["statements"] for f in ok]),
            "failures": len(found) - len(ok),
        }
    small, big = row["small"]["ms"].get("median"), row["big"]["ms"].get("median")
    row["ratio"] = round(big / small, 2) if small and big else None
    return row


async def export_case(
    settings: Settings, kind: str, url: str, spec_path: Path, media: Path
) -> list[dict[str, Any]]:
    """Case 5: ``/export issues`` in the big group, each time in a fresh subprocess."""
    runs: list[dict[str, Any]] = []
    for index in range(settings.export_repeats):
        out = media / f"export-{index}.json"
        timeout = settings.sample_timeout * 5
        args = ["--db-url", url, "--spec", str(spec_path), "--media", str(media / f"child-{index}")]
        runs.append(await run_child("bench.export_child", args, out, timeout))
    ok = [r for r in runs if r.get("status") == "ok"]
    return [
        {
            "case": "export",
            "database": kind,
            "issues": _big_issues(spec_path),
            "runs": len(runs),
            "ok": len(ok),
            "seconds": spread([r["seconds"] for r in ok], 2),
            "failed_after_s": spread(
                [r["seconds"] for r in runs if r.get("status") == "failed" and "seconds" in r], 2
            ),
            "peak_rss_mb": spread([r["peak_rss_kb"] / 1024 for r in runs if "peak_rss_kb" in r], 1),
            "rss_before_mb": spread(
                [r["rss_before_kb"] / 1024 for r in runs if "rss_before_kb" in r], 1
            ),
            "other_help_s": spread(
                [r["help_latency"] for r in runs if r.get("help_latency") is not None], 3
            ),
            "document_bytes": spread([r["document_bytes"] for r in ok]),
            "errors": sorted({_plain_error(r) for r in runs if r.get("status") != "ok"}),
            "details": runs,
        }
    ]


def _plain_error(run: dict[str, Any]) -> str:
    """A run's failure without its error id and update id (so equal failures merge)."""
    text = str(run.get("error") or run.get("status", ""))
    return re.sub(r"^error \w+ while handling update \d+: ", "", text)


def _big_issues(spec_path: Path) -> int:
    """How many issues the big group of a saved spec holds."""
    return Spec.load(spec_path).group("big").issues


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Seed one database, then cases 4 and 5 on it."""
    results: list[dict[str, Any]] = []
    signups = (settings.small_signups, settings.big_signups)
    spec = make_spec(settings.small_issues, settings.big_issues, signups)
    async with database(kind, settings, "big") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as folder:
            media = Path(folder)
            seeded = await seed(url, spec)
            results.append({"case": "seed", "database": kind, **seeded})
            spec_path = media / "spec.json"
            spec.save(spec_path)
            if not settings.only or "data" in settings.only:
                try:
                    results += await data_case(settings, kind, url, spec, media)
                except Exception as exc:
                    results.append({"case": "data_x1000", "database": kind, **outcome(exc)})
            if not settings.only or "export" in settings.only:
                try:
                    results += await export_case(settings, kind, url, spec_path, media)
                except Exception as exc:
                    results.append({"case": "export", "database": kind, **outcome(exc)})
    return results
