"""What a measurement records: a spread of values, a percentile, a failure."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
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
