"""The monthly report as a Word document (python-docx), laid out for editing: built-in
styles only (Title, Heading 1/2, Normal, Table Grid), no text boxes, fonts named for
East Asian text (宋体 for the body, 黑体 for headings) so it opens the same in WPS and
Word, page numbers in the footer, and photos scaled down to fit the page.

The methods do CPU work (XML, image scaling): they are called from a worker thread, a
page of rows at a time, while the event loop keeps serving.
"""

from __future__ import annotations

import io
import logging
import secrets
from collections.abc import Sequence
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Emu, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from PIL import Image, ImageOps, UnidentifiedImageError

from handlers.cells import safe_text
from handlers.summary.views import Block, Pair, Picture

log = logging.getLogger(__name__)

BODY_FONT = "宋体"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
PIXELS = 1000  # longest side of a photo in the document (enough for print at its size)
QUALITY = 80
SIDE_BY_SIDE = Cm(7.3)
THIRD = Cm(4.8)
TALLEST = Cm(12)  # a photo's height on the page (half the text height)
MAX_PICTURES = 400  # photos in one document
MAX_BYTES = 40 * 1024 * 1024  # of photos in one document: under Telegram's 50 MB
ISSUE_WIDTHS = (1.2, 3.2, 1.6, 1.3, 1.7, 1.7, 1.8, 1.7)  # cm: the issue table's columns


def _text(value: str) -> str:
    return safe_text(value)


def _fonts(style: BaseStyle, name: str, *, size: float | None = None, bold: bool = False) -> None:
    """Name the style's Latin and East Asian fonts (theme fonts removed, so WPS and
    Word agree), black text."""
    font = style.font  # type: ignore[attr-defined]
    font.name = LATIN_FONT
    font.color.rgb = RGBColor(0, 0, 0)
    if size is not None:
        font.size = Pt(size)
    if bold:
        font.bold = True
    fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)
    fonts.set(qn("w:eastAsia"), name)


class Draft:
    """A report being written: sections, blocks, tables and photos go in in order;
    :meth:`save` writes the file. ``labels``: the few words the layout itself needs
    (page number, photo missing, before / after)."""

    def __init__(self, title: str, subtitle: str, labels: dict[str, str], language: str) -> None:
        self.labels = labels
        self.pictures = 0  # photos placed
        self.missing = 0  # photos noted as missing
        self.skipped = 0  # photos left out: past MAX_PICTURES or MAX_BYTES
        self.bytes = 0  # of the photos placed
        self._doc = Document()
        section = self._doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Cm(21), Cm(29.7)
        section.left_margin = section.right_margin = Cm(3)
        section.top_margin = section.bottom_margin = Cm(2.5)
        styles = self._doc.styles
        _fonts(styles["Normal"], BODY_FONT, size=12)
        rpr = styles["Normal"].element.get_or_add_rPr()
        lang = OxmlElement("w:lang")
        lang.set(qn("w:val"), "zh-CN" if language == "zh" else "en-US")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)
        _fonts(styles["Title"], HEADING_FONT, size=18, bold=True)
        title_ppr = styles["Title"].element.get_or_add_pPr()
        for border in title_ppr.findall(qn("w:pBdr")):  # the template's rule under the title
            title_ppr.remove(border)
        _fonts(styles["Heading 1"], HEADING_FONT, size=16, bold=True)
        _fonts(styles["Heading 2"], HEADING_FONT, size=13, bold=True)
        cells = styles.add_style("Table Text", WD_STYLE_TYPE.PARAGRAPH)
        cells.base_style = styles["Normal"]
        cells.font.size = Pt(10.5)  # 五号: the text of tables
        defaults = self._doc.styles.element.find(qn("w:docDefaults"))
        for old in [] if defaults is None else defaults.iter(qn("w:lang")):
            old.set(qn("w:val"), lang.get(qn("w:val")) or "zh-CN")
            old.set(qn("w:eastAsia"), "zh-CN")
        self._doc.core_properties.title = _text(title)
        self._doc.core_properties.author = "先锋助手" if language == "zh" else "Vanguard"
        heading = self._doc.add_paragraph(_text(title), style="Title")
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        sub = self._doc.add_paragraph(_text(subtitle))
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self._page_numbers(section.footer.paragraphs[0])

    def _page_numbers(self, paragraph: Paragraph) -> None:
        """``第 N 页`` (a PAGE field) centred in the footer."""
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        before, _, after = self.labels["page"].partition("{page}")
        if before:
            paragraph.add_run(before)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        run = OxmlElement("w:r")
        text = OxmlElement("w:t")
        text.text = "1"
        run.append(text)
        field.append(run)
        paragraph._p.append(field)
        if after:
            paragraph.add_run(after)

    def section(self, heading: str) -> None:
        """A section heading (Heading 1)."""
        self._doc.add_heading(_text(heading), level=1)

    def subheading(self, heading: str) -> None:
        """A heading inside a section (Heading 2)."""
        self._doc.add_heading(_text(heading), level=2)

    def paragraph(self, text: str) -> None:
        """A paragraph of body text."""
        self._doc.add_paragraph(_text(text))

    def lines(self, lines: Sequence[str]) -> None:
        """One paragraph per line."""
        for line in lines:
            self._doc.add_paragraph(_text(line))

    def block(self, block: Block) -> None:
        """A titled entry: heading, its lines, its photos in a row."""
        self.subheading(block.heading)
        self.lines(block.lines)
        if block.pictures:
            width = SIDE_BY_SIDE if len(block.pictures) <= 2 else THIRD
            self._photo_row(block.pictures, width)

    @property
    def _full(self) -> bool:
        return self.pictures + self.missing >= MAX_PICTURES or self.bytes >= MAX_BYTES

    def _photo_row(self, pictures: Sequence[Picture], width: Cm) -> None:
        if self._full:
            self.skipped += len(pictures)
            return
        table = self._doc.add_table(rows=1, cols=len(pictures))
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, shown in zip(table.rows[0].cells, pictures, strict=True):
            self._picture(cell.paragraphs[0], shown, width)

    def _picture(self, paragraph: Paragraph, shown: Picture, width: Cm) -> None:
        """The photo scaled to ``width`` (its file shrunk to PIXELS), or a one-line note
        that it is missing (nothing past the document's MAX_PICTURES)."""
        if self._full:
            self.skipped += 1
            return
        scaled = _scaled(shown.path)
        if scaled is None:
            self.missing += 1
            paragraph.add_run(self.labels["missing"].format(name=shown.name))
            return
        data, pixels_wide, pixels_high = scaled
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        shown_width = min(width, int(TALLEST * pixels_wide / pixels_high))  # a long screenshot
        paragraph.add_run().add_picture(data, width=Emu(shown_width))
        self.pictures += 1
        self.bytes += data.getbuffer().nbytes

    def table(self, headers: Sequence[str], widths: Sequence[float]) -> TableWriter:
        """A table with a bold header row, filled a page at a time."""
        table = self._doc.add_table(rows=1, cols=len(headers))
        table.style = self._doc.styles["Table Grid"]
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Cm(width)  # the grid, which WPS and LibreOffice read
        header_row = table.rows[0]._tr.get_or_add_trPr()
        repeat = OxmlElement("w:tblHeader")  # the header row again on every page
        repeat.set(qn("w:val"), "true")
        header_row.append(repeat)
        style = self._doc.styles["Table Text"]
        writer = TableWriter(table, [Cm(w) for w in widths], style)
        for cell, header in zip(table.rows[0].cells, headers, strict=True):
            cell.paragraphs[0].style = style
            cell.paragraphs[0].add_run(_text(header)).bold = True
        writer.size(table.rows[0].cells)
        return writer

    def pairs(self, pairs: Sequence[Pair]) -> None:
        """Before / after photos side by side, one issue per two rows (caption, photos)
        (six pairs at most: they come before the events' photos, within the budget)."""
        if self._full:
            self.skipped += 2 * len(pairs)
            return
        table = self._doc.add_table(rows=0, cols=2)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        for shown in pairs:
            caption = table.add_row().cells
            merged = caption[0].merge(caption[1])
            merged.paragraphs[0].add_run(_text(shown.caption)).bold = True
            photos = table.add_row().cells
            for cell, side, label in (
                (photos[0], shown.before, self.labels["before"]),
                (photos[1], shown.after, self.labels["after"]),
            ):
                self._picture(cell.paragraphs[0], side, SIDE_BY_SIDE)
                cell.add_paragraph(label).alignment = WD_ALIGN_PARAGRAPH.CENTER

    def save(self, path: Path) -> int:
        """Write the file (aside under a name of its own, then moved into place, so a
        failure never leaves half a report); its size in bytes."""
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
        try:
            self._doc.save(str(part))
            part.replace(path)
        finally:
            part.unlink(missing_ok=True)
        return path.stat().st_size


class TableWriter:
    """Rows added to a table of the draft."""

    def __init__(self, table: Table, widths: list[Cm], style: BaseStyle) -> None:
        self._table = table
        self._widths = widths
        # the style's id, looked up once: python-docx's setter looks up the document's
        # default style among all its styles at every cell (a fifth of a report's time)
        self._style_id = style.style_id
        self.rows = 0

    def size(self, cells: Sequence[object]) -> None:
        """Give a row's cells the column widths (Word reads them per cell)."""
        for cell, width in zip(cells, self._widths, strict=False):
            cell.width = width  # type: ignore[attr-defined]

    def add(self, rows: Sequence[Sequence[str]]) -> None:
        """Append rows of text."""
        for row in rows:
            cells = self._table.add_row().cells  # type: ignore[no-untyped-call]
            for cell, value in zip(cells, row, strict=True):
                cell.text = _text(value)
                cell.paragraphs[0]._p.style = self._style_id
            self.size(cells)
            self.rows += 1


def _scaled(path: Path | None) -> tuple[io.BytesIO, int, int] | None:
    """The photo as a JPEG no larger than PIXELS on its longest side, turned upright,
    with its size in pixels; None when the file is missing or not an image."""
    if path is None:
        return None
    try:
        with Image.open(path) as image:
            image.draft("RGB", (PIXELS, PIXELS))  # a JPEG is decoded at a fraction of its size
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            image.thumbnail((PIXELS, PIXELS))
            data = io.BytesIO()
            image.convert("RGB").save(data, "JPEG", quality=QUALITY)
    except (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError) as error:
        log.info("photo %s left out of the report: %s", path.name, error)
        return None
    data.seek(0)
    return data, max(image.width, 1), max(image.height, 1)
