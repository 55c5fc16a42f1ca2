"""The dependency rule: bots → core → storage. core/ and storage/ never touch a platform SDK."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = ("slack_bolt", "slack_sdk", "discord")
LAYERS = {"core": PLATFORM + ("bots",), "storage": PLATFORM + ("bots", "core")}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module a file imports, wherever it sits (top level, functions, TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute | ast.Name)
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def forbidden(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_layer_imports_nothing_above_it(layer):
    files = sorted((ROOT / layer).rglob("*.py"))
    assert files, f"no Python files under {layer}/"
    offences = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if forbidden(module, LAYERS[layer])
    ]
    assert offences == []


def test_the_scanner_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "import slack_sdk.web as web\n"
        "from discord import Client\n"
        "def later():\n"
        "    from slack_bolt.app import App\n"
        "    import importlib\n"
        "    importlib.import_module('discord.ext')\n"
    )
    modules = [m for _, m in imported_modules(sample)]
    assert [m for m in modules if forbidden(m, PLATFORM)] == [
        "slack_sdk.web", "discord", "slack_bolt.app", "discord.ext"]


def test_importing_the_core_loads_no_platform_sdk():
    """In a fresh interpreter: the whole core and store load without any platform SDK."""
    code = (
        "import sys, pkgutil, importlib\n"
        "import core, storage, core.app, core.export, storage.db, storage.repos\n"
        "for pkg in (core, storage):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if '.migrations' not in info.name:\n"
        "            importlib.import_module(info.name)\n"
        f"banned = {PLATFORM!r} + ('bots',)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in banned)\n"
        "print(','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == ""


def test_the_runtime_check_would_notice(tmp_path):
    """Guard the guard: the same probe reports a platform SDK when one is imported."""
    code = "import sys, discord\nprint(','.join(m for m in sys.modules if m == 'discord'))\n"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    assert out.stdout.strip() == "discord"
