"""Building the running pieces from settings: the store, the core, logging."""

from __future__ import annotations

import logging

from core.app import Hromada
from core.clock import Clock
from core.config import Settings
from storage.db import Database

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


class ContextFilter(logging.Filter):
    """Puts tenant, command and request id on every record so the format can show them."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name in ("tenant", "command", "request_id"):
            if not hasattr(record, name):
                setattr(record, name, "-")
        return True


def setup_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
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


def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Hromada:
    db = Database(settings.effective_database_url)
    if migrate:
        db.upgrade()
    return Hromada(db, secret=settings.secret_bytes(), clock=clock)
