"""Table cells: a spread, a latency beside the echo bot's (its anchor) with their ratio,
the load average a figure was measured at; and the echo bot's figures that anchor the
cases it cannot play itself (:class:`Anchors`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def fmt(stats: dict[str, Any] | None, digits: int = 1) -> str:
    """``median (min–max)`` of a spread, or a dash."""
    if not stats or not stats.get("n"):
        return "—"
    median, low, high = stats["median"], stats["min"], stats["max"]
    if stats["n"] == 1 or low == high:
        return f"{median:,.{digits}f}"
    return f"{median:,.{digits}f} ({low:,.{digits}f}–{high:,.{digits}f})"


def num(value: float) -> str:
    """A number short and readable whatever its size (0.0012, 0.088, 2.8, 94.3, 1,830)."""
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2g}" if value < 1 else f"{value:.3g}"


def times(value: float | None) -> str:
    """A ratio as ``×7.8`` or ``×88`` (a dash if there is none)."""
    if value is None:
        return "—"
    return f"×{value:.1f}" if value < 10 else f"×{value:,.0f}"


def over(ours: dict[str, Any] | None, anchor: float | None) -> float | None:
    """Our median over an anchor's (None without either)."""
    if not ours or not ours.get("n") or not anchor:
        return None
    return float(ours["median"]) / anchor


def anchored(ours: dict[str, Any] | None, echo: float | None, digits: int = 1) -> str:
    """Our figure, then the echo bot's median and the ratio: ``94 (70–118) · echo 12 ×7.8``."""
    if echo is None:
        return fmt(ours, digits) + " · echo —"
    return f"{fmt(ours, digits)} · echo {num(echo)} {times(over(ours, echo))}"


def median(stats: dict[str, Any] | None) -> float | None:
    """The median of a spread (None if empty)."""
    return float(stats["median"]) if stats and stats.get("n") else None


def load(row: dict[str, Any]) -> str:
    """The 1-minute load average a row was measured at: median (min–max)."""
    return fmt(row.get("load"), 1)


@dataclass
class Anchors:
    """The echo bot's figures that anchor the latencies of cases it cannot play itself:
    its ``/help`` alone in process (by database run, from the throughput case, seconds)
    and over HTTP (from the start-up case, seconds)."""

    alone_s: dict[str, float] = field(default_factory=dict)
    http_s: float | None = None

    @classmethod
    def of(cls, by_case: dict[str, list[dict[str, Any]]]) -> Anchors:
        """Find them in the results (missing when their case did not run)."""
        found = cls()
        for r in by_case.get("sql_per_command", []):
            echo = median(r.get("echo_idle_latency_ms"))
            if r.get("command") == "/help" and echo is not None:
                found.alone_s[r["database"]] = echo / 1000
        for r in by_case.get("startup", []):
            echo = median(r.get("echo", {}).get("help_ms"))
            if echo is not None:
                found.http_s = echo / 1000
        return found
