"""One deployment, one key: every process of a deployment hashes with the same secret.

The key comes from ``HROMADA_SECRET_KEY`` when it is set, else from the store, where the first
process to start creates it (insert-if-absent on a one-row table, then read back, so processes
starting together agree on SQLite and PostgreSQL alike). An existing ``data_dir/secret.key``
(how keys were kept before) is adopted into the store when the store has none yet.

What the store holds: a key generated here (or adopted) is stored itself, since the other
processes have no other way to learn it; a key from the environment is never stored, only a
keyed fingerprint of it, so a process started with a different key notices and refuses to run
(two keys would let a member answer a pulse twice, once per key, and unlink anonymous authors).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from pathlib import Path

from storage import keys
from storage.db import Database

_FINGERPRINT = b"hromada deployment key fingerprint v1"


class KeyMismatch(Exception):
    """This process's key is not the deployment's: it must not start. One line, for people."""


def fingerprint(key: bytes) -> str:
    """An HMAC of a fixed text under the key: equal keys, equal fingerprints; it reveals none."""
    return hmac.new(key, _FINGERPRINT, hashlib.sha256).hexdigest()


def deployment_key(db: Database, *, configured: bytes | None, legacy_file: Path | None,
                   now: datetime) -> bytes:
    """The deployment's key for this process, or ``KeyMismatch`` when it has a different one."""
    legacy = _read(legacy_file)
    with db.uow() as session:
        if configured is not None:
            row = keys.first_or_existing(session, key=None, fingerprint=fingerprint(configured),
                                         source=keys.ENVIRONMENT, now=now)
            if not hmac.compare_digest(row.fingerprint, fingerprint(configured)):
                raise KeyMismatch(
                    "HROMADA_SECRET_KEY is not the key this deployment's database was set up "
                    f"with ({row.source} key, fingerprint {row.fingerprint[:12]}); give every "
                    "process the same key")
            return configured
        candidate = legacy if legacy is not None else secrets.token_hex(32)
        row = keys.first_or_existing(
            session, key=candidate, fingerprint=fingerprint(candidate.encode()),
            source=keys.ADOPTED if legacy is not None else keys.GENERATED, now=now)
    if row.key is None:
        raise KeyMismatch("this deployment's other processes take their key from "
                          "HROMADA_SECRET_KEY; set it here too")
    if legacy is not None and legacy != row.key:
        raise KeyMismatch(f"{legacy_file} holds a different key from the one in this "
                          "deployment's database; remove the file (the database's key is used) "
                          "or set HROMADA_SECRET_KEY to the right key in every process")
    return row.key.encode()


def _read(path: Path | None) -> str | None:
    if path is None or not path.exists():
        return None
    text = path.read_text(encoding="utf-8").strip()
    return text or None
