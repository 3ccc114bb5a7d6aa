"""Scaled copies of the photos a wall page shows: made once from the downloaded
original (never the original itself), kept beside the media, read off the event loop."""

from __future__ import annotations

import base64
import logging
from pathlib import Path

from storage.models import Photo

log = logging.getLogger(__name__)
EDGE = 960  # pixels: the longer side of a page's photo
QUALITY = 80


def scaled_path(media_dir: Path, photo: Photo) -> Path:
    """Where the page's copy of ``photo`` is kept."""
    return media_dir / "wall" / f"{photo.id}-{EDGE}.jpg"


def scaled(media_dir: Path, photo: Photo) -> Path | None:
    """The page's copy of ``photo`` (made now if missing), or None when the original is
    missing, outside the media folder or not a picture. Blocking: run in a thread."""
    if not photo.local_path:
        return None
    target = scaled_path(media_dir, photo)
    if target.exists():
        return target
    root = media_dir.resolve()
    original = Path(photo.local_path)
    original = (original if original.is_absolute() else Path.cwd() / original).resolve()
    if not original.is_relative_to(root) or not original.is_file():
        return None
    from PIL import Image, ImageOps

    try:
        with Image.open(original) as image:
            picture = ImageOps.exif_transpose(image).convert("RGB")
            picture.thumbnail((EDGE, EDGE))
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_suffix(".part")
            picture.save(part, "JPEG", quality=QUALITY, optimize=True)
            part.replace(target)
    except (OSError, Image.DecompressionBombError, ValueError) as error:
        log.warning("photo %s cannot be shown on a page: %s", photo.id, error)
        return None
    return target


def inline(media_dir: Path, photo: Photo) -> str:
    """The page's copy of ``photo`` as a data: URL (a self-contained file), or an empty
    picture when there is none. Blocking."""
    path = scaled(media_dir, photo)
    if path is None:
        return "data:image/gif;base64,R0lGODlhAQABAAAAACw="
    return "data:image/jpeg;base64," + base64.b64encode(path.read_bytes()).decode()
