"""What a measurement records: a spread of values, a percentile, a failure, the load
average it was measured at."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
from collections.abc import Sequence
from types import TracebackType
from typing import Any


def spread(values: Sequence[float], digits: int = 4) -> dict[str, Any]:
    """Median, min, max and the quartiles of ``values`` (empty: only ``n``)."""
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    if len(ordered) > 1:
        q1, _, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    else:
        q1 = q3 = ordered[0]
    return {
        "n": len(ordered),
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "q1": round(q1, digits),
        "q3": round(q3, digits),
    }


def ratio(ours: dict[str, Any], anchor: dict[str, Any], digits: int = 2) -> float | None:
    """The median of one spread over another's (e.g. Vanguard's latency over the echo
    bot's); None when either is empty or the anchor's median is 0."""
    if not ours.get("n") or not anchor.get("n") or not anchor["median"]:
        return None
    return round(float(ours["median"]) / float(anchor["median"]), digits)


def percentile(values: Sequence[float], share: float) -> float:
    """The ``share`` (0–1) percentile of ``values``, nearest rank."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def outcome(error: BaseException) -> dict[str, Any]:
    """A failed or timed-out measurement as a result."""
    if isinstance(error, TimeoutError):
        return {"status": "timeout"}
    return {"status": "failed", "error": f"{type(error).__name__}: {str(error)[:300]}"}


def load1() -> float:
    """The 1-minute load average (the first field of /proc/loadavg)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as loadavg:
            return float(loadavg.read().split()[0])
    except (OSError, ValueError, IndexError):
        return os.getloadavg()[0]


class LoadWatch:
    """The 1-minute load average while a figure is measured: read on entering, every
    ``every`` seconds and on leaving (``async with LoadWatch() as load: …``)."""

    def __init__(self, every: float = 2.0) -> None:
        """Nothing read yet."""
        self.every = every
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoadWatch:
        """Read it now, then every ``every`` seconds in the background."""
        self.samples.append(load1())
        self._task = asyncio.create_task(self._sample(), name="bench-load")
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Stop reading it; read it a last time."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.samples.append(load1())

    async def _sample(self) -> None:
        """Read it every ``every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.every)
            self.samples.append(load1())

    def figure(self) -> dict[str, Any]:
        """The spread of what was read (median, min, max …)."""
        return spread(self.samples, 2)
