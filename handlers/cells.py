"""Safe spreadsheet cells: text as Excel (and the XML inside .xlsx and .docx files) may
hold it, and text that starts like a formula kept as text — for every file we make
(registers, the monthly report and its appendix); and typed values: dates and times
as dates, rates as numbers shown as percentages."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, WriteOnlyCell
from openpyxl.styles import Alignment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")


def safe_text(value: str) -> str:
    """Text as a spreadsheet cell may hold it: characters Excel (or XML) refuses removed."""
    return _NOT_XML.sub("", ILLEGAL_CHARACTERS_RE.sub("", value))


class Percent(float):
    """A rate (0.33) that a sheet shows as a percentage (33%) and sorts as a number."""


FORMATS: list[tuple[type, str]] = [
    (Percent, "0%"),
    (datetime, "yyyy-mm-dd hh:mm"),  # before date: a datetime is a date too
    (date, "yyyy-mm-dd"),
]


def _typed(sheet: Any, value: object) -> object:
    """A date, moment or rate as a cell with its number format; anything else as it is."""
    if not isinstance(value, Percent | datetime | date):
        return value
    number_format = next(f for kind, f in FORMATS if isinstance(value, kind))
    if isinstance(value, Percent):
        stored: float | datetime = float(value)
    elif isinstance(value, datetime):
        stored = value
    else:  # a day: midnight, shown as a date
        stored = datetime(value.year, value.month, value.day)
    cell = WriteOnlyCell(sheet, value=stored)
    cell.number_format = number_format
    return cell


def safe_cell(sheet: Any, value: object, wrap: Alignment) -> object:
    """A value as a streamed sheet's cell holds it: text cleaned of what Excel refuses,
    and text that starts like a formula (``=``, ``+``, ``-``, ``@``) kept as text with
    Excel's quote prefix; text with line breaks wrapped."""
    if not isinstance(value, str):
        return _typed(sheet, value)
    text = safe_text(value)
    if not text.startswith(FORMULA_STARTS) and "\n" not in text:
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    if text.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    cell.alignment = wrap
    return cell
