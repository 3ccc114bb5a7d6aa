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


EARTH_RADIUS_M = 6_371_008.8  # the mean radius (IUGG): haversine needs no ellipsoid


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance in metres between two positions (haversine); within a
    few tenths of a percent of the geodesic, which a check-in radius does not notice."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))
