"""Inspections — what the group sees: a list line, one issue in full, possible
duplicates, places. Pure functions from data to localised Telegram HTML."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from domain.roads import gap_metres
from handlers.common import fit
from handlers.i18n import Html, Translator
from handlers.issue_lines import place_of, status_text, where_text
from storage import issues as store
from storage.issue_reads import IssueDetail
from storage.models import Group, Issue, Member

STATUS_ICONS = {"open": "🔴", "assigned": "🟠", "fixed": "🟢", "verified": "✅"}


LIST_LINE = 180  # visible characters of one line of the list


def issue_line(t: Translator, issue: Issue, people: dict[int, Member], today: date) -> Html:
    """One issue in the list."""
    assignee = people.get(issue.assignee_id or 0)
    extra = ""
    if assignee is not None and issue.status in store.UNRESOLVED:
        extra += t.plain("issue.line_assignee", who=assignee.display_name)
    if issue.deadline and issue.status in store.UNRESOLVED:
        key = "issue.line_overdue" if issue.deadline < today else "issue.line_deadline"
        extra += t.plain(key, date=issue.deadline.isoformat())
    line = t(
        "issue.line",
        icon=STATUS_ICONS[issue.status],
        number=issue.number,
        where=where_text(t, issue),
        category=t.plain(f"issue.category.{issue.category}"),
        severity=issue.severity,
        text=issue.description[:60],
        extra=extra,
    )
    # a page of PAGE_SIZE lines must fit one message, whatever the names and texts
    return fit(line, LIST_LINE)


def duplicates_text(t: Translator, issue: Issue, nearby: list[Issue]) -> str:
    """ "May be the same as #m (S272 K93+500, 20 m away)" lines."""
    lines = []
    for other in nearby:
        gap = gap_metres(place_of(issue), place_of(other))
        lines.append(
            t(
                "issue.possible_duplicate",
                number=other.number,
                where=str(place_of(other)),
                metres=gap if gap is not None else 0,
            )
        )
    return "\n".join(lines)


def _name(people: dict[int, Member], user_id: int | None) -> str:
    member = people.get(user_id or 0)
    return member.display_name if member else ""


def render_issue(t: Translator, group: Group, detail: IssueDetail) -> list[str]:
    """/issue n: place, category, status, description, reporter, assignee and deadline,
    duplicate, and the history (the photos follow as albums)."""
    issue, people = detail.issue, detail.people
    lines: list[str] = [
        t(
            "issue.head",
            icon=STATUS_ICONS[issue.status],
            number=issue.number,
            where=where_text(t, issue),
        ),
        t(
            "issue.fields",
            category=t.plain(f"issue.category.{issue.category}"),
            severity=issue.severity,
            status=status_text(t, issue, detail.duplicate_of),
        ),
        t("issue.description", text=issue.description),
        t("issue.reporter", who=_name(people, issue.reporter_id)),
    ]
    if issue.assignee_id:
        deadline = issue.deadline.isoformat() if issue.deadline else "—"
        lines.append(t("issue.assignee", who=_name(people, issue.assignee_id), deadline=deadline))
    if detail.duplicate_of:
        lines.append(t("issue.duplicate_of", number=detail.duplicate_of))
    lines.append(t("issue.history"))
    zone = ZoneInfo(group.timezone)
    for event in detail.events:
        lines.append(
            t(
                "issue.history_line",
                when=event.at.astimezone(zone).strftime("%m-%d %H:%M"),
                who=_name(people, event.actor_id),
                what=t.plain(f"issue.event.{event.kind}", subject=_name(people, event.subject_id)),
                note=f" — {event.note}" if event.note else "",
            )
        )
    return lines
