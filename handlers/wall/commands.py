"""/wall: the results wall in the chat, with a button to its web page — a signed link in
the group, the Mini App in private chat; ``/wall link reset`` (admins) revokes every
link of the group; ``/wall poster`` (admins) sends the wall as an A3 poster (PDF)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, WebAppInfo

from domain.errors import Refused, UsageError
from domain.wall_links import expiry, sign
from handlers.common import CAPTION, fit, split_message
from handlers.days import local_day
from handlers.files import send_file
from handlers.i18n import Html, Translator
from handlers.invocation import Invocation
from handlers.wall.page import MAX_GROUPS, person, read_page
from handlers.wall.poster import Posters, browser, poster_html, print_pdf
from storage import wall_reads
from storage.members import groups_of
from storage.models import Group
from storage.topics import RatingSummary
from storage.wall import link_secret, reset_secret

CHAT_RESULTS = 20  # results listed in the chat (the page shows more)
CHAT_PHOTOS = 10  # one album


async def wall_command(inv: Invocation) -> None:
    """The wall, or one of its admin actions."""
    words = [w.lower() for w in inv.args]
    if not words:
        await (_private(inv) if inv.target is None else _show(inv))
    elif words in (["link", "reset"], ["链接", "重置"]):
        await _reset(inv)
    elif words in (["poster"], ["海报"]):
        await _poster(inv)
    else:
        raise UsageError("wall")


async def _page_link(inv: Invocation, group: Group, *, reset: bool = False) -> str | None:
    """The group's page address (None when the pages are off); ``reset``: with a new
    secret, so that every earlier link stops working."""
    web = inv.context.config.web
    if not web.enabled:
        return None
    now = inv.context.clock.now()
    async with inv.transaction() if reset else inv.context.write_unclaimed() as session:
        if reset:
            secret = await reset_secret(session, group.id, now)
        else:
            secret = await link_secret(session, group.id, now)
    return f"{web.public_url}/wall/{sign(secret, group.id, expiry(now)).token}"


def _button(t: Translator, link: str | None) -> InlineKeyboardMarkup | None:
    if link is None:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(t.plain("wall.button"), url=link)]])


async def _show(inv: Invocation) -> None:
    """In the group: the newest results, their photos, and the button to the page."""
    group, t = inv.group, inv.t
    async with inv.context.read() as session:
        entries = await wall_reads.results(session, group.id, CHAT_RESULTS)
        done = await wall_reads.done_count(session, group.id)
    markup = _button(t, await _page_link(inv, group))
    if not entries:
        await inv.reply(t("wall.empty"), markup)
        return
    lines = [t("wall.title", count=done)]
    lines += [_entry(inv, entry) for entry in entries]
    if done > len(entries):
        more = "wall.more" if markup is not None else "wall.more_here"
        lines.append(t(more, count=done - len(entries)))
    chunks = split_message(lines)
    for number, chunk in enumerate(chunks):
        await inv.reply(chunk, markup if number == len(chunks) - 1 else None)
    await _photos(inv, entries)


def _entry(inv: Invocation, entry: wall_reads.Result) -> Html:
    t, topic = inv.t, entry.topic
    approved = local_day(inv.group, topic.approved_at).isoformat() if topic.approved_at else ""
    return t(
        "wall.entry",
        number=topic.number,
        title=topic.title,
        who=t.plain("list.separator").join(person(t, m) for m in entry.claimants) or "—",
        result=topic.result or "",
        rating=_rating(t, entry.rating),
        date=approved,
    )


def _rating(t: Translator, summary: RatingSummary) -> Html:
    if not summary.count:
        return t("topic.no_ratings")
    return t("topic.rating", average=f"{summary.average:.1f}", count=summary.count)


async def _photos(inv: Invocation, entries: list[wall_reads.Result]) -> None:
    """Each result's first photo, as one album."""
    shown = [(e.topic, e.after[0]) for e in entries if e.after][:CHAT_PHOTOS]
    if not shown:
        return
    media = [
        InputMediaPhoto(
            photo.file_id,
            caption=fit(inv.t("wall.photo", number=topic.number, title=topic.title), CAPTION),
        )
        for topic, photo in shown
    ]
    if len(media) == 1:
        await inv.context.bot.send_photo(inv.chat_id, media[0].media, caption=media[0].caption)
    else:
        await inv.context.bot.send_media_group(inv.chat_id, media)


async def _private(inv: Invocation) -> None:
    """In private chat: the Mini App (https), else a link to each of the person's groups."""
    web, t = inv.context.config.web, inv.t
    if not web.enabled:
        raise Refused("wall.web_off")
    if web.public_url.startswith("https://"):
        button = InlineKeyboardButton(
            t.plain("wall.app_button"), web_app=WebAppInfo(f"{web.public_url}/app")
        )
        await inv.reply(t("wall.app"), InlineKeyboardMarkup([[button]]))
        return
    now = inv.context.clock.now()
    rows = []
    async with inv.context.write_unclaimed() as session:
        for group in await groups_of(session, inv.user_id, MAX_GROUPS):
            token = sign(await link_secret(session, group.id, now), group.id, expiry(now)).token
            rows.append(
                [InlineKeyboardButton(group.title[:60], url=f"{web.public_url}/wall/{token}")]
            )
    if not rows:
        raise Refused("wall.no_groups")
    await inv.reply(t("wall.links"), InlineKeyboardMarkup(rows))


async def _reset(inv: Invocation) -> None:
    """An admin revokes every link to the group's page; the new one comes with the answer."""
    inv.require_admin()
    if not inv.context.config.web.enabled:
        raise Refused("wall.web_off")
    link = await _page_link(inv, inv.group, reset=True)
    await inv.reply(inv.t("wall.reset"), _button(inv.t, link))


async def _poster(inv: Invocation) -> None:
    """An admin gets the poster: a PDF where the server has Chromium, else the print
    view's address with how to print it."""
    inv.require_admin()
    group, t, context = inv.group, inv.t, inv.context
    link = await _page_link(inv, group)
    if link is None:
        raise Refused("wall.web_off")
    chrome = browser()
    if chrome is None:
        await inv.reply(t("wall.poster.no_browser", link=f"{link}?print=1"))
        return
    context.acknowledged = True  # its answer is the file
    await inv.claim()
    now = context.clock.now()
    async with context.read() as session:
        page = await read_page(session, t, group, now, poster=True)
    media = context.config.media.dir
    target = Path(media) / "posters" / f"wall-{group.id}-{local_day(group, now).isoformat()}.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    async with context.bot_data.state(Posters).lock:
        html = await asyncio.to_thread(poster_html, t, page, media, link)
        made = await print_pdf(chrome, html, target)
    if not made:
        raise Refused("wall.poster.failed")
    caption = t.plain("wall.poster.caption", month=page.month.label)
    await send_file(inv, t, target, target.stat().st_size, caption)
