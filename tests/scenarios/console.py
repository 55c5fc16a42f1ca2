"""Driving the real ``hromada chat`` program from a scenario: run it on a pipe, then read its
output in order."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

Step = tuple[str, list[str]]


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "HROMADA_"))}
    env.update(HROMADA_DATA_DIR=str(tmp_path / "data"), HROMADA_DATABASE_URL=db_url,
               HROMADA_SECRET_KEY="story-secret", HROMADA_LOG_LEVEL="WARNING",
               PYTHONIOENCODING="utf-8")
    return env


def run_program(args: list[str], script: str, *, db_url: str, tmp_path: Path) -> str:
    """Run ``hromada ARGS`` with the script on a pipe; it must end by itself and exit 0."""
    done = subprocess.run(
        [sys.executable, "-m", "bots.cli", *args], input=script, capture_output=True,
        text=True, encoding="utf-8", cwd=tmp_path, env=_env(db_url, tmp_path), timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    return done.stdout


def tenant_name(prefix: str) -> str:
    """PostgreSQL keeps one database per test session: a fresh tenant keeps stories apart."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def check_in_order(output: str, steps: list[Step]) -> None:
    """Every expected piece appears, in the order of the steps, after the one before it."""
    at = 0
    for command, expected in steps:
        for piece in expected:
            found = output.find(piece, at)
            if found < 0:
                pytest.fail(f"after {command!r} expected {piece!r}; the output from there:\n"
                            f"{output[at:at + 1500]}")
            at = found + len(piece)


def dm_recipients(output: str, text: str) -> list[set[str]]:
    """For each direct message containing ``text``: the names it went to."""
    out = []
    for line in output.splitlines():
        m = re.match(r"^→ (?:DM to|особисте повідомлення для) (.+?): (.*)$", line)
        if m and text in m.group(2):
            out.append({n.strip() for n in m.group(1).split(",")})
    return out
