"""An issue as the group's documents write it (inspections, registers and reports):
where it is — its road and stake range, or its shared location — and its status, a
duplicate saying which issue it repeats instead of "verified"."""

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


def status_text(t: Translator, issue: Issue, duplicate_of: int | None) -> str:
    """``已验收``, or for an issue closed as a duplicate ``重复（见 #3）``."""
    if issue.duplicate_of_id is not None and duplicate_of is not None:
        return t.plain("issue.status.duplicate", number=duplicate_of)
    return t.plain(f"issue.status.{issue.status}")
