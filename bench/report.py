"""The results as compact markdown tables (median, and min–max in brackets), each row
with the 1-minute load average it was measured at, each latency beside the echo bot's
(the anchor: the same scenario on the bare echo bot in the same run) and their ratio."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from bench.anchors import Anchors, anchored, fmt, load, median, num, over, times

Cells = Callable[[dict[str, Any]], list[str]]  # a result → its row's cells


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


def _in_ms(seconds: float | None) -> float | None:
    """Seconds as milliseconds (None stays None)."""
    return None if seconds is None else seconds * 1000


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _section(
    title: str,
    head: list[str],
    cells: Cells,
    results: list[dict[str, Any]],
) -> list[str]:
    """A titled table: a row of ``cells`` for each result that did not fail, with the
    load average it was measured at last."""
    rows = [[*cells(r), load(r)] for r in results if not _failed(r)]
    return [title, "", *_table([*head, "load"], rows), ""]


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
    anchors = Anchors.of(by_case)
    if "throughput" in by_case:
        sql = {(r["database"], r["command"]): r for r in by_case.get("sql_per_command", [])}
        out += _throughput(by_case["throughput"], sql, doc.get("settings", {}))
    sections: tuple[tuple[str, Callable[[list[dict[str, Any]], Anchors], list[str]]], ...] = (
        ("fairness", _fairness),
        ("flood", _flood),
        ("data_x1000", _data),
        ("export", _export),
        ("summary", _summary),
        ("broadcast", lambda rows, _: _section(*SIMPLE["broadcast"], rows)),
        ("startup", _startup),
        ("claims", lambda rows, _: _section(*SIMPLE["claims"], rows)),
        ("wall", lambda rows, _: _section(*SIMPLE["wall"], rows)),
        ("morning", _morning),
    )
    for case, section in sections:
        if case in by_case:
            out += section(by_case[case], anchors)
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
        '"alone": one update at a time (its SQL statements counted), the echo bot answering '
        "the same text in turn; each latency beside the echo bot's median, and the ratio",
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
                anchored(r["vanguard"]["p50_ms"], median(r["echo"]["p50_ms"]), 0),
                anchored(r["vanguard"]["p95_ms"], median(r["echo"]["p95_ms"]), 0),
                anchored(s.get("idle_latency_ms"), median(s.get("echo_idle_latency_ms"))),
                fmt(s.get("statements"), 0),
                load(r),
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
            "load",
        ],
        rows,
    )
    out.append("")
    return out


def _fairness(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """Group B's /help while group A sends a burst, at Telegram's limits, against the
    echo bot with ``AIORateLimiter`` in the same scenario."""
    head = ["db", "group A burst", "group B /help s", "echo bot's s", "÷ echo"]
    head += ["burst all answered in s", "getChatAdministrators", "429s (echo)"]
    return _section(
        "**Fairness** (production rate limiter, Telegram's limits enforced; the echo bot "
        "with python-telegram-bot's `AIORateLimiter()` in the same scenario)",
        head,
        _fairness_cells,
        results,
    )


def _fairness_cells(r: dict[str, Any]) -> list[str]:
    """One row of the fairness table."""
    echo = r.get("echo", {})

    def over_timeout(count: int) -> str:
        return f", {count} over {r['timeout_s']:.0f} s" if count else ""

    drained = r.get("burst_drained", len(r["rounds"])) == len(r["rounds"])
    return [
        r["database"],
        f"{r['burst']} commands from {r['burst_people']} people",
        fmt(r["b_help_latency_s"], 2) + over_timeout(r["b_timeouts"]),
        fmt(echo.get("b_help_latency_s"), 3) + over_timeout(echo.get("b_timeouts", 0)),
        times(r.get("b_help_vs_echo")),
        fmt(r["burst_seconds"], 1)
        + ("" if drained else f" ({r['burst_answered_min']}/{r['burst']} answered)"),
        fmt(r["get_chat_administrators"], 0),
        f"{fmt(r['r429'], 0)} / {fmt(echo.get('r429'), 0)}",
    ]


def _flood(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """Other groups' /help while one group floods the bot, against the echo bot with
    ``AIORateLimiter`` in the same scenario."""
    first = next((r for r in results if not _failed(r)), None)
    if first is None:
        return []
    head = ["db", "/help s", "not answered", "echo bot's /help s", "echo not answered"]
    head += ["÷ echo", "flood replies sent (echo)", "429s (echo)"]
    return _section(
        f"**Flood**: one group sends {first['commands']:,} commands at once; "
        f"{first['samples']} other groups each ask `/help` during it (one every "
        f"{first.get('every_s', 2):g} s); not answered: no reply within "
        f"{first['timeout_s']:.0f} s. The bot is stopped after the samples (the flood's "
        "replies would take an hour at 20 a minute). The echo bot with `AIORateLimiter()` "
        "in the same scenario",
        head,
        lambda r: [
            r["database"],
            fmt(r["vanguard"]["help_s"], 3),
            f"{r['vanguard']['not_answered']} of {r['vanguard']['asked']}",
            fmt(r["echo"]["help_s"], 3),
            f"{r['echo']['not_answered']} of {r['echo']['asked']}",
            times(r.get("help_vs_echo")),
            f"{fmt(r['vanguard']['flood_answered'], 0)} / {fmt(r['echo']['flood_answered'], 0)}",
            f"{fmt(r['vanguard']['r429'], 0)} / {fmt(r['echo']['r429'], 0)}",
        ],
        results,
    )


def _data(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """Each command in a small group and in a thousand times bigger one; the anchor:
    the echo bot's reply to one message alone, in process (the throughput case)."""
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
            + "; one command at a time; ÷ echo: the big group's time over the echo bot's "
            "reply to one message alone in this run",
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
                times(over(r["big"]["ms"], _in_ms(anchors.alone_s.get(r["database"])))),
                f"{fmt(r['small']['statements'], 0)} / {fmt(r['big']['statements'], 0)}",
                load(r),
            ]
        )
    head = ["db", "command", "small ms", "big ms", "big ÷ small", "÷ echo", "SQL small/big"]
    out += _table([*head, "load"], rows)
    out.append("")
    return out


def _export(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """``/export issues`` of the big group: time, peak RSS, the other group meanwhile
    (beside the echo bot's reply to one message alone)."""
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
                anchored(r["other_help_s"], anchors.alone_s.get(r["database"]), 2),
                _errors(r),
                load(r),
            ]
        )
    head = ["db", "issues", "ok", "seconds", "peak RSS MB", "other group /help s", "failure"]
    out += _table([*head, "load"], rows)
    out.append("")
    return out


def _broadcast(r: dict[str, Any]) -> list[str]:
    """A broadcast's time against the least Telegram's limits allow."""
    return [
        f"{r['private']:,} private + {r['groups']:,} groups",
        fmt(r["seconds"], 1),
        f"{r['minimum_s']:.0f}",
        fmt(r["ratio_to_minimum"], 2),
        fmt(r["r429"], 0),
        f"{r['delivered_min']:,}",
    ]


def _startup(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """Time to the first getUpdates and to the answer of a /help waiting at start, idle
    RSS and /help over HTTP, Vanguard and the echo bot."""
    out = ["**Start-up** (a process against the HTTP emulator; then `/help` in new groups)", ""]
    rows = []
    for r in results:
        if _failed(r):
            continue
        for who in ("vanguard", "echo"):
            ratio = f" ({times(r.get('help_vs_echo'))})" if who == "vanguard" else ""
            rows.append(
                [
                    who,
                    fmt(r[who]["start_s"], 2),
                    fmt(r[who].get("first_answer_s"), 2),
                    fmt(r[who]["idle_rss_mb"], 0),
                    fmt(r[who].get("help_ms"), 1) + ratio,
                    load(r),
                ]
            )
        if r.get("vanguard_first_start_s") is not None:
            first = f"{r['vanguard_first_start_s']:.2f}"
            rows.append(["vanguard, fresh database", first, "", "", "", load(r)])
    heads = ["bot", "to first getUpdates s", "to the answer of a /help sent before start s"]
    out += _table([*heads, "idle RSS MB", "/help ms (÷ echo)", "load"], rows)
    out.append("")
    return out


def _claims(r: dict[str, Any]) -> list[str]:
    """Claims of one topic, one after another and all at once."""
    return [
        r["database"],
        fmt(r["sequential_ms"], 0),
        fmt(r["concurrent_ms"], 0),
        f"{r['ratio']:.2f}",
    ]


def _summary(rows: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """The monthly report's table: each format's time, peak RSS, what the document
    holds, and the other group's /help meanwhile (beside the echo bot's reply to one
    message alone), against the requirement."""
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
                anchored(r["other_help_max_s"], anchors.alone_s.get(r["database"]), 2),
                "yes" if r["meets"] else "**no**",
                _errors(r),
                load(r),
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
            "load",
        ],
        table,
    )
    out.append("")
    return out


def _wall(r: dict[str, Any]) -> list[str]:
    """The wall page's HTTP time, small group against big (no echo-bot counterpart)."""
    return [
        r["database"],
        f"{r['small']['issues']:,} / {r['big']['issues']:,}",
        fmt(r["small_ms"], 1),
        fmt(r["big_ms"], 1),
        f"×{r['ratio']:.2f}" if r.get("ratio") else "—",
        f"{r['bytes'].get('small', 0):,} / {r['bytes'].get('big', 0):,}",
    ]


def _morning(results: list[dict[str, Any]], anchors: Anchors) -> list[str]:
    """The morning with 1, 2 and 3 processes against the physical minimum; the /help
    anchor: the echo bot's over HTTP (the start-up case)."""
    out = ["**The morning with several processes on PostgreSQL** (production rate limiter)", ""]
    rows = []
    for r in results:
        if "seconds" not in r:
            continue
        rush, idle = r["help"]["rush"], r["help"]["idle"]
        echo = anchors.http_s
        rows.append(
            [
                f"{r['processes']}",
                f"{r['briefed']:,} of {r['groups']:,}",
                f"{r['seconds']:.1f} (min {r['minimum_s']:.1f})",
                f"{r['ratio_to_minimum']:.2f}",
                f"{r.get('all_written_s', '—')}",
                f"{r['r429']}",
                f"{rush['worst_s']} / {rush['median_s']}",
                times(rush["median_s"] / echo if echo and rush["median_s"] else None),
                f"{rush['answered']} of {rush['asked']}",
                f"{idle['worst_s']}",
                f"{r['load_peak']}",
            ]
        )
    head = ["processes", "briefed", "seconds", "÷ minimum", "written by s", "429s"]
    head += ["/help worst / median s", "median ÷ echo", "answered", "idle /help s", "load"]
    out += _table(head, rows)
    if anchors.http_s is not None:
        out += ["", f"(the echo bot's `/help` over HTTP in this run: {num(anchors.http_s)} s)"]
    if any(r.get("alongside") for r in results):
        out += ["", "(a quick run: measured alongside the other cases, a smoke test only)"]
    out.append("")
    return out


# the tables that are a row per result: title, head (the load column comes last), cells
SIMPLE: dict[str, tuple[str, list[str], Cells]] = {
    "broadcast": (
        "**Broadcast at Telegram's limits** (production rate limiter)",
        ["messages", "seconds", "minimum s", "÷ minimum", "429s", "delivered"],
        _broadcast,
    ),
    "claims": (
        "**Contended claims** (50 people, a 3-slot topic, storage only)",
        ["db", "sequential ms", "concurrent ms", "concurrent ÷ sequential"],
        _claims,
    ),
    "wall": (
        "**The results wall's page** (HTTP GET; an echo bot has no page: no anchor)",
        ["db", "issues small / big", "small ms", "big ms", "big ÷ small", "bytes"],
        _wall,
    ),
}
