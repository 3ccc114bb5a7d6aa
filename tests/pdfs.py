"""Reading the PDFs the wall prints (the poster): pages, paper and where the words are,
with poppler's pdfinfo and pdftotext where installed (Debian: poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

A3 = (842, 1191)  # points, rounded


def pdf_pages(pdf: bytes) -> tuple[int, str]:
    """How many pages a PDF has and the paper of its first ("A3" or "W×H" in points):
    poppler's pdfinfo where it is installed, else the page objects counted."""
    if shutil.which("pdfinfo"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
            file.write(pdf)
            file.flush()
            info = subprocess.run(
                ["pdfinfo", file.name], capture_output=True, text=True, check=True
            ).stdout
        pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M)[1])  # type: ignore[index]
        size = re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M)
    else:
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
        size = re.search(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)", pdf)  # type: ignore[assignment]
    assert size is not None, "the PDF names no page size"
    paper = (round(float(size[1])), round(float(size[2])))
    return pages, "A3" if paper == A3 else f"{paper[0]}×{paper[1]}"


def pdf_words(pdf: Path) -> list[tuple[float, str]]:
    """The words of a PDF's first page with the height of their middle (points from the
    top), as poppler's pdftotext places them."""
    boxes = subprocess.run(
        ["pdftotext", "-bbox", "-l", "1", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    found = re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<', boxes)
    return [((float(top) + float(bottom)) / 2, word) for top, bottom, word in found]
