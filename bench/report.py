"""The results as compact markdown tables (median, and min–max in brackets)."""

from __future__ import annotations

from typing import Any


def fmt(stats: dict[str, Any] | None, digits: int = 1) -> str:
    """``median (min–max)`` of a spread, or a dash."""
    if not stats or not stats.get("n"):
        return "—"
    median, low, high = stats["median"], stats["min"], stats["max"]
    if stats["n"] == 1 or low == high:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def _failed(row: dict[str, Any]) -> str | None:
    """The failure of a case row, if it failed as a whole."""
    if row.get("status") in ("failed", "timeout"):
        return f"{row['status']}: {row.get('error', '')}".strip(": ")
    return None


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def render(doc: dict[str, Any]) -> str:
    """Every section that has results, with a header naming the commit and the run."""
    results: list[dict[str, Any]] = doc["results"]
    by_case: dict[str, list[dict[str, Any]]] = {}
    for row in results:
        by_case.setdefault(row["case"], []).append(row)
    dirty = " (with uncommitted changes)" if doc.get("dirty") else ""
    out = [
        f"Commit `{doc['commit']}`{dirty}, {doc['started']}, {doc['cpus']} CPUs, "
        f"{'quick' if doc['quick'] else 'full'} run of {doc['duration_s'] / 60:.1f} min "
        f"(`{doc['command']}`). Median of repeats, min–max in brackets.",
        "",
    ]
    failures = [(r["case"], r.get("database", ""), _failed(r)) for r in results if _failed(r)]
    sql = {(r["database"], r["command"]): r for r in by_case.get("sql_per_command", [])}
    if "throughput" in by_case:
        conf = doc.get("settings", {})
        out += [
            f"**In-process, no rate limits**: {conf.get('updates')} updates pushed at once over "
            f"{conf.get('groups')} groups, Vanguard and the echo bot taking turns; "
            '"alone": one update at a time (its SQL statements counted)',
            "",
        ]
        rows = []
        for r in by_case["throughput"]:
            if _failed(r):
                continue
            s = sql.get((r["database"], r["command"]), {})
            rows.append(
                [
                    r["database"],
                    f"`{r['command']}`",
                    fmt(r["vanguard"]["throughput"], 0),
                    fmt(r["echo"]["throughput"], 0),
                    fmt(r["ratio_to_echo"], 3),
                    fmt(r["vanguard"]["p50_ms"], 0),
                    fmt(r["vanguard"]["p95_ms"], 0),
                    fmt(s.get("idle_latency_ms"), 1),
                    fmt(s.get("statements"), 0),
                ]
            )
        out += _table(
            [
                "db",
                "command",
                "updates/s",
                "echo updates/s",
                "÷ echo",
                "burst p50 ms",
                "burst p95 ms",
                "alone ms",
                "SQL statements",
            ],
            rows,
        )
        out.append("")
    if "fairness" in by_case:
        out += ["**Fairness** (production rate limiter, Telegram's limits enforced)", ""]
        rows = []
        for r in by_case["fairness"]:
            if _failed(r):
                continue
            timeouts = f", {r['b_timeouts']} over {r['timeout_s']:.0f} s" if r["b_timeouts"] else ""
            rows.append(
                [
                    r["database"],
                    f"{r['burst']} commands from {r['burst_people']} people",
                    fmt(r["b_help_latency_s"], 2) + timeouts,
                    fmt(r["burst_seconds"], 1)
                    + (
                        ""
                        if r.get("burst_drained", len(r["rounds"])) == len(r["rounds"])
                        else f" ({r['burst_answered_min']}/{r['burst']} answered)"
                    ),
                    fmt(r["get_chat_administrators"], 0),
                    fmt(r["r429"], 0),
                ]
            )
        out += _table(
            [
                "db",
                "group A burst",
                "group B /help s",
                "burst all answered in s",
                "getChatAdministrators",
                "429s",
            ],
            rows,
        )
        out.append("")
    if "data_x1000" in by_case:
        first = next((r for r in by_case["data_x1000"] if not _failed(r)), None)
        if first is not None:
            out += [
                f"**Data ×{first['big_issues'] // max(1, first['small_issues'])}**: one group "
                f"with {first['small_issues']:,} issues vs one with {first['big_issues']:,} "
                "(with history and photos); one command at a time",
                "",
            ]
        rows = []
        for r in by_case["data_x1000"]:
            if _failed(r):
                continue
            ratio = f"×{r['ratio']:.2f}" if r.get("ratio") else "—"
            fails = r["small"]["failures"] + r["big"]["failures"]
            rows.append(
                [
                    r["database"],
                    f"`{r['command']}`",
                    fmt(r["small"]["ms"], 0),
                    fmt(r["big"]["ms"], 0) + (f" ({fails} timed out)" if fails else ""),
                    ratio,
                    f"{fmt(r['small']['statements'], 0)} / {fmt(r['big']['statements'], 0)}",
                ]
            )
        out += _table(["db", "command", "small ms", "big ms", "big ÷ small", "SQL small/big"], rows)
        out.append("")
    if "export" in by_case:
        out += ["**`/export issues`** in the big group (a process of its own)", ""]
        rows = []
        for r in by_case["export"]:
            if _failed(r):
                continue
            errors = "; ".join(e for e in r["errors"] if e)[:160]
            seconds = fmt(r["seconds"], 1)
            if not r["ok"] and r.get("failed_after_s", {}).get("n"):
                seconds = "failed after " + fmt(r["failed_after_s"], 1)
            rows.append(
                [
                    r["database"],
                    f"{r['issues']:,}",
                    f"{r['ok']}/{r['runs']}",
                    seconds,
                    fmt(r["peak_rss_mb"], 0),
                    fmt(r["other_help_s"], 2),
                    errors or "—",
                ]
            )
        out += _table(
            ["db", "issues", "ok", "seconds", "peak RSS MB", "other group /help s", "failure"],
            rows,
        )
        out.append("")
    if "summary" in by_case:
        out += _summary(by_case["summary"])
    if "broadcast" in by_case:
        out += ["**Broadcast at Telegram's limits** (production rate limiter)", ""]
        rows = [
            [
                f"{r['private']:,} private + {r['groups']:,} groups",
                fmt(r["seconds"], 1),
                f"{r['minimum_s']:.0f}",
                fmt(r["ratio_to_minimum"], 2),
                fmt(r["r429"], 0),
                f"{r['delivered_min']:,}",
            ]
            for r in by_case["broadcast"]
            if not _failed(r)
        ]
        out += _table(["messages", "seconds", "minimum s", "÷ minimum", "429s", "delivered"], rows)
        out.append("")
    if "startup" in by_case:
        out += ["**Start-up** (a process against the HTTP emulator)", ""]
        rows = []
        for r in by_case["startup"]:
            if _failed(r):
                continue
            for who in ("vanguard", "echo"):
                rows.append(
                    [
                        who,
                        fmt(r[who]["start_s"], 2),
                        fmt(r[who]["idle_rss_mb"], 0),
                    ]
                )
            if r.get("vanguard_first_start_s") is not None:
                rows.append(["vanguard, fresh database", f"{r['vanguard_first_start_s']:.2f}", ""])
        out += _table(["bot", "to first getUpdates s", "idle RSS MB"], rows)
        out.append("")
    if "claims" in by_case:
        out += ["**Contended claims** (50 people, a 3-slot topic, storage only)", ""]
        rows = [
            [
                r["database"],
                fmt(r["sequential_ms"], 0),
                fmt(r["concurrent_ms"], 0),
                f"{r['ratio']:.2f}",
            ]
            for r in by_case["claims"]
            if not _failed(r)
        ]
        out += _table(["db", "sequential ms", "concurrent ms", "concurrent ÷ sequential"], rows)
        out.append("")
    if failures:
        out += ["**Failed or timed out**", ""]
        out += [f"- {case} {db}: {why}" for case, db, why in failures]
        out.append("")
    return "\n".join(out)


def _summary(rows: list[dict[str, Any]]) -> list[str]:
    """The monthly report's table: each format's time, peak RSS, what the document
    holds, and the other group's /help meanwhile, against the requirement."""
    first = next((r for r in rows if not _failed(r)), None)
    if first is None:
        return []
    out = [
        f"**`/summary`**: a month of {first['issues']:,} issues, {first['events']:,} events "
        f"and {first['photos']:,} photos placed (a process of its own; required: under 30 s "
        "and 300 MB peak RSS)",
        "",
    ]
    table = []
    for r in rows:
        if _failed(r):
            continue
        seconds = fmt(r["seconds"], 1)
        if not r["ok"] and r.get("failed_after_s", {}).get("n"):
            seconds = "failed after " + fmt(r["failed_after_s"], 1)
        errors = "; ".join(e for e in r["errors"] if e)[:160]
        table.append(
            [
                r["database"],
                r["format"],
                f"{r['ok']}/{r['runs']}",
                seconds,
                fmt(r["peak_rss_mb"], 0),
                fmt(r["document_mb"], 1),
                fmt(r["pictures"], 0) if r["format"] == "docx" else fmt(r["charts"], 0),
                fmt(r["other_help_max_s"], 2),
                "yes" if r["meets"] else "**no**",
                errors or "—",
            ]
        )
    out += _table(
        [
            "db",
            "format",
            "ok",
            "seconds",
            "peak RSS MB",
            "file MB",
            "pictures / charts",
            "other group /help max s",
            "meets",
            "failure",
        ],
        table,
    )
    out.append("")
    return out
