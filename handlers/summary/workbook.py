"""The report's .xlsx appendix: one sheet per section, streamed (openpyxl's write-only
mode, so thousands of issues need little memory), with native Excel charts — issues
opened and rectified per week, volunteer hours per member — that Excel and WPS draw
themselves (no image, no fonts needed). Text cells are cleaned and formulas defused as
in the registers. Called from a worker thread."""

from __future__ import annotations

import math
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment

from handlers.cells import safe_cell, safe_text
from handlers.printing import lay_out


class Sheet:
    """One sheet of the appendix, written row by row."""

    def __init__(
        self, sheet: Any, headers: Sequence[str], widths: Sequence[int], heading: str = ""
    ):
        """Header row in bold, columns sized, the header frozen, set up for print with
        ``heading`` at the top of each page."""
        self._sheet = sheet
        self._wrap = Alignment(wrap_text=True, vertical="top")
        self._x_title = safe_text(headers[0]) if headers else ""
        self.rows = 0
        self.largest = 0.0  # the largest number in the data columns (a chart's scale)
        lay_out(sheet, headers, widths, heading)

    def add(self, rows: Sequence[Sequence[object]]) -> None:
        """Append rows (text cleaned, formulas defused)."""
        for row in rows:
            self._sheet.append([safe_cell(self._sheet, value, self._wrap) for value in row])
            numbers = [v for v in row[1:] if isinstance(v, int | float)]
            self.largest = max([self.largest, *numbers])
            self.rows += 1

    def bar_chart(
        self, title: str, columns: int, anchor: str, *, y_title: str = "", counts: bool = False
    ) -> None:
        """A clustered column chart of the data columns 2..``columns`` against the first
        column, from the rows written so far (none: no chart). Its value axis starts at 0
        (bars are compared by their length); ``counts``: whole-number ticks."""
        if not self.rows:
            return
        chart = BarChart()
        chart.type = "col"
        chart.title = title
        chart.y_axis.title = y_title
        chart.x_axis.title = self._x_title
        chart.y_axis.scaling.min = 0
        if counts:
            step = max(1, math.ceil(self.largest / 8))
            chart.y_axis.majorUnit = step
            chart.y_axis.number_format = "0"
            chart.y_axis.scaling.max = step * max(1, math.ceil(self.largest / step))
        chart.x_axis.delete = False  # openpyxl 3.1 hides the axes from Excel otherwise
        chart.y_axis.delete = False
        chart.width, chart.height = 18, 9
        data = Reference(self._sheet, min_col=2, max_col=columns, min_row=1, max_row=self.rows + 1)
        labels = Reference(self._sheet, min_col=1, min_row=2, max_row=self.rows + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(labels)
        self._sheet.add_chart(chart, anchor)


class Appendix:
    """The appendix workbook: sheets in the order they are added."""

    def __init__(self, heading: str = "") -> None:
        """An empty appendix; ``heading`` (the report's title) tops every printed page."""
        self._book = Workbook(write_only=True)
        self._titles: set[str] = set()
        self._heading = heading

    def sheet(self, title: str, headers: Sequence[str], widths: Sequence[int]) -> Sheet:
        """A new sheet (its title cut to Excel's 31 characters, without the characters
        Excel refuses in titles)."""
        name = "".join(c for c in safe_text(title) if c not in "[]:*?/\\")[:31] or "-"
        while name in self._titles:
            name = name[:29] + f"_{len(self._titles)}"
        self._titles.add(name)
        heading = f"{title} · {self._heading}" if self._heading else title
        return Sheet(self._book.create_sheet(name), headers, widths, heading)

    def save(self, path: Path) -> int:
        """Write the file (aside, then moved into place); its size in bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            self._book.save(part)
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
        return path.stat().st_size
