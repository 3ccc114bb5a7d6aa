"""An event in one line, as every list, briefing and reminder writes it: its icon and
type, when it happens in the group's time zone, its count."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from handlers.i18n import Html, Translator
from storage.models import Event, Group

TYPE_ICONS = {
    "lesson": "📕",
    "talk": "💬",
    "study": "📚",
    "volunteer": "🤝",
    "visit": "🏛",
    "meeting": "🗳",
}


def type_text(t: Translator, kind: str) -> str:
    """The event type's name: 志愿服务, party lesson, …"""
    return t.plain(f"event.type.{kind}")


def local_time(moment: datetime, group: Group) -> datetime:
    """``moment`` in the group's time zone."""
    return moment.astimezone(ZoneInfo(group.timezone))


def when_text(t: Translator, group: Group, event: Event) -> str:
    """``2026-03-12 周四 09:00–11:30`` in the group's time zone."""
    start, end = local_time(event.starts_at, group), local_time(event.ends_at, group)
    weekday = t.plain(f"weekday.{start.weekday()}")
    text = f"{start:%Y-%m-%d} {weekday} {start:%H:%M}"
    if event.end_given:
        text += f"–{end:%H:%M}" if end.date() == start.date() else f" – {end:%Y-%m-%d %H:%M}"
    return text


def counts_text(t: Translator, event: Event) -> Html:
    """``已报名 5/12 · 候补 1`` (no limit: ``已报名 5``)."""
    if event.cap is None:
        text = t("event.count_open", joined=event.joined_count)
    else:
        text = t("event.count_cap", joined=event.joined_count, cap=event.cap)
    if event.waiting_count:
        text = Html(text + t("event.count_waiting", waiting=event.waiting_count))
    return text


def list_line(t: Translator, group: Group, event: Event, attended: int | None = None) -> Html:
    """One event in /events: number, type, title, when, count (past: attendance), and
    补录 for an activity recorded after the fact."""
    if attended is None:
        count = counts_text(t, event)
    else:
        count = t("event.attended", attended=attended, joined=event.joined_count)
    if event.recorded:
        count = Html(count + t("event.recorded_mark"))
    return t(
        "event.line",
        icon=TYPE_ICONS.get(event.kind, "📌"),
        number=event.number,
        title=event.title,
        when=when_text(t, group, event),
        count=count,
    )
