"""Positions on the earth: what a valid one is. Pure functions, no I/O."""

from __future__ import annotations

import math


def valid_position(latitude: float, longitude: float) -> bool:
    """Whether (latitude, longitude) is a place on the earth: finite, latitude within
    ±90°, longitude within ±180°."""
    return (
        math.isfinite(latitude)
        and math.isfinite(longitude)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    )
