"""Building the running pieces from settings: the store, the core, logging."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from core.app import Hromada
from core.clock import Clock
from core.config import Settings
from core.keys import deployment_key
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


def build(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> Hromada:
    """The store (migrated, once however many processes start) and the core with the
    deployment's one key; ``KeyMismatch`` when this process's key is not the deployment's."""
    db = Database(settings.effective_database_url)
    if migrate:
        db.upgrade()
    configured = settings.secret_key.get_secret_value().encode() if settings.secret_key else None
    try:
        secret = deployment_key(db, configured=configured,
                                legacy_file=settings.data_dir / "secret.key",
                                now=datetime.now(UTC))
    except BaseException:
        db.dispose()
        raise
    return Hromada(db, secret=secret, clock=clock)
