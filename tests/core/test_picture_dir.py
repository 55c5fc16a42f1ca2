"""The digest's picture is written where no other local user can plant one."""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from core import images


def _grid() -> list[list[int]]:
    grid = [[0] * 5 for _ in range(5)]
    grid[3][4] = 2
    return grid


def test_default_directory_is_private_and_not_predictable() -> None:
    folder = images.default_dir()
    shared = Path(tempfile.gettempdir())
    assert folder != shared / "hromada-images"
    assert folder.name.startswith("hromada-images-") and len(folder.name) > 20
    info = folder.stat()
    assert stat.S_IMODE(info.st_mode) == 0o700 and info.st_uid == os.getuid()
    path = images.save(images.heatmap(_grid()), "risks")
    assert path.parent == folder


def test_a_picture_planted_at_the_old_shared_path_is_never_used() -> None:
    grid = _grid()
    key = images.key_of(grid)
    planted_dir = Path(tempfile.gettempdir()) / "hromada-images"
    planted_dir.mkdir(exist_ok=True)
    planted = planted_dir / f"digest-{key}.png"
    Image.new("RGB", (1, 1)).save(planted)
    try:
        assert images.existing("digest", key) is None
        path = images.save(images.heatmap(grid), "digest", key=key)
        assert path != planted
        with Image.open(path) as img:
            assert img.size == images.HEATMAP_SIZE
    finally:
        planted.unlink()


def test_a_given_directory_is_created_private_and_a_shared_one_refused(tmp_path: Path) -> None:
    mine = tmp_path / "pictures"
    images.save(images.heatmap(_grid()), "risks", mine)
    assert stat.S_IMODE(mine.stat().st_mode) == 0o700
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(PermissionError):
        images.save(images.heatmap(_grid()), "risks", shared)
