"""A road drawn as a horizontal strip along its stake numbers (K93 … K98), with a
marker per issue coloured by its status, or past a few hundred issues one marker a
kilometre sized by how many it holds. Pure geometry from :class:`storage.wall_reads.Strip`
to what the page's SVG draws; the server draws it, the browser runs no script."""

from __future__ import annotations

import math
from dataclasses import dataclass

from domain.roads import format_stake
from handlers.i18n import Translator
from storage.wall_reads import Strip

WIDTH = 1000  # the SVG's user units across
MARGIN = 40
HEIGHT = 120  # … and down: the road at ROAD_Y, the kilometre labels under it
ROAD_Y = 50
TICK_Y = 108
TICKS = 8  # at most this many kilometre labels (legible on a phone)
GEOMETRY = {"width": WIDTH, "height": HEIGHT, "margin": MARGIN, "road_y": ROAD_Y, "tick_y": TICK_Y}


@dataclass(frozen=True)
class Dot:
    """One marker: where, its status (its colour), size and what it says on hover."""

    x: float
    status: str
    r: float
    label: str
    bucket: bool = False  # the issues of one kilometre, not one issue


@dataclass(frozen=True)
class Tick:
    """A kilometre mark under the strip."""

    x: float
    label: str


@dataclass(frozen=True)
class Drawn:
    """A road ready to draw."""

    road: str
    dots: list[Dot]
    ticks: list[Tick]
    counts: dict[str, int]
    total: int


def draw(t: Translator, strip: Strip) -> Drawn:
    """Place the road's markers and kilometre marks along the strip."""
    stakes = [m.stake for m in strip.markers] or [0]
    first_km = min(stakes) // 1000
    span_km = max(1, max(stakes) // 1000 + 1 - first_km)
    inner = WIDTH - 2 * MARGIN

    def x_of(metres: int) -> float:
        return round(MARGIN + (metres - first_km * 1000) / (span_km * 1000) * inner, 1)

    step = max(1, math.ceil(span_km / TICKS))
    ticks = [
        Tick(x_of(km * 1000), f"K{km}") for km in range(first_km, first_km + span_km + 1, step)
    ]
    dots = []
    for marker in strip.markers:
        status = t.plain(f"issue.status.{marker.status}")
        if marker.number is not None:
            label = f"#{marker.number} {strip.road} {format_stake(marker.stake)} {status}"
            radius = 7.0
        else:
            km = str(marker.km) if marker.width == 1 else f"{marker.km}–K{marker.km + marker.width}"
            counts = " · ".join(f"{t.plain(f'issue.status.{s}')} {n}" for s, n in marker.statuses)
            label = t.plain(
                "web.strip.bucket", road=strip.road, km=km, count=marker.count, statuses=counts
            )
            radius = round(5 + min(11.0, math.sqrt(marker.count)), 1)
        dots.append(Dot(x_of(marker.stake), marker.status, radius, label, marker.number is None))
    return Drawn(strip.road, dots, ticks, dict(strip.counts), strip.total)
