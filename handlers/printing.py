"""How a sheet of ours prints (registers and the report's appendix): on A4, landscape
when its columns are wider than a portrait page, fitted to one page wide, the header row
repeated on every page and frozen on screen, the document's title, group and date in the
page header and page numbers in the footer — a secretary prints it as it is."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from openpyxl.cell.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from handlers.cells import safe_text

PORTRAIT_WIDTH = 90  # column-width units that fit across a portrait A4 page


def lay_out(sheet: Any, headers: Sequence[str], widths: Sequence[int], heading: str) -> None:
    """Size the columns, write the bold header row, and set the sheet up for print; call
    before any other row (a streamed sheet is laid out before its rows are known)."""
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    setup = sheet.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.orientation = "landscape" if sum(widths) > PORTRAIT_WIDTH else "portrait"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    setup.fitToWidth, setup.fitToHeight = 1, 0  # one page wide, as many pages long as rows
    sheet.print_title_rows = "1:1"
    sheet.print_options.gridLines = True
    sheet.oddHeader.center.text = _header_text(heading)
    sheet.oddFooter.center.text = "&P / &N"
    head = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=safe_text(header))
        cell.font = Font(bold=True)
        head.append(cell)
    sheet.append(head)


def _header_text(heading: str) -> str:
    """The page header: ``&`` is a code in Excel's header language, so it is doubled."""
    return safe_text(heading)[:120].replace("&", "&&")  # cut first: never half a "&&"
