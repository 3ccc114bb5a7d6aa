"""The workbooks print as a secretary needs them: each opened in LibreOffice (a program
nobody here wrote) and printed to PDF on A4 — a register one page wide, landscape,
however few rows; the report's appendix one page a sheet, its charts whole.

Needs LibreOffice and poppler (``.ci/run`` installs them from Debian's packages);
skipped with that reason where they are missing."""

from __future__ import annotations

import asyncio
import io
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.export import sheets
from handlers.i18n import for_language
from handlers.printing import _header_text
from tests.conftest import Cast, Harness, local
from tests.test_summary import december, say

SOFFICE, PDFINFO = shutil.which("soffice"), shutil.which("pdfinfo")
pytestmark = pytest.mark.skipif(
    SOFFICE is None or PDFINFO is None,
    reason="LibreOffice (soffice) and poppler (pdfinfo) are not installed: "
    "apt-get install libreoffice-calc-nogui poppler-utils",
)


async def printed(workbook: Path, tmp_path: Path) -> list[tuple[float, float]]:
    """The PDF pages LibreOffice prints the workbook on: (width, height) in points."""
    assert SOFFICE is not None and PDFINFO is not None
    profile = (tmp_path / "lo-profile").as_uri()  # one LibreOffice a test, side by side
    convert = await asyncio.create_subprocess_exec(
        SOFFICE,
        f"-env:UserInstallation={profile}",
        "--headless",
        "--convert-to",
        "pdf",
        "--outdir",
        str(tmp_path),
        str(workbook),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await asyncio.wait_for(convert.wait(), 180) == 0
    pdf = tmp_path / f"{workbook.stem}.pdf"
    info = await asyncio.create_subprocess_exec(
        PDFINFO, "-f", "1", "-l", "999", str(pdf), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await info.communicate()
    sizes = re.findall(r"Page +\d+ size: +([\d.]+) x ([\d.]+) pts", out.decode())
    return [(float(w), float(h)) for w, h in sizes]


def issue_row(number: int) -> list[object]:
    """A register row as wide as real ones: a long description, two photo names."""
    text = "路面坑槽，约 2 平方米，影响行车安全，需尽快修补。" * 2
    when = "2026-12-06 09:30"
    photos = f"U{number:012d}a.jpg\nU{number:012d}b.jpg"
    people = ["张工", when, "李队长", "2026-12-10", "已验收", when, when]
    return [number, "S272", "K93+520", "路面", 2, text, *people, photos]


@pytest.mark.parametrize("rows", [2, 120])
async def test_the_issue_register_prints_one_page_wide_in_landscape(
    tmp_path: Path, rows: int
) -> None:
    t = for_language("zh")
    path = tmp_path / "问题台账.xlsx"
    register = sheets.issue_register(path, t, "养护一班 · 2026-12-06")
    register.add([issue_row(n) for n in range(1, rows + 1)])
    register.close()
    pages = await printed(path, tmp_path)
    assert all(width > height for width, height in pages)  # A4 landscape
    assert all(round(width) == 842 and round(height) == 595 for width, height in pages)
    assert len(pages) == 1 if rows == 2 else 1 < len(pages) <= rows // 10  # one page wide
    sheet = load_workbook(path).active
    assert sheet is not None and sheet.print_title_rows == "$1:$1"  # the header on every page
    header = sheet.oddHeader
    assert header is not None and "养护一班" in str(header.center.text)


async def test_the_appendix_prints_one_page_a_sheet_with_its_charts_whole(
    harness: Harness, cast: Cast, tmp_path: Path
) -> None:
    await december(harness, cast)
    harness.clock.set(local("2027-01-04", "09:00"))
    reply = (await say(cast.group, cast.captain, "/summary 2026-12 xlsx"))[0]
    content = harness.emulator.files[reply.raw["document"]["file_id"]].content
    path = tmp_path / "appendix.xlsx"
    path.write_bytes(content)
    sheet_count = len(load_workbook(io.BytesIO(content)).sheetnames)
    pages = await printed(path, tmp_path)
    assert len(pages) == sheet_count  # before: 15 pages for 7 sheets, the charts cut in half


def test_a_page_header_keeps_every_ampersand_paired() -> None:
    header = _header_text("A&B 养护班 " + "&" * 150 + " · 2026-12-06")
    assert len(header) <= 255  # Excel's limit for a header
    assert all(len(run) % 2 == 0 for run in re.findall("&+", header))  # "&&" is one "&"
