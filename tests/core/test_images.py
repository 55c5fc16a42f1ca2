"""The pictures decode, have the expected size, and their colours follow the numbers."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from core import images
from core.app import Hromada
from core.replies import Reply


def _corner(img: Image.Image, lik: int, imp: int) -> tuple[int, int, int]:
    """A pixel inside a cell, away from its centred number and its border."""
    x0, y0, _, _ = images.cell_box(lik, imp)
    pixel = img.getpixel((x0 + 5, y0 + 5))
    assert isinstance(pixel, tuple)
    return pixel[0], pixel[1], pixel[2]


def _redness(rgb: tuple[int, int, int]) -> int:
    return rgb[0] - rgb[1]


def test_heatmap_png_decodes_with_its_size_and_colours_follow_counts(tmp_path: Path) -> None:
    grid = [[0] * 5 for _ in range(5)]
    grid[0][0], grid[1][2], grid[3][3], grid[4][4] = 1, 2, 6, 4  # grid[likelihood-1][impact-1]
    path = images.save(images.heatmap(grid, title="Risks"), "risks", tmp_path)
    with Image.open(path) as img:
        assert img.format == "PNG"
        assert img.size == images.HEATMAP_SIZE
        img = img.convert("RGB")
        assert _corner(img, 5, 1) == images.EMPTY
        assert _corner(img, 1, 1) == images.LOW
        assert _corner(img, 4, 4) == images.HIGH
        order = [_redness(_corner(img, lik, imp)) for lik, imp in ((1, 1), (2, 3), (5, 5),
                                                                    (4, 4))]
        assert order == sorted(order) and len(set(order)) == 4


def test_same_picture_same_file_and_a_different_one_elsewhere(tmp_path: Path) -> None:
    grid = [[1, 0, 0, 0, 0]] + [[0] * 5 for _ in range(4)]
    a = images.save(images.heatmap(grid), "risks", tmp_path)
    b = images.save(images.heatmap(grid), "risks", tmp_path)
    grid[2][2] = 3
    c = images.save(images.heatmap(grid), "risks", tmp_path)
    assert a == b != c
    assert a.read_bytes() == b.read_bytes()


def test_trend_bars_grow_with_values_and_hidden_weeks_are_stubs(tmp_path: Path) -> None:
    values: list[int | None] = [2, 4, None, 8, 0, 6, 5, 7]
    path = images.save(images.trend(values, [f"W{i}" for i in range(8)]), "trend", tmp_path)
    with Image.open(path) as img:
        assert img.size == images.TREND_SIZE
        img = img.convert("RGB")
        heights = []
        for i, value in enumerate(values):
            x0, _, x1, base = images.bar_box(i, 0, 8, 8)
            x = (x0 + x1) // 2
            y = base - 1
            h = 0
            while img.getpixel((x, y - h)) == images.BAR:
                h += 1
            heights.append(h)
            if value is None:
                assert img.getpixel((x, base - 1)) == images.BAR_HIDDEN
        shown = [(v, h) for v, h in zip(values, heights, strict=True) if v is not None]
        assert [h for _, h in sorted(shown)] == sorted(h for _, h in shown)
        assert dict(shown)[0] == 0 and dict(shown)[8] > dict(shown)[2] > 0


def test_side_by_side_holds_both_pictures() -> None:
    both = images.side_by_side(images.heatmap([[0] * 5] * 5), images.trend([1, 2], ["a", "b"]))
    assert both.size == (images.HEATMAP_SIZE[0] + images.GAP + images.TREND_SIZE[0],
                         max(images.HEATMAP_SIZE[1], images.TREND_SIZE[1]))


def test_risk_matrix_reply_carries_the_heat_map(hromada: Hromada, actor) -> None:
    alice = actor("alice")
    hromada.run(alice, "risk", "Only one person can renew the certificates")
    hromada.run(alice, "risk", "rate R-1 4 5")
    reply: Reply = hromada.run(alice, "risk", "matrix")
    assert reply.image is not None and reply.image.exists()
    with Image.open(reply.image) as img:
        img = img.convert("RGB")
        assert _corner(img, 4, 5) == images.HIGH  # the only risk: the fullest cell
        assert _corner(img, 5, 5) == images.EMPTY
