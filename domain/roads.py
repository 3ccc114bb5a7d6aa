"""Road codes and stake (chainage) numbers: ``S272 K93+520``, ranges ``K93+520-K93+800``.

Pure functions, no I/O. A stake is kept as metres from the road's origin
(``K93+520`` = 93 520 m), so "within 50 m" is arithmetic.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

ROAD_PREFIXES = {"国道": "G", "省道": "S", "县道": "X", "乡道": "Y", "专用公路": "Z", "专道": "Z"}
_FULLWIDTH = str.maketrans(
    "＋－～ＫｋＧＳＸＹＺｇｓｘｙｚ．，",
    "+-~KkGSXYZgsxyz.,",
)
_KIND = "国道|省道|县道|乡道|专用公路|专道"
# 省道S272 / S272 / S272线 / G325国道 / 省道272 / 省道272号线; the number is 1-4 digits
_ROAD = re.compile(
    rf"^(?:(?:{_KIND})\s*)?([GSXYZgsxyz])\s*(\d{{1,4}})(?:号?线|{_KIND})?(?!\d)"
    rf"|^({_KIND})\s*(\d{{1,4}})(?:号?线)?(?!\d)"
)
_LOOKS_LIKE_ROAD = re.compile(rf"^(?:(?:{_KIND})\s*)?[GSXYZgsxyz]?\s*\d")
_STAKE = r"[Kk]\s*(\d{1,4})\s*\+\s*(\d{3}(?:\.\d+)?)"
_RANGE = re.compile(rf"{_STAKE}(?:\s*(?:-|~|至|到|—)\s*{_STAKE})?")
_LOOKS_LIKE_STAKE = re.compile(r"^[Kk]\s*[-−\d+]|^\d{1,4}\s*\+")
_SEPARATORS = " \t，,、。;；:："
MAX_RANGE_M = 100_000  # a stretch longer than 100 km is a typo, not a defect
STAKE_EXAMPLE = "K93+520"


class StakeError(ValueError):
    """A stake that looks like one but is malformed (e.g. ``K93+52``)."""

    key = "issue.bad_stake"

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class RoadError(StakeError):
    """A road code that looks like one but is malformed (e.g. ``S99999``)."""

    key = "issue.bad_road"


class StakeWithoutRoad(StakeError):
    """A stake given first, without the road it is on (``K93+520 坑槽``)."""

    key = "issue.stake_needs_road"


@dataclass(frozen=True)
class RoadPlace:
    """Where on the network: road code and a stake range in metres (from <= to)."""

    road: str
    stake_from: int | None = None
    stake_to: int | None = None

    @property
    def stake_text(self) -> str:
        """``K93+520`` or ``K93+520-K93+800`` (empty without a stake)."""
        if self.stake_from is None:
            return ""
        start = format_stake(self.stake_from)
        if self.stake_to is None or self.stake_to == self.stake_from:
            return start
        return f"{start}-{format_stake(self.stake_to)}"

    def __str__(self) -> str:
        return f"{self.road} {self.stake_text}".strip()


_ROAD_CODE = re.compile(r"[GSXYZ]\d{1,4}")


def is_road(text: str) -> bool:
    """Whether ``text`` is a road code as we store it (``S272``)."""
    return _ROAD_CODE.fullmatch(text) is not None


def format_stake(metres: int) -> str:
    """93520 → ``K93+520``."""
    return f"K{metres // 1000}+{metres % 1000:03d}"


def normalise(text: str) -> str:
    """Full-width and other Unicode digits, plus signs and road letters made ASCII,
    character for character (so positions in the result are positions in ``text``)."""
    return "".join(
        str(unicodedata.decimal(c)) if c.isdecimal() and not c.isascii() else c
        for c in text.translate(_FULLWIDTH)
    )


def parse_place(text: str) -> tuple[RoadPlace | None, str]:
    """Split a leading road code and stake (range) off ``text``.

    Returns (place, the rest as typed). ``place`` is None when the text does not start
    with a road code. Raises :class:`RoadError` for a road code that cannot be one
    (``S99999``, ``S0``), :class:`StakeError` for a malformed stake or an implausible
    range, :class:`StakeWithoutRoad` for a stake given first. Reversed ranges are put in
    order.
    """
    original = text.strip()
    source = normalise(original)
    road_match = _ROAD.match(source)
    if road_match is None:
        word = source.split(maxsplit=1)[0] if source else ""
        if _LOOKS_LIKE_ROAD.match(source) and re.search(r"\d{5}", word) and word[:1] in _ROAD_START:
            raise RoadError(original.split(maxsplit=1)[0])
        if word and _RANGE.match(source):
            raise StakeWithoutRoad(original.split(maxsplit=1)[0])
        return None, original
    letter, digits = road_match.group(1), road_match.group(2)
    if letter is None:
        letter, digits = ROAD_PREFIXES[road_match.group(3)], road_match.group(4)
    if int(digits) == 0:
        raise RoadError(original[: road_match.end()])
    road = letter.upper() + str(int(digits)).zfill(len(digits))
    position = _skip(source, road_match.end())
    range_match = _RANGE.match(source, position)
    if range_match is None:
        word = source[position:].split(maxsplit=1)[0] if position < len(source) else ""
        if word and _LOOKS_LIKE_STAKE.match(word):
            raise StakeError(original[position:].split(maxsplit=1)[0])
        return RoadPlace(road), original[position:]
    end = range_match.end()
    following = source[end : end + 1]
    # the stake ends at a space, a separator or Chinese text ("K93+520护栏"), not in "-K93"
    if following and following.isascii() and following not in _SEPARATORS + "\n\r\v\f":
        raise StakeError(original[position:].split(maxsplit=1)[0])
    start = _metres(range_match.group(1), range_match.group(2))
    stop = _metres(range_match.group(3), range_match.group(4)) if range_match.group(3) else start
    low, high = sorted((start, stop))
    if high - low > MAX_RANGE_M:
        raise StakeError(original[position:end])
    return RoadPlace(road, low, high), original[_skip(source, end) :]


_ROAD_START = set("GSXYZgsxyz国省县乡专")


def _skip(text: str, position: int) -> int:
    """The position after any spaces and separators from ``position``."""
    while position < len(text) and text[position] in _SEPARATORS:
        position += 1
    return position


def _metres(km: str, m: str) -> int:
    return int(km) * 1000 + int(float(m))


def gap_metres(a: RoadPlace, b: RoadPlace) -> int | None:
    """Distance between two stake ranges on the same road (0 when they overlap); None
    when they are on different roads or one has no stake."""
    if a.road != b.road or a.stake_from is None or b.stake_from is None:
        return None
    a_to = a.stake_to if a.stake_to is not None else a.stake_from
    b_to = b.stake_to if b.stake_to is not None else b.stake_from
    return max(0, max(a.stake_from, b.stake_from) - min(a_to, b_to))
