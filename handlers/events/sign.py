"""Events — the check-in sign: an A4 page (PNG, 150 dpi) an admin prints and puts up at
the venue: 扫码签到, the event's type and title, when and where, the QR code that checks
the scanner in, the six-character check-in code, and one line on how to sign in.

The Chinese text is drawn with Noto Sans CJK (SIL Open Font License 1.1; Debian's
``fonts-noto-cjk``, which ``.ci/run`` installs and the README names for servers). Where
no CJK font is found, the sign is not made and the bare QR code is sent instead."""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageFont

from handlers.event_lines import type_text, when_text
from handlers.i18n import Translator
from storage.models import Event, Group

log = logging.getLogger(__name__)

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
MAX_LINES = 2  # of a title, a place or the how-to line
FONTS = (  # the first one found draws the sign
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def cjk_font() -> Path | None:
    """The CJK font the sign is drawn with, or None when the machine has none."""
    return next((Path(p) for p in FONTS if Path(p).exists()), None)


def qr_png(url: str) -> bytes:
    """The QR code of ``url`` as a PNG, big enough to print and scan from a wall."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=12, border=4)
    return buffer.getvalue()


def checkin_sign(t: Translator, group: Group, event: Event, url: str, font: Path) -> bytes:
    """The sign as a PNG: an A4 page, portrait, every line centred."""
    page = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(page)
    y = MARGIN
    y = _line(draw, t.plain("event.sign.title"), y, _font(font, 110))
    headline = f"{type_text(t, event.kind)} #{event.number} {event.title}"
    y = _line(draw, headline, y + 20, _font(font, 52), wrap=True)
    y = _line(draw, when_text(t, group, event), y + 10, _font(font, 40))
    if event.place:
        y = _line(draw, event.place, y, _font(font, 40), wrap=True)
    code = segno.make(url, error="m")
    side = 820
    scale = max(1, side // code.symbol_size(border=4)[0])
    picture = io.BytesIO()
    code.save(picture, kind="png", scale=scale, border=4)
    qr = Image.open(picture).convert("RGB")
    page.paste(qr, ((WIDTH - qr.width) // 2, y + 30))
    y += 30 + qr.height + 20
    y = _line(draw, t.plain("event.sign.code", code=event.checkin_code), y, _font(font, 64))
    _line(draw, t.plain("event.sign.how", number=event.number), y + 10, _font(font, 34), True)
    out = io.BytesIO()
    page.save(out, format="PNG", dpi=(150, 150))
    return out.getvalue()


def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def _line(
    draw: ImageDraw.ImageDraw, text: str, y: int, font: ImageFont.FreeTypeFont, wrap: bool = False
) -> int:
    """Draw ``text`` centred at ``y`` (broken into lines that fit when ``wrap``); the y
    below it."""
    for part in _wrapped(draw, text, font) if wrap else [text]:
        left, top, right, bottom = draw.textbbox((0, 0), part, font=font)
        draw.text(((WIDTH - (right - left)) // 2, y - top), part, font=font, fill="black")
        y += int(bottom - top) + 18
    return y


def _wrapped(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont) -> list[str]:
    """``text`` cut into lines no wider than the page inside its margins — after any
    Chinese character, not inside a Latin word or a command like ``/checkin`` unless the
    word alone is wider than a line; at most two lines, the last one shortened (the
    sign's text keeps to its page whatever the title and place)."""
    lines, current = [], ""
    room = WIDTH - 2 * MARGIN
    for word in re.findall(r"[!-~]+|.", text):
        # a Latin run wider than a line (a URL) is broken where it must be
        pieces = [word] if draw.textlength(word, font=font) <= room else list(word)
        for piece in pieces:
            if current and draw.textlength(current + piece, font=font) > room:
                lines.append(current.rstrip())
                current = piece.lstrip()
            else:
                current += piece
    lines.append(current)
    if len(lines) > MAX_LINES:
        last = lines[MAX_LINES - 1]
        while last and draw.textlength(last + "…", font=font) > room:
            last = last[:-1]
        lines = [*lines[: MAX_LINES - 1], last + "…"]
    return lines
