"""Building the running pieces from settings: the store, the core, logging."""

from __future__ import annotations

import json
import logging
import traceback
from datetime import UTC, datetime

from core.app import Hromada
from core.clock import Clock
from core.config import Settings
from core.keys import deployment_key
from storage.db import Database
from storage.tokens import TokenCipher

log = logging.getLogger(__name__)

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def core_workers(configured: int | None, hromada: Hromada) -> int:
    """An adapter's threads for core calls: as configured, else none on SQLite and two on
    PostgreSQL (bench/README.md, "Slack": handing a call to a thread and back costs more CPU
    than most commands on SQLite; on PostgreSQL the threads overlap the round trips)."""
    if configured is not None:
        return configured
    return 0 if hromada.db.is_sqlite else 2


class ContextFilter(logging.Filter):
    """Puts tenant, command and request id on every record so the format can show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in ("tenant", "command", "request_id"):
            if not hasattr(record, name):
                setattr(record, name, "-")
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line for log shippers.

    Only the message *template* is written, never its arguments: arguments are where submitted
    text, names and ids would travel. An exception gives its class and where it was raised,
    not its message (which may quote data)."""

    FIELDS = ("request_id", "tenant", "command")

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": str(record.msg),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None)
            if value not in (None, "-"):
                out[name] = value
        latency = getattr(record, "latency", None)
        if isinstance(latency, int | float):
            out["latency_ms"] = round(latency * 1000, 3)
        if record.exc_info and record.exc_info[0] is not None:
            out["error"] = record.exc_info[0].__name__
            tb = record.exc_info[2]
            out["where"] = [f"{f.filename}:{f.lineno} {f.name}"
                            for f in traceback.extract_tb(tb)][-5:] if tb else []
        return json.dumps(out, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(
            "%(asctime)s %(levelname)s %(name)s tenant=%(tenant)s command=%(command)s "
            "request=%(request_id)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # At DEBUG these libraries log whole request bodies: a message's text beside the user id it
    # goes to. Whatever our level, theirs stays at INFO or above.
    for name, floor in QUIET_LIBRARIES.items():
        logging.getLogger(name).setLevel(max(floor, root.level))


# SQLAlchemy logs statements at INFO and rows at DEBUG: only its warnings.
QUIET_LIBRARIES = {"slack_sdk": logging.INFO, "slack_bolt": logging.INFO,
                   "discord": logging.INFO, "aiohttp": logging.INFO, "uvicorn": logging.INFO,
                   "sqlalchemy": logging.WARNING}


def deployment_secret(settings: Settings, db: Database) -> bytes:
    """The one secret of the deployment: ``HROMADA_SECRET_KEY``, or the one in the store."""
    configured = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    return deployment_key(db, configured=configured,
                          legacy_file=settings.data_dir / "secret.key", now=datetime.now(UTC))


def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Hromada:
    """The store (migrated, once however many processes start) and the core with the
    deployment's one key; ``KeyMismatch`` when this process's key is not the deployment's."""
    db = Database(settings.effective_database_url)
    if migrate:
        db.upgrade()
    try:
        secret = deployment_secret(settings, db)
    except BaseException:
        db.dispose()
        raise
    if migrate:
        sealed = TokenCipher(db.engine, secret).encrypt_plaintext()
        if sealed:
            log.info("encrypted %d platform tokens stored before encryption", sealed)
    from bots.metrics import watch_core, watch_database

    watch_database(db.engine)
    watch_core()
    return Hromada(db, secret=secret, clock=clock, public_url=settings.public_url)
