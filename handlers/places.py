"""Where, as people write it: an issue's road and stake range, or its shared location
(inspections, registers and reports)."""

from __future__ import annotations

from domain.roads import RoadPlace
from handlers.i18n import Translator
from storage.models import Issue


def place_of(issue: Issue) -> RoadPlace:
    """The issue's road and stake range."""
    return RoadPlace(issue.road or "", issue.stake_from, issue.stake_to)


def where_text(t: Translator, issue: Issue) -> str:
    """``S272 K93+520`` or the shared location, or "no place given"."""
    place = str(place_of(issue))
    if place:
        return place
    if issue.latitude is not None and issue.longitude is not None:
        return f"📍{issue.latitude:.5f},{issue.longitude:.5f}"
    return t.plain("issue.no_place")


