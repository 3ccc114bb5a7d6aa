"""Safe spreadsheet cells: text as Excel (and the XML inside .xlsx and .docx files) may
hold it, and text that starts like a formula kept as text — for every file we make
(registers, the monthly report and its appendix)."""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def safe_text(value: str) -> str:
    """Text as a spreadsheet cell may hold it: characters Excel (or XML) refuses removed."""
    return _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))


def safe_cell(sheet: Any, value: object, wrap: Alignment) -> object:
    """A value as a streamed sheet's cell holds it: text cleaned of what Excel refuses,
    and text that starts like a formula (``=``, ``+``, ``-``, ``@``) kept as text with
    Excel's quote prefix; text with line breaks wrapped."""
    if not isinstance(value, str):
        return value
    text = safe_text(value)
    if not text.startswith(FORMULA_STARTS) and "\n" not in text:
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    cell.alignment = wrap
    return cell
