"""A small Chrome DevTools Protocol client for the browser tests: Debian's Chromium
started headless on a free debugging port, driven over one websocket (aiohttp) with
flat sessions, one page a tab. Enough to load a page at a size, read what it logged,
evaluate script, take a screenshot and print it to PDF."""

from __future__ import annotations

import asyncio
import base64
import itertools
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = "Chromium is not installed (Debian: apt-get install chromium): browser tests skipped"
LISTENING = re.compile(r"DevTools listening on (ws://\S+)")
PROBLEMS = ("Runtime.exceptionThrown", "Runtime.consoleAPICalled", "Log.entryAdded")


class Tab:
    """One page of the browser: commands go to its session, its events are kept."""

    def __init__(self, browser: Browser, session: str) -> None:
        self.browser, self.session = browser, session
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        """One CDP command on this page; its result."""
        return await self.browser.send(method, session=self.session, **params)

    async def evaluate(self, expression: str) -> Any:
        """The value of a script expression (promises awaited)."""
        found = await self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        if "exceptionDetails" in found:
            raise AssertionError(f"{expression!r} threw: {found['exceptionDetails']}")
        return found["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 20) -> Any:
        """Wait until ``expression`` is truthy in the page (across navigations)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                value = await self.evaluate(expression)
            except AssertionError:
                value = None  # the page was between two documents
            if value:
                return value
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"{expression!r} still false after {timeout} s")
            await asyncio.sleep(0.05)

    async def open(self, url: str, width: int, height: int, until: str = "") -> None:
        """Load ``url`` in a ``width``×``height`` (CSS pixels) window, wait until it has
        loaded (or ``until`` holds: a page that moves on), scroll it through (lazy photos
        load) and wait until every image has finished."""
        mobile = width < 600
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width,
            height=height,
            deviceScaleFactor=2 if mobile else 1,
            mobile=mobile,
        )
        await self.send("Page.navigate", url=url)
        loaded = until or f"location.href === {url!r}"
        await self.wait_for(f"({loaded}) && document.readyState === 'complete'")
        await self.evaluate(SETTLE)

    def problems(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions, CSP and network errors."""
        found = []
        for method, params in self.events:
            if method == "Runtime.consoleAPICalled" and params["type"] in ("error", "warning"):
                found.append(" ".join(str(a.get("value", a)) for a in params["args"]))
            elif method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"]))
            elif method == "Log.entryAdded" and params["entry"]["level"] in ("error", "warning"):
                entry = params["entry"]
                found.append(f"{entry['source']}: {entry['text']} {entry.get('url', '')}".strip())
        return found

    async def screenshot(self, path: Path) -> Path:
        """The whole page as a PNG."""
        shot = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    async def pdf(self, path: Path) -> Path:
        """The page printed as Chromium prints it, at the page size its CSS asks for."""
        printed = await self.send(
            "Page.printToPDF", preferCSSPageSize=True, printBackground=True, timeout=120
        )
        path.write_bytes(base64.b64decode(printed["data"]))
        return path


# scroll down a screen at a time, then back, and wait for every picture to decode
SETTLE = """(async () => {
  const frame = () => new Promise(r => requestAnimationFrame(() => setTimeout(r, 20)));
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight / 2) {
    scrollTo(0, y); await frame();
  }
  scrollTo(0, 0);
  await Promise.all([...document.images].map(i => i.decode().catch(() => null)));
  return true;
})()"""


class Browser:
    """Chromium over one websocket."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.tabs: dict[str, Tab] = {}
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for frame in self.socket:
            message = frame.json()
            if "id" in message and message["id"] in self.waiting:
                self.waiting.pop(message["id"]).set_result(message)
            elif (tab := self.tabs.get(message.get("sessionId", ""))) is not None:
                tab.events.append((message["method"], message.get("params", {})))

    async def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """One CDP command (to the browser, or to a page's session); its result."""
        number = next(self.ids)
        self.waiting[number] = asyncio.get_running_loop().create_future()
        message = {"id": number, "method": method, "params": params}
        await self.socket.send_json(message | ({"sessionId": session} if session else {}))
        answer = await asyncio.wait_for(self.waiting[number], 150)
        if "error" in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return dict(answer["result"])

    async def tab(self) -> Tab:
        """A new blank page, reporting its console, log and exceptions."""
        target = await self.send("Target.createTarget", url="about:blank")
        attached = await self.send(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        tab = self.tabs[attached["sessionId"]] = Tab(self, attached["sessionId"])
        for domain in ("Page", "Runtime", "Log"):
            await tab.send(f"{domain}.enable")
        return tab


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[Browser]:
    """Debian's Chromium, headless, with its profile in ``profile``, until the end."""
    assert CHROMIUM is not None, NO_CHROMIUM
    profile.mkdir(parents=True, exist_ok=True)
    log = profile / "stderr.log"
    with log.open("wb") as errors:  # a file, so a chatty browser never fills a pipe
        process = await asyncio.create_subprocess_exec(
            *(CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"),
            *("--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0"),
            f"--user-data-dir={profile}",
            "about:blank",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=errors,
        )
    try:
        address = None
        for _ in range(600):
            if found := LISTENING.search(log.read_text("utf-8", "replace")):
                address = found[1]
                break
            await asyncio.sleep(0.05)
        assert address, f"Chromium did not start: {log.read_text('utf-8', 'replace')[-2000:]}"
        async with aiohttp.ClientSession() as http, http.ws_connect(address, max_msg_size=0) as ws:
            browser = Browser(ws)
            try:
                yield browser
            finally:
                browser.reader.cancel()
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
