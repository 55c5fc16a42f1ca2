"""Pictures where people would rather look than read: the risk heat map and a trend chart.

Drawn with Pillow and its built-in default font, no network and no system fonts, so the same
numbers always give the same bytes. Files are named by their content, so writing twice is free.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import uuid
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

CELL = 56
MARGIN_LEFT = 44
MARGIN_TOP = 34
MARGIN_BOTTOM = 40
MARGIN_RIGHT = 12
HEATMAP_SIZE = (MARGIN_LEFT + 5 * CELL + MARGIN_RIGHT, MARGIN_TOP + 5 * CELL + MARGIN_BOTTOM)
TREND_SIZE = (420, HEATMAP_SIZE[1])
GAP = 16

BACKGROUND = (255, 255, 255)
INK = (40, 40, 40)
EMPTY = (238, 238, 238)
LOW = (255, 224, 130)  # one risk
HIGH = (200, 30, 30)  # the fullest cell
BAR = (60, 110, 190)
BAR_HIDDEN = (200, 200, 200)


@cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


def cell_colour(count: int, top: int) -> tuple[int, int, int]:
    """Grey for none; from pale yellow (one) to red (the largest count) in proportion."""
    if count <= 0:
        return EMPTY
    if top <= 1:
        share = 1.0 if count >= top else 0.0
    else:
        share = (count - 1) / (top - 1)
    return tuple(round(lo + (hi - lo) * share) for lo, hi in zip(LOW, HIGH, strict=True))  # type: ignore[return-value]


def cell_box(likelihood: int, impact: int) -> tuple[int, int, int, int]:
    """Pixel box of a cell: impact grows to the right, likelihood grows upwards."""
    x0 = MARGIN_LEFT + (impact - 1) * CELL
    y0 = MARGIN_TOP + (5 - likelihood) * CELL
    return x0, y0, x0 + CELL - 1, y0 + CELL - 1


def heatmap(grid: Sequence[Sequence[int]], *, title: str = "", likelihood: str = "L",
            impact: str = "I") -> Image.Image:
    """``grid[likelihood-1][impact-1]`` counts as a 5×5 heat map."""
    img = Image.new("RGB", HEATMAP_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(img)
    font = _font()
    top = max((n for row in grid for n in row), default=0)
    for lik in range(1, 6):
        for imp in range(1, 6):
            n = int(grid[lik - 1][imp - 1])
            box = cell_box(lik, imp)
            draw.rectangle(box, fill=cell_colour(n, top), outline=BACKGROUND, width=2)
            if n:
                cx, cy = (box[0] + box[2]) // 2, (box[1] + box[3]) // 2
                draw.text((cx, cy), str(n), fill=INK, font=font, anchor="mm")
    for i in range(1, 6):
        x0, y0, x1, y1 = cell_box(i, 1)
        draw.text((MARGIN_LEFT - 10, (y0 + y1) // 2), str(i), fill=INK, font=font, anchor="rm")
        x0, y0, x1, y1 = cell_box(1, i)
        draw.text(((x0 + x1) // 2, y1 + 10), str(i), fill=INK, font=font, anchor="mt")
    draw.text((8, MARGIN_TOP - 20), likelihood, fill=INK, font=font)
    draw.text((MARGIN_LEFT + 5 * CELL, HEATMAP_SIZE[1] - 14), impact, fill=INK, font=font,
              anchor="rm")
    if title:
        draw.text((MARGIN_LEFT, 8), title, fill=INK, font=font)
    return img


def bar_box(index: int, value: int, top: int, weeks: int) -> tuple[int, int, int, int]:
    """Pixel box of one week's bar (at least 2 px high when the value is above zero)."""
    left, right, y_top, y_base = 36, TREND_SIZE[0] - 12, MARGIN_TOP + 8, TREND_SIZE[1] - 40
    slot = (right - left) // weeks
    x0 = left + index * slot + slot // 6
    x1 = left + (index + 1) * slot - slot // 6
    height = 0 if top <= 0 else round((y_base - y_top) * value / top)
    if value > 0:
        height = max(height, 2)
    return x0, y_base - height, x1, y_base


def trend(values: Sequence[int | None], labels: Sequence[str], *, title: str = "") -> Image.Image:
    """One bar per week, oldest first; ``None`` (a hidden, too-small group) is a grey stub."""
    img = Image.new("RGB", TREND_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(img)
    font = _font()
    top = max((v for v in values if v is not None), default=0)
    weeks = max(len(values), 1)
    base = TREND_SIZE[1] - 40
    draw.line((30, base, TREND_SIZE[0] - 10, base), fill=INK, width=1)
    for i, value in enumerate(values):
        if value is None:
            x0, _, x1, _ = bar_box(i, 0, top, weeks)
            draw.rectangle((x0, base - 3, x1, base), fill=BAR_HIDDEN)
        else:
            box = bar_box(i, value, top, weeks)
            if value > 0:
                draw.rectangle(box, fill=BAR)
            draw.text(((box[0] + box[2]) // 2, box[1] - 4), str(value), fill=INK, font=font,
                      anchor="mb")
        x0, _, x1, _ = bar_box(i, 0, top, weeks)
        if i < len(labels):
            draw.text(((x0 + x1) // 2, base + 8), labels[i], fill=INK, font=font, anchor="mt")
    if title:
        draw.text((36, 8), title, fill=INK, font=font)
    return img


def side_by_side(*images: Image.Image) -> Image.Image:
    """Several pictures in one row, so platforms that take one image per message get all."""
    width = sum(i.width for i in images) + GAP * (len(images) - 1)
    height = max(i.height for i in images)
    out = Image.new("RGB", (width, height), BACKGROUND)
    x = 0
    for image in images:
        out.paste(image, (x, 0))
        x += image.width + GAP
    return out


def png_bytes(img: Image.Image) -> bytes:
    import io

    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False)
    return buf.getvalue()


@cache
def default_dir() -> Path:
    """This process's own picture directory: a fresh ``mkdtemp`` (mode 0700, unpredictable
    name), so no other local user can plant or swap the picture a digest posts."""
    path = Path(tempfile.mkdtemp(prefix="hromada-images-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _private(folder: Path) -> Path:
    """Create ``folder`` for pictures as 0700; refuse one another user could write to."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.stat()
    if st.st_uid != os.getuid() or st.st_mode & 0o022:
        raise PermissionError(f"picture directory {folder} is not private to this user")
    return folder


def key_of(*parts: object) -> str:
    """A stable name for a picture drawn from these inputs (drawing is deterministic)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:20]


def existing(name: str, key: str, directory: Path | None = None) -> Path | None:
    """The file already drawn from the same inputs, if any: drawing and encoding cost ~15 ms."""
    path = _private(directory or default_dir()) / f"{name}-{key}.png"
    return path if path.exists() else None


def save(img: Image.Image, name: str, directory: Path | None = None, *,
         key: str | None = None) -> Path:
    """Write a PNG named by its inputs' ``key`` (or its content); the same picture once."""
    data = png_bytes(img)
    folder = _private(directory or default_dir())
    path = folder / f"{name}-{key or hashlib.sha256(data).hexdigest()[:16]}.png"
    if not path.exists():
        tmp = path.with_suffix(f".{uuid.uuid4().hex[:8]}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path
