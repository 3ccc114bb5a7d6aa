"""``python -m bench`` (``make bench``): every benchmark case, results in
``bench/results.json`` and ``bench/results.md``; asserts nothing.

    python -m bench                   # the full run (PostgreSQL too when
                                      # VANGUARD_TEST_PG_URL is set)
    python -m bench --quick           # small sizes, a smoke run of every case
    python -m bench --only data,export --db postgresql
    python -m bench --only summary --db sqlite --out /tmp/summary.json

Sizes can also be set by environment variables ``BENCH_<SIZE>`` (``BENCH_UPDATES=1000``,
``BENCH_BIG_ISSUES=20000`` …; see :class:`bench.settings.Settings`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import (
    bigdata,
    broadcast,
    claims,
    fairness,
    flood,
    morning,
    startup,
    summary,
    throughput,
    wall,
)
from bench.figures import LoadWatch, outcome
from bench.processes import ROOT, git_commit
from bench.report import render
from bench.settings import Settings

Case = Callable[[Settings, str], Awaitable[list[dict[str, Any]]]]
# name → (function, runs once per database?); "data" also runs the export case
CASES: dict[str, tuple[Case, bool]] = {
    "startup": (startup.run, False),
    "throughput": (throughput.run, True),
    "fairness": (fairness.run, False),
    "flood": (flood.run, True),
    "data": (bigdata.run, True),
    "broadcast": (broadcast.run, False),
    "claims": (claims.run, True),
    "summary": (summary.run, True),
    "wall": (wall.run, True),
    "morning": (morning.run, True),
}
# cases that mostly wait for the clock (the morning: for the next minute, 8–68 s): a quick
# run starts them first and runs the others meanwhile (their figures are then only a
# smoke test, marked "alongside") — all but the cases that count the SQL statements this
# process runs, which wait until they are done
ALONGSIDE = frozenset({"morning"})
COUNTING = frozenset({"throughput", "data"})
HERE = Path(__file__).resolve().parent


def parse(argv: list[str] | None) -> tuple[Settings, Path, str]:
    """Settings, the output path and the command line from the arguments."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (under three minutes)")
    parser.add_argument(
        "--only",
        default="",
        help="comma-separated cases: " + ", ".join([*CASES, "export"]),
    )
    parser.add_argument(
        "--db", default="", help="sqlite, postgresql or both (default: both when PG is set)"
    )
    parser.add_argument("--repeats", type=int, help="repeats of every figure")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="results JSON path")
    args = parser.parse_args(argv)
    settings = Settings.quick_run() if args.quick else Settings()
    settings.apply_env()
    if args.repeats:
        settings.repeats = args.repeats
    settings.pg_url = os.environ.get("VANGUARD_TEST_PG_URL", "")
    wanted = tuple(x.strip() for x in (args.db or "sqlite,postgresql").split(",") if x.strip())
    settings.databases = tuple(d for d in wanted if d == "sqlite" or settings.pg_url)
    settings.only = tuple(x.strip() for x in args.only.split(",") if x.strip())
    unknown = set(settings.only) - {*CASES, "export"}
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    command = "python -m bench" + (" " + " ".join(sys.argv[1:]) if argv is None else "")
    return settings, Path(args.out), command.strip()


def selected(settings: Settings) -> list[str]:
    """The cases to run, in order ("export" alone runs the data case's seeding)."""
    if not settings.only:
        return list(CASES)
    names = set(settings.only)
    if "export" in names:
        names.add("data")
    return [name for name in CASES if name in names]


async def run_case(name: str, case: Case, settings: Settings, kind: str) -> list[dict[str, Any]]:
    """One case on one database, capped at ``case_timeout``; a failure is a result.
    A row that does not say at what load average it was measured gets the case's."""
    began = time.perf_counter()
    print(f"… {name} ({kind})", flush=True)
    async with LoadWatch() as load:
        try:
            rows = await asyncio.wait_for(case(settings, kind), settings.case_timeout)
        except Exception as exc:
            logging.getLogger("bench").exception("case %s on %s", name, kind)
            rows = [{"case": name, "database": kind, **outcome(exc)}]
    for row in rows:
        row.setdefault("load", load.figure())
    took = time.perf_counter() - began
    print(f"  {name} ({kind}) took {took:.0f} s, load {load.samples[-1]:.1f}", flush=True)
    return rows


async def main_async(settings: Settings, out: Path, command: str) -> dict[str, Any]:
    """Run the selected cases, saving the results after each one."""
    began = time.perf_counter()
    doc: dict[str, Any] = {
        **git_commit(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": command,
        "quick": settings.quick,
        "cpus": os.cpu_count(),
        "python": sys.version.split()[0],
        "tree": str(ROOT),
        "postgresql": bool(settings.pg_url and "postgresql" in settings.databases),
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in asdict(settings).items()
            if k != "pg_url"
        },
        "duration_s": 0.0,
        "results": [],
    }
    with tempfile.TemporaryDirectory(prefix="vanguard-bench-") as work:
        settings.work = Path(work)
        names = selected(settings)
        aside = [n for n in names if settings.quick and n in ALONGSIDE]
        tasks = [asyncio.create_task(run_named(n, settings, doc, out, began)) for n in aside]
        later = [n for n in names if aside and n in COUNTING]
        for name in [n for n in names if n not in aside and n not in later]:
            await run_named(name, settings, doc, out, began)
        await asyncio.gather(*tasks)
        for name in later:
            await run_named(name, settings, doc, out, began)
    return doc


async def run_named(
    name: str, settings: Settings, doc: dict[str, Any], out: Path, began: float
) -> None:
    """One case on each database it runs on, its rows added to ``doc`` and saved after
    each (marked ``alongside`` when a quick run overlapped it with the other cases)."""
    case, per_database = CASES[name]
    for kind in settings.databases if per_database else ("sqlite",):
        rows = await run_case(name, case, settings, kind)
        if settings.quick and name in ALONGSIDE:
            for row in rows:
                row["alongside"] = True
        doc["results"] += rows
        doc["duration_s"] = round(time.perf_counter() - began, 1)
        save(doc, out)


def save(doc: dict[str, Any], out: Path) -> None:
    """Write the JSON and the markdown next to it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(render(doc) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Entry point: run, save, print the tables."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("telegram").setLevel(logging.CRITICAL)  # retried 429s, expected
    settings, out, command = parse(argv)
    if not settings.pg_url:
        print("VANGUARD_TEST_PG_URL is not set: PostgreSQL cases are skipped", flush=True)
    print(f"benchmarking {ROOT} → {out}", flush=True)
    doc = asyncio.run(main_async(settings, out, command))
    save(doc, out)
    print()
    print(render(doc))
    print(f"results: {out} and {out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
