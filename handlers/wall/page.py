"""The results wall as a web page: what a group's page shows, read in one bounded read
transaction, and rendered to HTML by Jinja2 with every value escaped (autoescape on,
undefined names an error). The same templates make the served page (photos through
signed URLs), the printed poster (A3) and the self-contained file of ``make demo``
(photos inlined)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from domain.calendar import Month
from domain.events import hours_text
from domain.kinds import IssueStatus
from handlers.i18n import Translator
from handlers.issue_lines import place_of
from handlers.wall.strip import GEOMETRY, Drawn, draw
from storage import wall_reads
from storage.hours import BoardLine
from storage.issue_reads import IssueCounts, IssueDetail, counts
from storage.models import Group, Issue, Member, Photo
from storage.summary_issues import verified_pairs
from storage.topics import RatingSummary

if TYPE_CHECKING:
    from jinja2 import Environment

MAX_GROUPS = 50  # a person's groups offered a wall (the Mini App's list, private /wall)
PAIRS = 6  # issues verified this month shown with their photos
CLIP = 600  # characters of a result's text on the page
PhotoSource = Callable[[Photo], str]  # a photo → the src of its <img>


def _asset(name: str) -> str:
    return resources.files("handlers.wall").joinpath("static", name).read_text("utf-8")


CSS = _asset("wall.css")
SCRIPT = _asset("app.js")


def csp_hash(text: str) -> str:
    """A CSP source for one inline ``<style>`` or ``<script>`` with exactly this text."""
    digest = hashlib.sha256(text.encode()).digest()
    return f"'sha256-{base64.b64encode(digest).decode()}'"


@dataclass
class WallPage:
    """Everything on a group's page."""

    group: Group
    month: Month
    today: date
    done: int
    results: list[wall_reads.Result]
    ongoing: list[wall_reads.Ongoing]
    counts: IssueCounts
    strips: list[Drawn]
    pairs: list[IssueDetail]
    activities: list[wall_reads.Activity]
    board: list[BoardLine]


async def read_page(
    session: AsyncSession, t: Translator, group: Group, now: datetime, *, poster: bool = False
) -> WallPage:
    """The group's page as of ``now`` (the poster: its results only)."""
    month = Month.containing(now, group.timezone)
    today = now.astimezone(ZoneInfo(group.timezone)).date()
    results = await wall_reads.results(session, group.id, 12 if poster else wall_reads.RESULTS)
    done = await wall_reads.done_count(session, group.id)
    if poster:
        return WallPage(
            group, month, today, done, results, [], IssueCounts(0, 0, 0, 0), [], [], [], []
        )
    return WallPage(
        group,
        month,
        today,
        done,
        results,
        await wall_reads.ongoing(session, group.id),
        await counts(session, group.id, today),
        [draw(t, s) for s in await wall_reads.strips(session, group.id)],
        await verified_pairs(session, group.id, month, PAIRS),
        await wall_reads.activities(session, group.id, month),
        await wall_reads.hours_board(session, group.id, month, now),
    )


@cache
def _environment() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("handlers.wall", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def person(t: Translator, member: Member) -> str:
    """A person as the page names them: the name the group knows, never a user id."""
    if member.real_name:
        return member.real_name
    name = member.display_name
    return t.plain("web.someone") if name == str(member.user_id) else name


def clip(text: str, limit: int = CLIP) -> str:
    """At most ``limit`` characters of a person's text, with … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def helpers(t: Translator, group: Group, today: date, photo: PhotoSource) -> dict[str, Any]:
    """What the templates may call: the translator, names, dates, photos."""
    zone = ZoneInfo(group.timezone)

    def names(people: list[Member]) -> str:
        return t.plain("list.separator").join(person(t, m) for m in people) or "—"

    def rating(summary: RatingSummary) -> str:
        if not summary.count:
            return t.plain("web.no_rating")
        return t.plain("web.rating", average=f"{summary.average:.1f}", count=summary.count)

    def days_left(due: date | None) -> int | None:
        return None if due is None else (due - today).days

    return {
        "tr": t.plain,
        "names": names,
        "name": lambda member: person(t, member),
        "rating": rating,
        "day": lambda moment: moment.astimezone(zone).date().isoformat() if moment else "",
        "when": lambda moment: moment.astimezone(zone).strftime("%m-%d %H:%M"),
        "days_left": days_left,
        "hours": lambda minutes: t.plain("web.board.hours", hours=hours_text(minutes)),
        "place": lambda issue: str(place_of(issue)) if isinstance(issue, Issue) else "",
        "clip": clip,
        "photo": photo,
        "statuses": [s.value for s in IssueStatus],
        "lang": _lang(t),
        "css": _markup(CSS),
    }


def _markup(text: str) -> Any:
    from markupsafe import Markup

    return Markup(text)  # our own stylesheet or script, never a person's text


def _lang(t: Translator) -> str:
    """The page's ``lang``: Simplified Chinese for zh."""
    return "zh-Hans" if t.language == "zh" else t.language


def _render(template: str, t: Translator, page: WallPage, photo: PhotoSource, **extra: Any) -> str:
    """A template of the group's wall (the page or the poster) with its helpers."""
    return str(
        _environment()
        .get_template(template)
        .render(
            **helpers(t, page.group, page.today, photo),
            group=page.group,
            data=page,
            today=page.today.isoformat(),
            month_name=t.plain("web.month", year=page.month.year, month=page.month.month),
            **extra,
        )
    )


def render_page(
    t: Translator,
    page: WallPage,
    photo: PhotoSource,
    *,
    print_href: str | None = None,
    offline: bool = False,
) -> str:
    """The group's wall page (``offline``: a file of its own, which may fetch nothing)."""
    return _render(
        "wall.html", t, page, photo, print_href=print_href, offline=offline, strip=GEOMETRY
    )


def render_poster(
    t: Translator, page: WallPage, photo: PhotoSource, link: str | None, *, offline: bool = False
) -> str:
    """The poster: up to 12 results on one A3 page, with a QR code of the page's link
    (``offline``: a file of its own, which may fetch nothing)."""
    qr = None
    if link:
        import segno

        qr = _markup(segno.make(link, error="m").svg_inline(scale=4, border=2, omitsize=True))
    return _render("poster.html", t, page, photo, qr=qr, offline=offline)


def render_message(
    t: Translator, heading: str, text: str, groups: list[tuple[str, str]] | None = None
) -> str:
    """A page that only says something: a refused link, the Mini App's list of groups."""
    return str(
        _environment()
        .get_template("message.html")
        .render(
            tr=t.plain,
            lang=_lang(t),
            css=_markup(CSS),
            heading=heading,
            text=text,
            groups=groups or [],
        )
    )


def render_app(t: Translator, action: str) -> str:
    """The Mini App's first page: its script posts Telegram's initData to ``action``."""
    return str(
        _environment()
        .get_template("app.html")
        .render(
            lang=_lang(t),
            css=_markup(CSS),
            script=_markup(SCRIPT),
            heading=t.plain("web.app.title"),
            loading=t.plain("web.app.loading"),
            outside=t.plain("web.app.outside"),
            action=action,
        )
    )
