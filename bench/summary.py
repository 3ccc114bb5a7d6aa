"""Case: the monthly report, ``/summary YYYY-MM`` (Word) and ``/summary YYYY-MM xlsx``
(the appendix), of a month with ``summary_issues`` issues and ``summary_photos`` photos
placed in the document (real JPEG files on disk), each run in a process of its own
(``bench.summary_child``) so that the peak RSS is the report's. The requirement: under
30 s and under 300 MB of peak RSS.

The month is last month by the bot's clock (the real one) in the group's time zone;
the photo files are made once per bench run and shared by the databases.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.databases import database
from bench.figures import outcome, spread
from bench.processes import run_child
from bench.settings import Settings
from bench.summary_seed import ZONE, Plan, make_photos, make_spec, seed_month
from domain.calendar import Month

LIMIT_S = 30.0  # the requirement
LIMIT_MB = 300.0
FORMATS = ("docx", "xlsx")


async def child(
    settings: Settings, url: str, spec_path: Path, media: Path, command: str, tag: str
) -> dict[str, Any]:
    """One report in a fresh subprocess; its result (or why there is none)."""
    out = media / f"summary-{tag}.json"
    timeout = max(settings.sample_timeout * 5, 4 * LIMIT_S)
    args = ["--db-url", url, "--spec", str(spec_path), "--media", str(media / f"child-{tag}")]
    return await run_child("bench.summary_child", [*args, "--command", command], out, timeout)


def _row(
    kind: str, fmt: str, plan: Plan, command: str, runs: list[dict[str, Any]]
) -> dict[str, Any]:
    """One format's runs as a result row."""
    ok = [r for r in runs if r.get("status") == "ok"]
    peaks = [r["peak_rss_kb"] / 1024 for r in runs if "peak_rss_kb" in r]
    helps = [max(r["help_latencies"]) for r in runs if r.get("help_latencies")]
    seconds = [r["seconds"] for r in ok]
    return {
        "case": "summary",
        "database": kind,
        "format": fmt,
        "command": command,
        "issues": plan.issues,
        "photos": plan.photos,
        "events": plan.events,
        "runs": len(runs),
        "ok": len(ok),
        "seconds": spread(seconds, 2),
        "failed_after_s": spread(
            [r["seconds"] for r in runs if r.get("status") == "failed" and "seconds" in r], 2
        ),
        "peak_rss_mb": spread(peaks, 1),
        "rss_before_mb": spread(
            [r["rss_before_kb"] / 1024 for r in runs if "rss_before_kb" in r], 1
        ),
        "peak_at_s": spread([r["peak_at_s"] for r in runs if "peak_at_s" in r], 2),
        "other_help_max_s": spread(helps, 3),
        "other_help_s": spread([x for r in runs for x in r.get("help_latencies", [])], 3),
        "document_mb": spread(
            [r["document_bytes"] / 1024 / 1024 for r in runs if r.get("document_bytes")], 1
        ),
        "pictures": spread([r["pictures"] for r in runs if "pictures" in r]),
        "charts": spread([r["charts"] for r in runs if "charts" in r]),
        "meets": bool(ok)
        and len(ok) == len(runs)
        and max(seconds) < LIMIT_S
        and max(peaks) < LIMIT_MB,
        "errors": sorted({_plain_error(r) for r in runs if r.get("status") != "ok"}),
        "details": runs,
    }


def _plain_error(run: dict[str, Any]) -> str:
    """A run's failure without its error id and update id (so equal failures merge)."""
    text = str(run.get("error") or run.get("status", ""))
    return re.sub(r"^error \w+ while handling update \d+: ", "", text)


async def run(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """Make the photos (once), seed the month, then each format ``summary_repeats``
    times, each in a fresh process."""
    plan = Plan.of(settings.summary_issues, settings.summary_photos, settings.summary_events)
    photos, mean_bytes = await asyncio.to_thread(
        make_photos, settings.work / "summary-photos", plan.photos
    )
    month = Month.containing(datetime.now(UTC), ZONE).previous()
    spec = make_spec()
    results: list[dict[str, Any]] = []
    async with database(kind, settings, "summary") as url:
        with tempfile.TemporaryDirectory(dir=settings.work) as folder:
            media = Path(folder)
            seeded = await seed_month(url, spec, plan, month, photos)
            seeded["photo_kb"] = round(mean_bytes / 1024)
            results.append({"case": "summary_seed", "database": kind, **seeded})
            spec_path = media / "spec.json"
            spec.save(spec_path)
            for fmt in FORMATS:
                command = f"/summary {month.label}" + (" xlsx" if fmt == "xlsx" else "")
                try:
                    runs = [
                        await child(settings, url, spec_path, media, command, f"{fmt}-{n}")
                        for n in range(settings.summary_repeats)
                    ]
                    results.append(_row(kind, fmt, plan, command, runs))
                except Exception as exc:
                    results.append(
                        {"case": "summary", "database": kind, "format": fmt, **outcome(exc)}
                    )
    return results
