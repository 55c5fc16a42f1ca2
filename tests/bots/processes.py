"""Real ``hromada serve`` OS processes for the many-process tests, always stopped at the end.

Each process runs ``python -m bots.cli serve`` in its own directory (so no ``.env`` of the
checkout leaks in) with only the environment the test gives it, and writes its log to a file
that a failing test shows.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SECRET = "many-processes-test-secret"
# Settings a developer's shell may carry that would change what a process serves.
CLEARED = ("SLACK_", "DISCORD_", "HROMADA_", "PORT")


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    log: Path

    def text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def base_env(db_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(CLEARED)}
    env.update({
        "HROMADA_DATABASE_URL": db_url, "HROMADA_SECRET_KEY": SECRET,
        "HROMADA_DATA_DIR": str(data_dir), "HROMADA_SCHEDULER_TICK_SECONDS": "0.2",
        "HROMADA_LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1",
        # Each process's HTTP port (probes and metrics, Slack's events): any free one, so
        # processes on one machine never collide.
        "PORT": "0",
    })
    return env


@contextmanager
def serving(envs: list[dict[str, str]], workdir: Path) -> Iterator[list[Served]]:
    """Start one ``hromada serve`` per environment; terminate (then kill) them all at the end."""
    started: list[Served] = []
    try:
        for i, env in enumerate(envs):
            home = workdir / f"process-{i}"
            home.mkdir(parents=True, exist_ok=True)
            log = home / "serve.log"
            with log.open("wb") as out:
                proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve"], cwd=home,
                                        env=env, stdout=out, stderr=subprocess.STDOUT)
            started.append(Served(proc, log))
        yield started
    finally:
        stop(started)


def stop(started: list[Served]) -> None:
    for served in started:
        if served.process.poll() is None:
            served.process.send_signal(signal.SIGTERM)
    for served in started:
        try:
            served.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            served.process.kill()
            served.process.wait(timeout=10)


def logs(started: list[Served]) -> str:
    """Every process's log, for an assertion message."""
    return "\n".join(f"--- process {i} (exit {s.process.poll()}) ---\n{s.text()[-4000:]}"
                     for i, s in enumerate(started))
