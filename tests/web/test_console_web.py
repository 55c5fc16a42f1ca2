"""The console serves the web on its port: `hromada serve` with no token (what `make run`
runs) says where, `hromada web login` prints a one-time link, and the chat and the pages
share one store and one tally. A taken port is said in one line and the chat goes on."""

from __future__ import annotations

import os
import queue
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from storage.db import Database
from tests.web.conftest import csrf_in

WAIT = 60  # seconds: a bound on each wait for a line, never a sleep


def _env(db_url: str, tmp_path: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "HROMADA_", "PORT"))}
    env.update(HROMADA_DATA_DIR=str(tmp_path / "data"), HROMADA_DATABASE_URL=db_url,
               HROMADA_SECRET_KEY="web-console-secret", HROMADA_LOG_LEVEL="WARNING",
               PYTHONIOENCODING="utf-8", PORT=str(port))
    return env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Program:
    """A running `hromada` whose output lines arrive on a queue."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<eof>")

    def expect(self, pattern: str) -> re.Match[str]:
        while True:
            line = self.lines.get(timeout=WAIT)
            self.seen.append(line)
            assert line != "<eof>", "\n".join(self.seen)
            found = re.search(pattern, line)
            if found:
                return found

    def say(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()


@contextmanager
def serving(env: dict[str, str], cwd: Path) -> Iterator[Program]:
    proc = subprocess.Popen([sys.executable, "-m", "bots.cli", "serve"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            encoding="utf-8", env=env, cwd=cwd)
    program = Program(proc)
    try:
        yield program
    finally:
        if proc.stdin is not None and not proc.stdin.closed:
            proc.stdin.close()
        try:
            proc.wait(timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
            if proc.stderr is not None:
                proc.stderr.close()
            if proc.stdout is not None:
                proc.stdout.close()


def _login_link(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bots.cli", "web", "login", *args],
                          capture_output=True, text=True, encoding="utf-8", env=env, cwd=cwd,
                          timeout=WAIT * 2)
    assert done.returncode == 0, done.stderr
    assert "one use, valid 10 minutes" in done.stderr
    return done.stdout.strip()


def test_the_console_serves_the_web_and_shares_the_tally(db: Database, db_url: str,
                                                         tmp_path: Path) -> None:
    """``db``: on PostgreSQL the shared test database starts empty (console:demo is fixed)."""
    port = _free_port()
    env = _env(db_url, tmp_path, port)
    with serving(env, tmp_path) as chat:
        where = chat.expect(r"Web view: (http://127\.0\.0\.1:\d+)/")
        base = where.group(1)
        assert base == f"http://127.0.0.1:{port}"
        chat.say("/idea Dark mode for the wiki")
        chat.expect(r"I-1 · Dark mode for the wiki")

        link = _login_link(env, tmp_path, "--as", "Alice", "--tenant", "demo")
        assert re.fullmatch(rf"{re.escape(base)}/login/link/[\w-]{{20,}}", link)
        with httpx.Client(base_url=base, follow_redirects=False, timeout=WAIT) as web:
            assert web.get("/healthz").status_code == 200  # the operator's paths stay
            page = web.get(link.removeprefix(base))
            assert page.status_code == 200
            signed = web.post(link.removeprefix(base), data={"csrf": csrf_in(page.text)})
            assert signed.status_code == 303
            board = web.get("/t/console:demo/ideas")
            assert board.status_code == 200 and "Dark mode for the wiki" in board.text
            voted = web.post("/t/console:demo/ideas/I-1/vote",
                             data={"csrf": csrf_in(board.text), "vote": "up"})
            assert voted.status_code == 303
            chat.say("/idea show I-1")
            chat.expect(r"\+1 \(👍 1 · 👎 0\)")
            # The console's admin ("you") votes in chat; the page shows both votes.
            chat.say("react +1 I-1")
            chat.say("/idea show I-1")
            chat.expect(r"\+2 \(👍 2 · 👎 0\)")
            assert 'data-score="2"' in web.get("/t/console:demo/ideas/I-1").text
            # A used link signs nobody in again.
            assert web.get(link.removeprefix(base)).status_code == 410


def test_a_taken_port_is_said_in_one_line_and_the_chat_goes_on(db: Database, db_url: str,
                                                                tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with serving(_env(db_url, tmp_path, port), tmp_path) as chat:
            said = chat.expect(r"Web view not served: port (\d+) is taken")
            assert int(said.group(1)) == port
            chat.say("/idea Quiet hours on Wednesday")
            chat.expect(r"I-1 · Quiet hours on Wednesday")
        assert chat.proc.returncode == 0
