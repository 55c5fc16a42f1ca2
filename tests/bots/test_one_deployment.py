"""One deployment, one key, one schema: processes that start together on one store migrate it
once and hash with the same key; a process with a different key refuses to start.

Real OS processes (multiprocessing, spawn) meet at a barrier, then each runs the same start-up
as ``hromada serve`` (``bots.runtime.build``) on a fresh store: a new SQLite file, or a new
PostgreSQL database when HROMADA_TEST_DATABASE_URL is set.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, make_url, text

from core.keys import fingerprint
from storage.db import alembic_config

PG_URL = os.environ.get("HROMADA_TEST_DATABASE_URL")
PROCESSES = 4


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    if not PG_URL:
        pytest.skip("HROMADA_TEST_DATABASE_URL is not set")
    admin_url = make_url(PG_URL)
    name = f"hromada_k_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _start(url: str, data_dir: str, key: str | None, barrier: object, out: str) -> None:
    """One process starting up as ``hromada serve`` does; writes its key's fingerprint."""
    from pydantic import SecretStr

    from bots.runtime import build
    from core.config import Settings

    settings = Settings(_env_file=None, database_url=url,  # type: ignore[call-arg]
                        data_dir=Path(data_dir),
                        secret_key=SecretStr(key) if key is not None else None)
    barrier.wait(timeout=120)  # type: ignore[attr-defined]
    hromada = build(settings)
    Path(out).write_text(fingerprint(hromada.secret), encoding="utf-8")
    hromada.db.dispose()


def _together(url: str, tmp_path: Path, key: str | None) -> list[str]:
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES)
    outs = [tmp_path / f"key-{i}.txt" for i in range(PROCESSES)]
    procs = [ctx.Process(target=_start, args=(url, str(tmp_path / f"data-{i}"), key, barrier,
                                              str(out)))
             for i, out in enumerate(outs)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=300)
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    return [o.read_text(encoding="utf-8") for o in outs]


def _heads(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def test_processes_starting_together_migrate_once_and_share_one_generated_key(
        fresh_url: str, tmp_path: Path) -> None:
    prints = _together(fresh_url, tmp_path, None)
    assert len(set(prints)) == 1, "every process hashes with the same key"
    head = ScriptDirectory.from_config(alembic_config(fresh_url)).get_current_head()
    assert _heads(fresh_url) == [head]
    # No process kept a key of its own on disk: the store holds the one key.
    assert not any((tmp_path / f"data-{i}" / "secret.key").exists() for i in range(PROCESSES))


def test_processes_with_the_configured_key_agree(fresh_url: str, tmp_path: Path) -> None:
    prints = _together(fresh_url, tmp_path, "one-key-for-all")
    assert set(prints) == {fingerprint(b"one-key-for-all")}
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT key, fingerprint, source FROM deployment_key")).all()
    finally:
        engine.dispose()
    assert rows == [(None, fingerprint(b"one-key-for-all"), "environment")]  # never the key


def _serve(url: str, tmp_path: Path, key: str | None, **extra: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "DISCORD_", "HROMADA_"))}
    env.update(HROMADA_DATABASE_URL=url, HROMADA_DATA_DIR=str(tmp_path / "data"),
               HROMADA_LOG_LEVEL="WARNING", **extra)
    if key is not None:
        env["HROMADA_SECRET_KEY"] = key
    return subprocess.run([sys.executable, "-m", "bots.cli", "serve"], input="", text=True,
                          capture_output=True, env=env, cwd=tmp_path, timeout=120)


def test_a_process_with_a_different_key_refuses_to_start(fresh_url: str, tmp_path: Path) -> None:
    assert _serve(fresh_url, tmp_path, "the-first-key").returncode == 0
    refused = _serve(fresh_url, tmp_path, "another-key")
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "HROMADA_SECRET_KEY is not the key" in lines[0]
    assert "Traceback" not in refused.stderr
    # With platform tokens too: it refuses before connecting anywhere.
    refused = _serve(fresh_url, tmp_path, "another-key", DISCORD_TOKEN="x",
                     DISCORD_API_URL="http://127.0.0.1:9")
    assert refused.returncode == 2 and "refusing to start" in refused.stderr
    # Without any key, while the others use HROMADA_SECRET_KEY: refused as well.
    missing = _serve(fresh_url, tmp_path, None)
    assert missing.returncode == 2 and "set it here too" in missing.stderr
    assert _serve(fresh_url, tmp_path, "the-first-key").returncode == 0


def test_an_existing_data_dir_key_is_adopted_once(fresh_url: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "secret.key").write_text("old-host-key\n", encoding="utf-8")
    assert _serve(fresh_url, tmp_path, None).returncode == 0
    engine = create_engine(fresh_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT key, source FROM deployment_key")).one()
    finally:
        engine.dispose()
    assert tuple(row) == ("old-host-key", "adopted")
    assert _serve(fresh_url, tmp_path, "old-host-key").returncode == 0  # moving to the env
    (data / "secret.key").write_text("a-different-host-key\n", encoding="utf-8")
    refused = _serve(fresh_url, tmp_path, None)
    assert refused.returncode == 2 and "secret.key holds a different key" in refused.stderr


@pytest.fixture(autouse=True)
def _no_leftover_children() -> object:
    yield
    for child in mp.active_children():
        child.kill()
