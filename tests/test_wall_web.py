"""The results wall as a web page (issue 23): reached by the signed link under /wall in
the group, refused when forged, expired or revoked; never another group's data; every
value escaped; requests bounded. Pages are fetched over HTTP from the bot's own web
server, as a browser would (the browser tests are in test_wall_browser.py)."""

from __future__ import annotations

import re
import socket
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from domain.calendar import Month
from domain.clock import FrozenClock
from domain.config import WebConfig
from handlers.i18n import for_language
from handlers.summary.views import pair
from handlers.wall.page import read_page, render_poster
from storage.groups import get_group
from storage.models import Photo, Topic
from storage.summary_issues import verified_pairs
from tests.conftest import (
    PUBLIC_URL,
    START,
    Cast,
    Harness,
    make_config,
    new_emulator,
    page_url,
    start_harness,
)

pytestmark = pytest.mark.web


async def get(harness: Harness, public: str, **headers: str) -> tuple[int, str, dict[str, str]]:
    """GET a public address from the bot's web server: status, body, headers."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(page_url(harness, public), headers=headers, allow_redirects=False) as response,
    ):
        body = await response.read()
        text = body.decode("utf-8", "replace")
        return response.status, text, dict(response.headers)


async def approved_result(
    cast: Cast, title: str = "护栏修复", result: str = "护栏全部修复", photos: bool = True
) -> None:
    """A topic claimed, with a progress photo, finished (with two photos) and approved."""
    group = cast.group
    await group.say(cast.captain, f"/newtopic {title}")
    created = await group.next_reply()
    number = re.search(r"#(\d+)", created.text)
    assert number is not None
    n = number[1]
    await group.say(cast.worker, f"/claim {n}")
    await group.next_reply()
    await group.send_photo(cast.worker, f"/progress {n} 50% 施工中")
    await group.next_reply()
    if photos:
        await group.send_album(cast.worker, 2, f"/done {n} {result}")
    else:
        await group.say(cast.worker, f"/done {n} {result}")
    await group.next_reply()
    await group.say(cast.secretary, f"/approve {n} 好")
    await group.next_reply()


async def wall_link(harness: Harness, cast: Cast, photos: int = 1) -> str:
    """The page's address, from the button under /wall in the group (and the ``photos``
    that follow the text read)."""
    await cast.group.say(cast.worker, "/wall")
    replies = [await cast.group.next_reply()]
    while not replies[-1].buttons:
        replies.append(await cast.group.next_reply())
    for _ in range(photos):
        assert (await cast.group.next_reply()).raw.get("photo")
    await harness.idle()  # the photos downloaded
    url = replies[-1].button("成果墙").url
    assert url is not None and url.startswith(f"{PUBLIC_URL}/wall/")
    return url


async def test_the_wall_page_shows_results_with_their_photos(harness: Harness, cast: Cast) -> None:
    await approved_result(cast)
    url = await wall_link(harness, cast)
    status, page, headers = await get(harness, url)
    assert status == 200, page
    assert "护栏修复" in page and "护栏全部修复" in page and "张工" in page
    assert "养护一班" in page and 'lang="zh-Hans"' in page
    csp = headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert headers["Referrer-Policy"] == "no-referrer"
    photos = re.findall(r'<img src="([^"]+)"', page)
    assert len(photos) == 3  # one progress photo (before), two of the result (after)
    token = url.rsplit("/", 1)[1]
    for src in photos:
        assert src.startswith(f"{token}/photo/")
        status, _, headers = await get(harness, f"{PUBLIC_URL}/wall/{src}")
        assert status == 200 and headers["Content-Type"] == "image/jpeg"


def forge(url: str) -> str:
    """The same link with its signature's first character changed."""
    head, signature = url.rsplit(".", 1)
    return f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"


async def test_forged_expired_and_revoked_links_get_403_pages(harness: Harness, cast: Cast) -> None:
    url = await wall_link(harness, cast, photos=0)
    assert (await get(harness, url))[0] == 200
    status, page, _ = await get(harness, forge(url))
    assert status == 403 and "链接无效" in page and "养护一班" not in page
    for junk in ("1", "x" * 500, "1.2.3", "..%2F..%2Fetc%2Fpasswd", "1.9999999999." + "A" * 32):
        status, page, _ = await get(harness, f"{PUBLIC_URL}/wall/{junk}")
        assert status in (403, 404) and "养护一班" not in page, junk
    # another group's number with this link's signature
    group_id, rest = url.rsplit("/", 1)[1].split(".", 1)
    status, _, _ = await get(harness, f"{PUBLIC_URL}/wall/{int(group_id) + 1}.{rest}")
    assert status == 403
    # a member cannot revoke; an admin can, and the old link stops working
    await cast.group.say(cast.worker, "/wall link reset")
    assert "管理员" in await cast.group.next_reply()
    assert (await get(harness, url))[0] == 200
    await cast.group.say(cast.captain, "/wall link reset")
    reset = await cast.group.next_reply()
    assert "作废" in reset
    fresh = reset.button("成果墙").url
    assert fresh is not None and fresh != url
    status, page, _ = await get(harness, url)
    assert status == 403 and "链接无效" in page
    assert (await get(harness, fresh))[0] == 200
    # thirty days on, the link has expired
    harness.clock.advance(timedelta(days=31))
    status, page, _ = await get(harness, fresh)
    assert status == 403 and "已过期" in page


async def test_a_groups_page_never_shows_another_groups_data(harness: Harness, cast: Cast) -> None:
    await approved_result(cast, "一班的成果", "一班做完了")
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    await other.say(owner, "/newtopic 二班的秘密课题")
    await other.next_reply()
    url = await wall_link(harness, cast)
    status, page, _ = await get(harness, url)
    assert status == 200 and "一班的成果" in page
    assert "二班" not in page
    # photos of group 1 through the link of group 2 are not found
    await other.say(owner, "/wall")
    other_url = (await other.next_reply()).button("成果墙").url
    assert other_url is not None
    first_photo = re.findall(r'<img src="[^"]+/photo/(\d+)"', page)[0]
    status, _, _ = await get(harness, f"{other_url}/photo/{first_photo}")
    assert status == 404
    status, other_page, _ = await get(harness, other_url)
    assert status == 200 and "二班" in other_page and "一班" not in other_page


HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "\u202eRTL\u202c 标题 </style><style>body{display:none}</style>",
]


async def test_hostile_titles_names_and_notes_are_escaped(harness: Harness, cast: Cast) -> None:
    for title in HOSTILE:
        await approved_result(cast, title, f"成果 {title} " + "长" * 3900, photos=False)
    await cast.group.say(cast.captain, f"/newtopic {HOSTILE[0]} 进行中")
    await cast.group.next_reply()
    await cast.group.say(cast.worker, "/claim 4")
    await cast.group.next_reply()
    url = await wall_link(harness, cast, photos=0)
    status, page, _ = await get(harness, url)
    assert status == 200
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "</style><style>" not in page and "onerror=alert(1)>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script") == 0  # the wall page runs no script at all
    assert "长" * 600 not in page  # a 4,000-character result is cut on the page
    status, poster, _ = await get(harness, f"{url}?print=1")
    assert status == 200 and "<script>alert" not in poster


async def test_the_print_view_is_an_a3_poster_with_a_qr_code(harness: Harness, cast: Cast) -> None:
    await approved_result(cast)
    url = await wall_link(harness, cast)
    status, page, _ = await get(harness, url)
    assert 'href="' in page and "?print=1" in page
    status, poster, _ = await get(harness, f"{url}?print=1")
    assert status == 200
    assert "size:A3 portrait" in poster and "护栏修复" in poster
    assert "<svg" in poster and "打印于 " + harness.today().isoformat() in poster


async def test_a_poster_without_a_link_asks_nobody_to_scan(harness: Harness, cast: Cast) -> None:
    """The demo's poster (no page is served, so no link): no QR code, and no line
    asking to scan one."""
    await approved_result(cast)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        t = for_language(group.language)
        page = await read_page(session, t, group, harness.clock.now(), poster=True)
    offline = render_poster(t, page, lambda p: f"photo/{p.id}", None)
    assert "护栏修复" in offline and "<svg" not in offline and "扫码" not in offline
    linked = render_poster(t, page, lambda p: f"photo/{p.id}", "https://wall.test/wall/x")
    assert "<svg" in linked and "扫码查看完整成果墙" in linked


async def test_requests_are_bounded(harness: Harness, cast: Cast) -> None:
    url = await wall_link(harness, cast, photos=0)
    statuses = [(await get(harness, url))[0] for _ in range(25)]
    assert statuses[:20] == [200] * 20 and statuses[-1] == 429
    status, _, headers = await get(harness, url)
    assert status == 429 and int(headers["Retry-After"]) >= 1
    # another address (behind the proxy on this machine) is not held back
    assert (await get(harness, url, **{"X-Forwarded-For": "203.0.113.9"}))[0] == 200
    harness.clock.advance(timedelta(minutes=2))  # the allowance refills with time
    assert (await get(harness, url))[0] == 200
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            page_url(harness, f"{PUBLIC_URL}/app"), data={"init_data": "x" * 100_000}
        ) as response,
    ):
        assert response.status == 413


async def test_the_mini_app_opens_the_walls_of_the_persons_groups(
    harness: Harness, cast: Cast
) -> None:
    await approved_result(cast)
    chat = cast.worker.private()
    await chat.send("/wall")
    offer = await chat.next_reply()
    assert offer.button("成果墙").web_app == f"{PUBLIC_URL}/app"
    launch = harness.emulator.open_web_app(cast.worker.id, offer.raw, "成果墙")
    address, fragment = launch.split("#", 1)
    status, first, headers = await get(harness, address)
    assert status == 200 and "<script>" in first
    assert "script-src 'sha256-" in headers["Content-Security-Policy"]
    init_data = dict(part.split("=", 1) for part in fragment.split("&"))["tgWebAppData"]
    from urllib.parse import unquote

    signed = unquote(init_data)

    async def enter(data: str) -> tuple[int, str, str]:
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                page_url(harness, f"{PUBLIC_URL}/app"),
                data={"init_data": data},
                allow_redirects=False,
            ) as response,
        ):
            return response.status, await response.text(), response.headers.get("Location", "")

    status, _, location = await enter(signed)
    assert status == 303 and location.startswith("wall/")
    status, page, _ = await get(harness, f"{PUBLIC_URL}/{location}")
    assert status == 200 and "护栏修复" in page
    tampered = signed.replace("%22id%22%3A", "%22id%22%3A1").replace('"id":', '"id":1')
    for bad in (tampered, signed + "&extra=1", signed.replace("hash=", "hash=0"), "", "hash=x"):
        status, page, _ = await enter(bad)
        assert status == 403 and "无法确认" in page, bad
    # initData more than a day old is refused
    stale = harness.emulator.init_data(
        cast.worker.id, auth_date=int(harness.clock.now().timestamp()) - 2 * 86400
    )
    assert (await enter(unquote(stale)))[0] == 403
    # someone in two groups chooses; someone in none is told so
    owner = harness.world.person("二", last_name="班长")
    other = harness.world.group("二班", creator=owner, members=(cast.worker,))
    await other.add_bot(by=owner)
    await other.next_reply()
    await other.say(cast.worker, "大家好")
    await harness.idle()
    status, page, _ = await enter(unquote(harness.emulator.init_data(cast.worker.id)))
    assert status == 200 and "养护一班" in page and "二班" in page
    stranger = harness.world.person("路", last_name="人")
    status, page, _ = await enter(unquote(harness.emulator.init_data(stranger.id)))
    assert status == 200 and "还不在任何" in page


async def test_a_taken_port_leaves_the_bot_working_without_pages(
    db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    clock = FrozenClock(START)
    emulator = new_emulator(clock)
    web = WebConfig(public_url=PUBLIC_URL, port=taken.getsockname()[1])
    config = replace(make_config(db_url, tmp_path, emulator), web=web)
    harness = await start_harness(config, emulator, clock)
    try:
        assert harness.runner.web is None
        assert "the wall pages are off: cannot listen" in caplog.text
        person = harness.world.person("张", last_name="工")
        chat = person.private()
        await chat.send("/help")
        assert "/wall" in await chat.next_reply()
    finally:
        await harness.runner.stop()
        taken.close()


@pytest.mark.web("http://wall.lan:8080")
async def test_without_https_private_wall_gives_a_link_to_each_group(
    harness: Harness, cast: Cast
) -> None:
    await approved_result(cast)
    await cast.group.say(cast.worker, "/wall")
    await cast.group.replies(2)
    chat = cast.worker.private()
    await chat.send("/wall")
    links = await chat.next_reply()
    assert "30 天" in links and not any(b.web_app for b in links.buttons)
    url = links.button("养护一班").url
    assert url is not None and url.startswith("http://wall.lan:8080/wall/")
    status, page, _ = await get(harness, url)
    assert status == 200 and "护栏修复" in page
    stranger = harness.world.person("路", last_name="人")
    lonely = stranger.private()
    await lonely.send("/wall")
    assert "还不在任何" in await lonely.next_reply()


async def test_a_link_serves_only_the_photos_its_page_shows(harness: Harness, cast: Cast) -> None:
    group = cast.group
    await approved_result(cast)
    # topic 2: progress and a result with photos, then rejected (not on the wall)
    await group.say(cast.captain, "/newtopic 排水沟清理")
    await group.next_reply()
    await group.say(cast.worker, "/claim 2")
    await group.next_reply()
    await group.send_photo(cast.worker, "/progress 2 30% 清了一半")
    await group.next_reply()
    await group.send_photo(cast.worker, "/done 2 清完了")
    await group.next_reply()
    await group.say(cast.secretary, "/reject 2 不行")
    await group.next_reply()
    # topic 3: a first result rejected, the second approved: only the second is shown
    await group.say(cast.captain, "/newtopic 标线重画")
    await group.next_reply()
    await group.say(cast.worker, "/claim 3")
    await group.next_reply()
    await group.send_photo(cast.worker, "/done 3 画了一半")
    await group.next_reply()
    await group.say(cast.secretary, "/reject 3 没画完")
    await group.next_reply()
    await group.send_photo(cast.worker, "/done 3 全部画完")
    await group.next_reply()
    await group.say(cast.secretary, "/approve 3")
    await group.next_reply()
    # an open issue with its photo
    await group.send_photo(cast.worker, "/report S272 K1+200 事故现场")
    await group.next_reply()
    url = await wall_link(harness, cast, photos=2)
    status, page, _ = await get(harness, url)
    results = page.split('id="ongoing"')[0]
    assert status == 200 and "标线重画" in results and "排水沟清理" not in results
    shown = {int(n) for n in re.findall(r'<img src="[^"]+/photo/(\d+)"', page)}
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        every = set(await session.scalars(select(Photo.id)))
    assert len(shown) == 4 and len(every) == 8  # 3 of topic 1, 1 of topic 3 shown
    for photo in sorted(every):
        status, _, _ = await get(harness, f"{url}/photo/{photo}")
        assert status == (200 if photo in shown else 404), photo


async def test_the_chat_lists_the_newest_twenty_and_sends_the_rest_to_the_page(
    harness: Harness, cast: Cast
) -> None:
    await cast.group.say(cast.worker, "/help")
    await cast.group.next_reply()
    db = harness.app.bot_data.db
    assert db is not None
    now = harness.clock.now()
    async with db.transaction() as session:
        group = await get_group(session, cast.group.id)
        assert group is not None
        for n in range(1, 22):  # 21 approved results, #21 the newest
            session.add(
                Topic(
                    group_id=group.id,
                    number=n,
                    title=f"成果{n:02d}",
                    status="done",
                    result="完成",
                    created_by=cast.worker.id,
                    approved_at=now - timedelta(hours=22 - n),
                )
            )
    await cast.group.say(cast.worker, "/wall")
    replies = [await cast.group.next_reply()]
    while not replies[-1].buttons:
        replies.append(await cast.group.next_reply())
    text = "\n".join(r.text for r in replies)
    assert "成果墙（21 项）" in text and "成果21" in text and "成果02" in text
    assert "成果01" not in text and "另有 1 项较早的成果，点下面的按钮在网页上查看" in text
    status, page, _ = await get(harness, replies[-1].button("成果墙").url or "")
    assert status == 200 and "成果21" in page and "另有 9 项较早的成果未列出" in page


async def test_a_fix_that_did_not_hold_is_not_the_after_photo_on_the_wall_or_in_the_report(
    harness: Harness, cast: Cast
) -> None:
    """Fixed, reopened, fixed again and verified: the wall's pair and the monthly
    report's show the second fix's photo, as /issue does — not the rejected one."""
    group = cast.group
    await group.send_photo(cast.worker, "/report S272 K93+520 护栏缺损")
    await group.next_reply()
    rejected = await group.send_photo(cast.worker, "/fixed 1 临时加固")
    await group.next_reply()
    await group.say(cast.captain, "/reopen 1 立柱仍然松动")
    await group.next_reply()
    standing = await group.send_photo(cast.worker, "/fixed 1 已更换立柱")
    await group.next_reply()
    await group.say(cast.secretary, "/verify 1")
    await group.next_reply()
    uniques = {
        name: message["photo"][-1]["file_unique_id"]
        for name, message in (("rejected", rejected), ("standing", standing))
    }
    assert uniques["standing"] != uniques["rejected"]
    url = await wall_link(harness, cast, photos=0)
    status, page, _ = await get(harness, url)
    assert status == 200, page
    shown = re.findall(r'<img src="[^"]+/photo/(\d+)" alt="整改后"', page)
    assert len(shown) == 1, page
    db = harness.app.bot_data.db
    assert db is not None
    async with db.read() as session:
        photo = await session.get(Photo, int(shown[0]))
        row = await get_group(session, group.id)
        assert photo is not None and row is not None
        month = Month.containing(harness.clock.now(), row.timezone)
        pairs = await verified_pairs(session, row.id, month)
    assert photo.file_unique_id == uniques["standing"]
    report = pair(for_language("zh"), pairs[0])
    assert report.after.name == uniques["standing"]
