"""The photo files the report places: real JPEGs that compress like phone photos, made
once in worker processes, handed out in order."""

from __future__ import annotations

import io
import multiprocessing
import random
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from PIL import Image, ImageDraw

WIDTH, HEIGHT = 1280, 960  # a phone photo as Telegram keeps its largest size


def _jpeg(seed: int) -> bytes:
    """A 1280×960 JPEG that compresses like a photo (shapes, gradients, sensor noise:
    about 250 KB at quality 85)."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).rotate(rng.uniform(0, 360))
    tint = Image.new("RGB", (WIDTH, HEIGHT), tuple(rng.randrange(60, 200) for _ in range(3)))
    image = Image.blend(base.convert("RGB"), tint, 0.5)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(20, 200)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((WIDTH, HEIGHT), rng.uniform(20, 30)).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return data.getvalue()


def _write_photo(path: Path, seed: int) -> int:
    """Write one photo (unless it is there already); its size."""
    if not path.exists():
        part = path.with_suffix(".part")
        part.write_bytes(_jpeg(seed))
        part.replace(path)
    return path.stat().st_size


def make_photos(folder: Path, count: int) -> tuple[list[Path], float]:
    """``count`` distinct photo files in ``folder`` (made once, reused by later runs in
    the same folder), in worker processes; the files and their mean size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{n:04d}.jpg" for n in range(count)]
    spawn = multiprocessing.get_context("spawn")  # the caller has threads: no fork
    with ProcessPoolExecutor(mp_context=spawn) as pool:
        sizes = list(pool.map(_write_photo, paths, range(count), chunksize=8))
    return paths, sum(sizes) / max(1, len(sizes))


class Files:
    """Hands out the distinct files in order; ``any()`` gives one to reuse."""

    def __init__(self, paths: list[Path]) -> None:
        """None handed out yet."""
        self.paths = paths
        self.next = 0
        self.reused = 0

    def take(self) -> str:
        """The next distinct file (a ValueError past the last)."""
        if self.next >= len(self.paths):
            raise ValueError("more placed photos than files")
        self.next += 1
        return str(self.paths[self.next - 1])

    def any(self) -> str:
        """A file to reuse (for a photo the report does not place)."""
        self.reused += 1
        return str(self.paths[self.reused % len(self.paths)])
