"""Topics — what the group sees: the list, one topic in full, ratings and the results
wall. Pure functions from data to localised Telegram HTML; no Telegram calls."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from domain.kinds import TopicEventKind, TopicStatus
from domain.parsing import (
    progress_bar,
)
from handlers.common import split_message
from handlers.i18n import Html, Translator
from storage.models import Group, Member, Topic
from storage.topic_reads import TopicDetail
from storage.topics import RatingSummary

STATUS_ICONS = {"open": "🟢", "claimed": "🔨", "review": "⭐", "done": "🏆"}


def names(t: Translator, people: list[Member]) -> str:
    """``张工、李四`` (or a dash when nobody)."""
    return t.plain("list.separator").join(p.display_name for p in people) or "—"


def local(moment: datetime, group: Group) -> datetime:
    """A UTC moment in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone))


def today(inv_group: Group, now: datetime) -> date:
    """Today's date in the group."""
    return local(now, inv_group).date()


def rating_text(t: Translator, summary: RatingSummary) -> Html:
    """``★ 4.3（3 人）`` or "not rated yet"."""
    if not summary.count:
        return t("topic.no_ratings")
    return t("topic.rating", average=f"{summary.average:.1f}", count=summary.count)


def status_text(t: Translator, status: str) -> str:
    """The localised status name."""
    return t.plain(f"topic.status.{status}")


def render_list(
    t: Translator,
    topics: list[Topic],
    people: dict[int, list[Member]],
    ratings: dict[int, RatingSummary],
) -> list[Html]:
    """/topics: by status (open, claimed, in review, done), each with who holds it,
    progress, rating or due date."""
    if not topics:
        return [t("topics.empty")]
    lines: list[str] = [t("topics.title", count=len(topics))]
    current = ""
    for topic in topics:
        if topic.status != current:
            current = topic.status
            lines.append(
                t("topics.section", icon=STATUS_ICONS[current], status=status_text(t, current))
            )
        lines.append(_list_line(t, topic, people, ratings))
    return split_message(lines)


def _list_line(
    t: Translator,
    topic: Topic,
    people: dict[int, list[Member]],
    ratings: dict[int, RatingSummary],
) -> Html:
    detail = t(
        "topics.line",
        number=topic.number,
        title=topic.title,
        taken=topic.claimed_count,
        slots=topic.slots,
        who=names(t, people.get(topic.id, [])),
    )
    if topic.status == "claimed":
        detail = Html(detail + " " + progress_bar(topic.progress))
    if topic.status == "review":
        detail = Html(detail + " " + rating_text(t, ratings.get(topic.id, RatingSummary())))
    if topic.due_on and topic.status in ("open", "claimed"):
        detail = Html(detail + t("topics.due", date=topic.due_on.isoformat()))
    return detail


def render_detail(t: Translator, group: Group, detail: TopicDetail, now: datetime) -> list[Html]:
    """/topic n: description, claimants, progress bar, milestones, progress log, result,
    rating and history, split into as many messages as it takes."""
    topic = detail.topic
    lines: list[str] = [
        t("topic.head", icon=STATUS_ICONS[topic.status], number=topic.number, title=topic.title),
        t(
            "topic.status_line",
            status=status_text(t, topic.status),
            taken=topic.claimed_count,
            slots=topic.slots,
        ),
    ]
    if topic.due_on:
        lines.append(t("topic.due_line", date=topic.due_on.isoformat()))
    if topic.description:
        lines.append(t("topic.description", text=topic.description))
    lines.append(t("topic.claimants", who=names(t, detail.claimants)))
    lines.append(t("topic.progress_line", bar=progress_bar(topic.progress)))
    lines += milestone_lines(t, detail, today(group, now))
    lines += progress_lines(t, group, detail)
    if topic.result:
        lines.append(t("topic.result", text=topic.result))
        lines.append(rating_text(t, detail.rating))
    lines += history_lines(t, group, detail)
    return split_message(lines)


def milestone_lines(t: Translator, detail: TopicDetail, day: date) -> list[str]:
    """The dated steps: ✔ done, ⚠️ overdue, ⏳ to come, ○ left behind by a result."""
    if not detail.milestones:
        return []
    lines: list[str] = [t("topic.milestones")]
    for milestone in detail.milestones:
        when = ""
        if milestone.done_at:
            mark = "✔"
        elif detail.topic.status in (TopicStatus.REVIEW, TopicStatus.DONE):
            mark = "○"  # the topic moved on without this step being marked done
        elif milestone.due_on < day:
            mark = "⚠️"
            when = t.plain("topic.overdue", days=(day - milestone.due_on).days)
        else:
            mark = "⏳"
            when = t.plain("topic.due_in", days=(milestone.due_on - day).days)
        date_text = milestone.due_on.isoformat()
        lines.append(
            t("topic.milestone_line", mark=mark, date=date_text, text=milestone.text, when=when)
        )
    return lines


def progress_lines(t: Translator, group: Group, detail: TopicDetail) -> list[str]:
    """The progress log: when, who, how far, the note and how many photos."""
    progress = [e for e in detail.events if e.kind == TopicEventKind.PROGRESS]
    if not progress:
        return []
    lines: list[str] = [t("topic.progress_log")]
    for event in progress:
        shown = len(detail.photos.get(event.id, []))
        lines.append(
            t(
                "topic.progress_entry",
                when=local(event.at, group).strftime("%m-%d"),
                who=_person(detail, event.actor_id),
                percent=event.progress or 0,
                note=event.note,
                photos=t.plain("topic.photo_count", count=shown) if shown else "",
            )
        )
    return lines


def history_lines(t: Translator, group: Group, detail: TopicDetail) -> list[str]:
    """Every step of the topic's life, oldest first."""
    lines: list[str] = [t("topic.history")]
    for event in detail.events:
        subject = _person(detail, event.subject_id) if event.subject_id else ""
        shows_note = event.note and event.kind != TopicEventKind.PROGRESS
        lines.append(
            t(
                "topic.history_line",
                when=local(event.at, group).strftime("%m-%d %H:%M"),
                who=_person(detail, event.actor_id),
                what=t.plain(f"topic.event.{event.kind}", subject=subject),
                note=f" — {event.note}" if shows_note else "",
            )
        )
    return lines


def _person(detail: TopicDetail, user_id: int | None) -> str:
    member = detail.people.get(user_id or 0)
    return member.display_name if member else str(user_id)
