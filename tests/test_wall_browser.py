"""The results wall as a person sees it (issue 23): the page loaded in headless Chromium
(tests/browser.py) on a phone and on a desktop, with nothing logged, every photo shown
and nothing wider than the phone; a marker per issue on the road strips (a marker per
stretch of road past 300); the print view on exactly one A3 page; the Mini App
opened from its button; and ``/wall poster``. Skipped, saying so, without Chromium —
except what ``/wall poster`` says without it, which runs everywhere. Screenshots are
kept in the test's directory and copied to /tmp/wall-shots/."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from storage.models import Issue, Topic
from tests.browser import CHROMIUM, NO_CHROMIUM, Browser, Tab, chromium
from tests.conftest import Cast, Harness, page_url, seed_issues
from tests.pdfs import pdf_pages, pdf_words
from tests.test_wall_web import approved_result, wall_link

pytestmark = pytest.mark.web
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)
SHOTS = Path("/tmp/wall-shots")
PHONE, DESKTOP = (390, 844), (1280, 800)


@pytest_asyncio.fixture
async def browser(tmp_path: Path) -> AsyncIterator[Browser]:
    """Chromium, headless, for one test."""
    async with chromium(tmp_path / "chromium") as started:
        yield started


async def shoot(tab: Tab, tmp_path: Path, name: str) -> None:
    """A screenshot in the test's directory, copied where the integrator looks."""
    shot = await tab.screenshot(tmp_path / f"{name}.png")
    SHOTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, SHOTS / shot.name)


async def say(cast: Cast, person: str, text: str, photo: bool = False) -> str:
    """Someone of the cast says ``text`` in the group (as a photo's caption); the answer."""
    who = getattr(cast, person)
    if photo:
        await cast.group.send_photo(who, text)
    else:
        await cast.group.say(who, text)
    return (await cast.group.next_reply()).text


async def a_busy_group(harness: Harness, cast: Cast) -> None:
    """An approved result with photos, a topic in progress, issues on two roads (one
    rectified and verified, with photos before and after) and this month's activity."""
    await approved_result(cast, "K93 护栏修复与标线施划", "护栏全部修复，标线重新施划。" * 8)
    await say(cast, "captain", f"/newtopic 中东桥加固工程 due:{harness.day(20)}")
    await say(cast, "worker", "/claim 2")
    await say(cast, "worker", f"/milestone 2 {harness.day(5)} 完成桥梁检测")
    await say(cast, "worker", "/progress 2 30% 已完成检测方案")
    await say(cast, "worker", "/report S272 K93+520 护栏缺损 cat:guardrail sev:2", photo=True)
    await say(cast, "worker", "/report S272 K95+100 路面坑槽 sev:3")
    await say(cast, "worker", "/report G325 K12+300 标志牌倾斜")
    await say(cast, "worker", "/fixed 1 已更换立柱", photo=True)
    await say(cast, "captain", "/verify 1")
    await say(
        cast, "captain", f"/newevent 志愿服务 {harness.day(2)} 09:00-11:30 洁城绿生活 @ 明翠社区"
    )
    await harness.idle()  # the photos downloaded


async def look(tab: Tab, url: str, size: tuple[int, int], tmp_path: Path, name: str) -> None:
    """Load the page at ``size``: nothing logged, every photo shown, a screenshot."""
    await tab.open(url, *size)
    assert tab.problems() == []
    images = await tab.evaluate("document.images.length")
    broken = await tab.evaluate(
        "[...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)"
    )
    assert images > 0 and broken == []
    await shoot(tab, tmp_path, name)


@needs_chromium
async def test_the_wall_page_looks_right_on_a_phone_and_a_desktop(
    harness: Harness, cast: Cast, browser: Browser, tmp_path: Path
) -> None:
    await a_busy_group(harness, cast)
    url = page_url(harness, await wall_link(harness, cast))
    tab = await browser.tab()
    await look(tab, url, PHONE, tmp_path, "wall-390")
    assert await tab.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    text = await tab.evaluate("document.body.innerText")
    for shown in ("养护一班", "K93 护栏修复与标线施划", "中东桥加固工程", "洁城绿生活", "G325"):
        assert shown in text
    # the kilometre labels are legible on the phone: at least 11 CSS pixels high
    smallest = await tab.evaluate(
        "Math.min(...[...document.querySelectorAll('.strip .tick')]"
        ".map(t => t.getBoundingClientRect().height))"
    )
    assert smallest >= 11
    await look(tab, url, DESKTOP, tmp_path, "wall-1280")
    assert await tab.evaluate("document.documentElement.scrollWidth") <= DESKTOP[0]


STRIPS = """[...document.querySelectorAll('.strip')].map(s =>
  [s.querySelector('h3 bdi').textContent, s.querySelectorAll('circle.dot').length])"""


@needs_chromium
async def test_the_strip_shows_one_marker_per_issue(
    harness: Harness, cast: Cast, browser: Browser
) -> None:
    for text in (
        "/report S272 K93+520 护栏缺损",
        "/report S272 K93+560 护栏缺损（重复）",
        "/report S272 K96+000 坑槽",
        "/report G325 K12+300 标志牌倾斜",
        "/report G325 K12+300 标志牌倾斜，另一侧",
    ):
        await say(cast, "worker", text)
    await say(cast, "captain", "/verify 2 dup:1")
    tab = await browser.tab()
    await tab.open(page_url(harness, await wall_link(harness, cast, photos=0)), *PHONE)
    assert await tab.evaluate(STRIPS) == [["G325", 2], ["S272", 2]]
    titles = await tab.evaluate(
        "[...document.querySelectorAll('circle.dot title')].map(t => t.textContent)"
    )
    assert sorted(t.split()[0] for t in titles) == ["#1", "#3", "#4", "#5"]
    assert tab.problems() == []


@needs_chromium
async def test_past_300_issues_the_strip_shows_one_marker_per_stretch_of_road(
    harness: Harness, cast: Cast, browser: Browser
) -> None:
    await say(cast, "worker", "/help")  # the worker is a member
    await seed_issues(harness, cast, 301)  # S272, 10 m apart: K0 … K3
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:
        await session.execute(update(Issue).where(Issue.number % 3 == 0).values(status="fixed"))
    buckets = {n * 10 // 1000 for n in range(1, 302)}  # a kilometre each (a short road)
    url = page_url(harness, await wall_link(harness, cast, photos=0))
    tab = await browser.tab()
    await tab.open(url, *PHONE)
    assert await tab.evaluate(STRIPS) == [["S272", len(buckets)]]
    # each coloured by its least-done issue, its counts by status on hover
    titles = await tab.evaluate(
        "[...document.querySelectorAll('circle.dot title')].map(t => t.textContent)"
    )
    assert titles[0] == "S272 K0：99 个问题（待处理 66 · 已整改 33）", titles
    assert await tab.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    # one of them a duplicate: 300 located issues, one marker each again
    async with db.transaction() as session:
        first = await session.scalar(select(Issue.id).where(Issue.number == 1))
        await session.execute(update(Issue).where(Issue.number == 2).values(duplicate_of_id=first))
    await tab.open(url + "?again", *PHONE)
    assert await tab.evaluate(STRIPS) == [["S272", 300]]
    assert tab.problems() == []


# the poster's parts that overlap or leave the sheet (as it is printed)
OVERLAPS = """(() => {
  const box = e => e.getBoundingClientRect();
  const sheet = box(document.querySelector('.sheet'));
  const parts = [...document.querySelectorAll('.sheet header, .poster .card, .foot')];
  const found = [];
  parts.forEach((a, i) => {
    const r = box(a);
    if (r.top < sheet.top || r.bottom > sheet.bottom + 0.5) found.push(`${i} leaves the sheet`);
    parts.slice(i + 1).forEach((b, j) => {
      const q = box(b);
      if (r.left < q.right - 0.5 && q.left < r.right - 0.5 && r.top < q.bottom - 0.5
          && q.top < r.bottom - 0.5) found.push(`${i} overlaps ${i + j + 1}`);
    });
  });
  return found;
})()"""


@needs_chromium
async def test_twelve_long_results_print_on_exactly_one_a3_page(
    harness: Harness, cast: Cast, browser: Browser, tmp_path: Path
) -> None:
    long = "施划非机动车道标线，修复护栏，通行秩序明显改善。" * 170
    for n in range(1, 13):
        title = f"第{n}项 省道S272线K93+520平交非机动车道整治工程及护栏修复" + "长标题" * (n * 8)
        await approved_result(cast, title[:200], long[:2000] if n % 2 else "已完成", n % 3 == 0)
    db = harness.app.bot_data.db
    assert db is not None
    async with db.transaction() as session:  # longer than /done takes today (2,000)
        await session.execute(update(Topic).where(Topic.number % 4 == 1).values(result=long[:4000]))
    url = page_url(harness, await wall_link(harness, cast, photos=4))
    tab = await browser.tab()
    await tab.send("Emulation.setEmulatedMedia", media="print")
    await tab.open(url + "?print=1", 1032, 1497)  # A3 within its margins, 96 pixels an inch
    assert tab.problems() == []
    assert await tab.evaluate("document.querySelectorAll('.poster .card').length") == 12
    assert await tab.evaluate(OVERLAPS) == []  # every card whole, in its place
    await shoot(tab, tmp_path, "poster")
    pdf = await tab.pdf(tmp_path / "poster.pdf")
    shutil.copyfile(pdf, SHOTS / pdf.name)
    assert pdf_pages(pdf.read_bytes()) == (1, "A3")
    if shutil.which("pdftotext"):  # as printed: the cards end above the QR code's words
        middle = pdf_words(pdf)
        lines = [y for y, word in middle if "打印于" in word or "扫码" in word]  # the foot's
        below = [w for y, w in middle if y > min(lines) and min(abs(y - f) for f in lines) > 6]
        assert below == []


@needs_chromium
async def test_the_mini_app_opens_the_wall_of_the_persons_group(
    harness: Harness, cast: Cast, browser: Browser, tmp_path: Path
) -> None:
    await approved_result(cast)
    await harness.idle()
    chat = cast.worker.private()
    await chat.send("/wall")
    offer = await chat.next_reply()
    launch = harness.emulator.open_web_app(cast.worker.id, offer.raw, "成果墙")
    address, fragment = launch.split("#", 1)
    tab = await browser.tab()
    await tab.open(f"{page_url(harness, address)}#{fragment}", *PHONE, until=WALL)
    assert await tab.evaluate("document.querySelector('h1').textContent") == "养护一班"
    assert "护栏修复" in await tab.evaluate("document.body.innerText")
    assert tab.problems() == []
    await shoot(tab, tmp_path, "mini-app")
    # one character of the signature changed: the page cannot tell who you are
    forged = re.sub(r"(hash%3D)(.)", lambda m: m[1] + ("0" if m[2] != "0" else "1"), fragment)
    assert forged != fragment
    tab = await browser.tab()
    await tab.open(f"{page_url(harness, address)}#{forged}", *PHONE, until=REFUSED)
    assert await tab.evaluate("location.pathname") == "/app"
    assert "养护一班" not in await tab.evaluate("document.body.innerText")


WALL = "location.pathname.startsWith('/wall/') && !!document.querySelector('h1')"
REFUSED = "document.body.innerText.includes('无法确认你的身份')"


async def test_poster_is_for_admins_and_without_chromium_says_how_to_print(
    harness: Harness, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "管理员" in await say(cast, "worker", "/wall poster")
    monkeypatch.setattr("handlers.wall.poster.BROWSERS", ("no-such-browser-for-vanguard",))
    answer = await say(cast, "captain", "/wall poster")
    assert "Chromium" in answer and "A3" in answer and "Ctrl+P" in answer
    link = re.search(r"https://wall\.test/wall/\S+\?print=1", answer)
    assert link is not None


@needs_chromium
async def test_poster_is_a_one_page_a3_pdf(harness: Harness, cast: Cast) -> None:
    await approved_result(cast)
    await harness.idle()
    await cast.group.say(cast.captain, "/wall poster")
    reply = await cast.group.next_reply(timeout=150)
    assert "document" in reply.raw, reply.text
    assert reply.raw["document"]["file_name"].endswith(".pdf")
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    assert pdf_pages(content) == (1, "A3")
