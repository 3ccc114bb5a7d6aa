"""General — what people see: /help (short in a group, full in private, one section
or one command), the roster, a profile, the group's settings. Pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from domain.events import hours_text
from domain.holiday_sources import Source
from domain.workdays import WorkCalendar
from handlers.commands import SECTIONS, CommandSpec, visible
from handlers.common import (
    split_message,
)
from handlers.days import calendar_note
from handlers.i18n import Html, Translator, language_from_code
from storage.issue_roster import Held
from storage.models import Group, Member, Membership

SECTION_WORDS = {
    "general": ("general", "通用", "常用"),
    "topics": ("topics", "领题", "领题解题", "题目"),
    "inspections": ("inspections", "issues", "问题", "自查", "自查问题", "巡查"),
    "events": ("events", "活动", "志愿", "志愿服务", "签到"),
}


def help_text(t: Translator, table: Sequence[CommandSpec], chat: str, admin: bool) -> Html:
    """The commands this person may use here, one line each (private chat's /help)."""
    lines: list[str] = [t("help.title_group" if chat == "group" else "help.title_private")]
    lines += help_lines(t, visible(table, "group" if chat == "group" else "private", admin))
    if chat == "group":  # the private chat's own help has nothing to send elsewhere
        lines.append(t("help.private_hint"))
    return Html("\n".join(lines))


def help_lines(t: Translator, specs: Sequence[CommandSpec], marked: bool = False) -> list[str]:
    """One usage line and description per command (``marked``: where and who)."""
    lines: list[str] = []
    section = "general"
    for spec in specs:
        if spec.section != section:
            section = spec.section
            lines.append(t(f"help.section.{section}"))
        text = t(spec.description_key)
        if marked and (spec.admin or spec.where != "any"):
            where = t.plain("help.where_admin" if spec.admin else f"help.where_{spec.where}")
            text = Html(f"{text} {t('help.marker', where=where)}")
        lines.append(t("help.line", usage=Html(t(spec.usage_key)), text=text))
    return lines


def short_help(t: Translator, table: Sequence[CommandSpec], admin: bool) -> Html:
    """A group's /help: the names of the commands this person may use, a line per
    section, and how to read more (the full help is in the private chat)."""
    lines = [t("help.title_group")]
    by_section: dict[str, list[str]] = {}
    for spec in visible(table, "group", admin):
        by_section.setdefault(spec.section, []).append(f"/{spec.name}")
    for section, names in by_section.items():
        lines.append(
            t("help.short_line", section=t.plain(f"help.name.{section}"), names=" ".join(names))
        )
    lines.append(t("help.short_hint"))
    return Html("\n".join(lines))


def full_help(t: Translator, table: Sequence[CommandSpec], section: str | None = None) -> Html:
    """Every command (or one section's), with its usage and where and by whom it is used."""
    specs = [s for s in visible(table, "group", True) if section in (None, s.section)]
    specs += [
        s for s in table if s.where == "private" and section in (None, s.section) and s not in specs
    ]
    specs.sort(key=lambda s: SECTIONS.index(s.section))
    return Html("\n".join([t("help.title_full"), *help_lines(t, specs, marked=True)]))


def help_topic(table: Sequence[CommandSpec], word: str) -> str | CommandSpec | None:
    """What ``/help <word>`` asks about: a section name, a command, or nothing known."""
    lowered = word.lower().lstrip("/")
    for section, words in SECTION_WORDS.items():
        if lowered in words:
            return section
    return next((s for s in table if s.name == lowered), None)


ROLE_ICONS = {"creator": "👑", "admin": "⭐", "member": "·"}


def render_roster(
    t: Translator,
    rows: list[tuple[Member, Membership]],
    topics: dict[int, list[int]] | None = None,
    issues: dict[int, Held] | None = None,
    minutes: dict[int, int] | None = None,
) -> list[Html]:
    """The roster as one or more messages (each under Telegram's 4096 characters): role,
    the topics each person holds, the issues assigned to them (the lowest numbers, and
    how many in all where there are more), their volunteer hours."""
    lines = [t("members.title", count=len(rows))]
    for member, membership in rows:
        handle = f" @{member.username}" if member.username else ""
        held = (topics or {}).get(member.user_id, [])
        line = t(
            "members.line",
            icon=ROLE_ICONS.get(membership.role, "·"),
            name=member.display_name,
            handle=handle,
            role=t.plain(f"role.{membership.role}"),
        )
        if held:
            line = Html(line + t("members.topics", numbers=" ".join(f"#{n}" for n in held)))
        assigned = (issues or {}).get(member.user_id)
        if assigned is not None and assigned.total:
            numbers = " ".join(f"#{n}" for n in assigned.numbers)
            more = assigned.total > len(assigned.numbers)
            key = "members.issues_more" if more else "members.issues"
            line = Html(line + t(key, numbers=numbers, count=assigned.total))
        spent = (minutes or {}).get(member.user_id, 0)
        if spent:
            line = Html(line + t("members.hours", hours=hours_text(spent)))
        lines.append(line)
    return split_message(lines)


def party_years(joined: date, today: date) -> int:
    """Completed years since ``joined`` (党龄)."""
    years = today.year - joined.year
    if (today.month, today.day) < (joined.month, joined.day):
        years -= 1
    return max(years, 0)


def render_profile(t: Translator, member: Member, groups: list[Group], today: date) -> Html:
    """The person's profile as they see it."""
    joined = member.party_joined_on
    if joined is None:
        joined_text = t("profile.joined_unset")
    else:
        joined_text = t(
            "profile.joined_value",
            date=joined.isoformat(),
            years=party_years(joined, today),
            month=joined.month,
            day=joined.day,
        )
    return t(
        "profile.show",
        name=member.real_name or t.plain("profile.name_unset", telegram=member.display_name),
        joined=joined_text,
        language=t.plain(f"language.{language_from_code(member.language_code)}"),
        groups=t.plain("list.separator").join(g.title for g in groups)
        or t.plain("profile.no_groups"),
    )


def render_settings(t: Translator, group: Group, today: date, calendar: WorkCalendar) -> Html:
    """The four settings of the group, how to change them, and (from November) a
    warning while next year's makeup working days are unknown."""
    shown = t(
        "settings.show",
        briefing=group.briefing_time.strftime("%H:%M"),
        timezone=group.timezone,
        language=t.plain(f"language.{group.language}"),
        workdays=t.plain("settings.on" if group.workdays_only else "settings.off"),
    )
    note = calendar_note(t, group, today, calendar)
    return Html(f"{shown}\n\n{note}") if note else shown


def _runs(days: list[tuple[date, bool, Source]]) -> list[tuple[date, date, bool, Source]]:
    """Consecutive days with the same answer from the same source, as runs."""
    runs: list[tuple[date, date, bool, Source]] = []
    for day, worked, source in days:
        if runs:
            first, last, was_worked, was_source = runs[-1]
            if last + timedelta(days=1) == day and (was_worked, was_source) == (worked, source):
                runs[-1] = (first, day, worked, source)
                continue
        runs.append((day, day, worked, source))
    return runs


def render_holidays(t: Translator, year: int, days: list[tuple[date, bool, Source]]) -> list[str]:
    """``/settings holidays``: the year's days off and makeup working days, runs of days
    together, each with where it comes from; how to correct them."""
    lines: list[str] = [t("calendar.title", year=year)]
    for first, last, worked, source in _runs(days):
        shown = first.isoformat() + (f"..{last.isoformat()}" if last != first else "")
        lines.append(
            t(
                "calendar.line",
                days=shown,
                what=t.plain("calendar.worked" if worked else "calendar.off"),
                source=t.plain(f"calendar.source.{source.value}"),
            )
        )
    if not days:
        lines.append(t("calendar.none"))
    lines.append(t("calendar.hint"))
    return lines
