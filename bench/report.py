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


def _seconds(row: dict[str, Any]) -> str:
    """How long a case's runs took, or how long until they failed."""
    if not row["ok"] and row.get("failed_after_s", {}).get("n"):
        return "failed after " + fmt(row["failed_after_s"], 1)
    return fmt(row["seconds"], 1)


def _errors(row: dict[str, Any]) -> str:
    """The errors of a case's runs, shortened (a dash if none)."""
    return "; ".join(e for e in row["errors"] if e)[:160] or "—"


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
    if "throughput" in by_case:
        sql = {(r["database"], r["command"]): r for r in by_case.get("sql_per_command", [])}
        out += _throughput(by_case["throughput"], sql, doc.get("settings", {}))
    sections = (
        ("fairness", _fairness),
        ("data_x1000", _data),
        ("export", _export),
        ("summary", _summary),
        ("broadcast", _broadcast),
        ("startup", _startup),
        ("claims", _claims),
        ("morning", _morning),
    )
    for case, section in sections:
        if case in by_case:
            out += section(by_case[case])
    if failures:
        out += ["**Failed or timed out**", ""]
        out += [f"- {case} {db}: {why}" for case, db, why in failures]
        out.append("")
    return "\n".join(out)


def _throughput(
    results: list[dict[str, Any]],
    sql: dict[tuple[str, str], dict[str, Any]],
    conf: dict[str, Any],
) -> list[str]:
    """Updates a second, Vanguard against the echo bot, with each command alone."""
    out = [
        f"**In-process, no rate limits**: {conf.get('updates')} updates pushed at once over "
        f"{conf.get('groups')} groups, Vanguard and the echo bot taking turns; "
        '"alone": one update at a time (its SQL statements counted)',
        "",
    ]
    rows = []
    for r in results:
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
    return out


def _fairness(results: list[dict[str, Any]]) -> list[str]:
    """Group B's /help while group A sends a burst, at Telegram's limits."""
    out = ["**Fairness** (production rate limiter, Telegram's limits enforced)", ""]
    rows = []
    for r in results:
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
    return out


def _data(results: list[dict[str, Any]]) -> list[str]:
    """Each command in a small group and in a thousand times bigger one."""
    out: list[str] = []
    first = next((r for r in results if not _failed(r)), None)
    if first is not None:
        out += [
            f"**Data ×{first['big_issues'] // max(1, first['small_issues'])}**: one group "
            f"with {first['small_issues']:,} issues vs one with {first['big_issues']:,} "
            "(with history and photos)"
            + (
                f", {first['small_signups']:,} vs {first['big_signups']:,} event sign-ups"
                if first.get("big_signups")
                else ""
            )
            + "; one command at a time",
            "",
        ]
    rows = []
    for r in results:
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
    return out


def _export(results: list[dict[str, Any]]) -> list[str]:
    """``/export issues`` of the big group: time, peak RSS, the other group meanwhile."""
    out = ["**`/export issues`** in the big group (a process of its own)", ""]
    rows = []
    for r in results:
        if _failed(r):
            continue
        rows.append(
            [
                r["database"],
                f"{r['issues']:,}",
                f"{r['ok']}/{r['runs']}",
                _seconds(r),
                fmt(r["peak_rss_mb"], 0),
                fmt(r["other_help_s"], 2),
                _errors(r),
            ]
        )
    out += _table(
        ["db", "issues", "ok", "seconds", "peak RSS MB", "other group /help s", "failure"],
        rows,
    )
    out.append("")
    return out


def _broadcast(results: list[dict[str, Any]]) -> list[str]:
    """A broadcast's time against the least Telegram's limits allow."""
    out = ["**Broadcast at Telegram's limits** (production rate limiter)", ""]
    rows = [
        [
            f"{r['private']:,} private + {r['groups']:,} groups",
            fmt(r["seconds"], 1),
            f"{r['minimum_s']:.0f}",
            fmt(r["ratio_to_minimum"], 2),
            fmt(r["r429"], 0),
            f"{r['delivered_min']:,}",
        ]
        for r in results
        if not _failed(r)
    ]
    out += _table(["messages", "seconds", "minimum s", "÷ minimum", "429s", "delivered"], rows)
    out.append("")
    return out


def _startup(results: list[dict[str, Any]]) -> list[str]:
    """Time to the first getUpdates and idle RSS, Vanguard and the echo bot."""
    out = ["**Start-up** (a process against the HTTP emulator)", ""]
    rows = []
    for r in results:
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
    return out


def _claims(results: list[dict[str, Any]]) -> list[str]:
    """Claims of one topic, one after another and all at once."""
    out = ["**Contended claims** (50 people, a 3-slot topic, storage only)", ""]
    rows = [
        [
            r["database"],
            fmt(r["sequential_ms"], 0),
            fmt(r["concurrent_ms"], 0),
            f"{r['ratio']:.2f}",
        ]
        for r in results
        if not _failed(r)
    ]
    out += _table(["db", "sequential ms", "concurrent ms", "concurrent ÷ sequential"], rows)
    out.append("")
    return out


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
        table.append(
            [
                r["database"],
                r["format"],
                f"{r['ok']}/{r['runs']}",
                _seconds(r),
                fmt(r["peak_rss_mb"], 0),
                fmt(r["document_mb"], 1),
                fmt(r["pictures"], 0) if r["format"] == "docx" else fmt(r["charts"], 0),
                fmt(r["other_help_max_s"], 2),
                "yes" if r["meets"] else "**no**",
                _errors(r),
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


def _morning(results: list[dict[str, Any]]) -> list[str]:
    """The morning with 1, 2 and 3 processes against the physical minimum."""
    out = ["**The morning with several processes on PostgreSQL** (production rate limiter)", ""]
    rows = []
    for r in results:
        if "seconds" not in r:
            continue
        rush, idle = r["help"]["rush"], r["help"]["idle"]
        rows.append(
            [
                f"{r['processes']}",
                f"{r['briefed']:,} of {r['groups']:,}",
                f"{r['seconds']:.1f} (min {r['minimum_s']:.1f})",
                f"{r['ratio_to_minimum']:.2f}",
                f"{r.get('all_written_s', '—')}",
                f"{r['r429']}",
                f"{rush['worst_s']} / {rush['median_s']}",
                f"{rush['answered']} of {rush['asked']}",
                f"{idle['worst_s']}",
                f"{r['load_peak']}",
            ]
        )
    head = ["processes", "briefed", "seconds", "÷ minimum", "written by s", "429s"]
    head.append("/help worst / median s")
    out += _table([*head, "answered", "idle /help s", "load"], rows)
    out.append("")
    return out
