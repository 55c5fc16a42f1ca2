"""Engines, the unit of work, and schema set-up through Alembic."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import instance_state
from sqlalchemy.pool import NullPool
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


class StoreConflict(Exception):
    """A unique rule of the store refused a write."""


def default_url(data_dir: str | Path) -> str:
    path = Path(data_dir)
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(path / 'hromada.db').resolve()}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()
    # SQLite's own lower() folds ASCII only; Ukrainian names and titles must match in any case,
    # as they do on PostgreSQL.
    dbapi_conn.create_function("lower", 1, _lower, deterministic=True)


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def conflict_message(exc: BaseException) -> str:
    """What a refused write may say in a log: the rule's first line, never the values.

    PostgreSQL adds a ``DETAIL: Key (...)=(...)`` line that carries the values themselves
    (a member's user id, a title); that line is dropped."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def make_engine(url: str, **kw: Any) -> Engine:
    """Every engine hides bound parameters: an error or a log line never carries the values
    people wrote (texts, user ids) next to each other."""
    kw.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        # Newest connection first: one that wrote last keeps its page cache (SQLite drops a
        # connection's cache whenever another connection wrote since it last read).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_use_lifo=True, **kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kw)


class Database:
    """One store: an engine plus the unit of work every use case runs in."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @contextmanager
    def uow(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back whole on any error."""
        session = Session(self.engine, expire_on_commit=False)
        try:
            with rolled_back_on_error(self.engine, session.rollback):
                yield session
                session.commit()
        finally:
            session.close()

    @contextmanager
    def unit(self) -> Iterator[Any]:
        """``uow`` for a use case whose common path needs no ORM: a ``LazySession`` that runs
        driver statements on its connection and makes the ORM session (in the same
        transaction) only when something asks for it. Committed when the block ends, rolled
        back whole on any error, a refused unique rule raised as ``StoreConflict``."""
        conn = self.engine.connect()
        lazy = LazySession(conn)
        try:
            with rolled_back_on_error(self.engine, lazy.rollback_all):
                conn.begin()
                yield lazy
                lazy.flush_pending()
                conn.commit()
        finally:
            lazy.close_all()

    def upgrade(self) -> None:
        """Apply every Alembic migration to this store."""
        upgrade(self.url)

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - health check reports, never raises
            log.exception("store unreachable")
            return False

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def rolled_back_on_error(engine: Engine, rollback: Any) -> Iterator[None]:
    """Any error in the block rolls the transaction back; a unique rule refusing a write (as
    the ORM or the driver reports it) becomes ``StoreConflict``."""
    try:
        yield
    except (IntegrityError, engine.dialect.loaded_dbapi.IntegrityError) as exc:
        rollback()
        # Not chained: a logged traceback would print the driver's message with its values.
        raise StoreConflict(conflict_message(exc)) from None
    except BaseException:
        rollback()
        raise


class LazySession:
    """Stands for the unit's ORM ``Session`` until one is needed.

    The hot path of a use case (``repos._hot``: prebuilt statements on the driver connection)
    asks only for ``connection()`` and ``get_bind()``; objects it made as loaded (``add`` of a
    persistent object) wait in a small identity map of their own. Any other use makes the
    session, bound to the same connection and so in the same transaction, and hands it those
    objects first. Making, flushing and closing a session costs more than a short use case's
    store work; a changed waiting object makes the session at the end, so nothing is lost.
    """

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._session: Session | None = None
        self._held: dict[Any, Any] = {}  # identity key -> object, while there is no session

    @property
    def session(self) -> Session:
        if self._session is None:
            # Joins the connection's transaction: the unit commits or rolls it back.
            self._session = Session(bind=self._conn, expire_on_commit=False,
                                    join_transaction_mode="rollback_only")
            for obj in self._held.values():
                self._session.add(obj)
            self._held.clear()
        return self._session

    @property
    def made(self) -> Session | None:
        """The ORM session, if something has made it (never makes one)."""
        return self._session

    def connection(self) -> Connection:
        return self._conn

    def get_bind(self) -> Engine:
        return self._conn.engine

    @property
    def identity_map(self) -> Any:
        return self._held if self._session is None else self._session.identity_map

    def add(self, obj: Any) -> None:
        key = instance_state(obj).key
        if self._session is None and key is not None:
            self._held[key] = obj
            return
        self.session.add(obj)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)

    def flush_pending(self) -> None:
        if self._session is None and any(instance_state(o).modified
                                         for o in self._held.values()):
            self.session  # noqa: B018 - made to write the changed objects
        if self._session is not None:
            self._session.flush()

    def rollback_all(self) -> None:
        if self._session is not None:
            self._session.rollback()
        self._conn.rollback()

    def close_all(self) -> None:
        if self._session is not None:
            self._session.close()
        self._conn.close()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def at_head(engine: Engine) -> bool:
    """True when the store's schema is at every migration head this code knows."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
    with engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    return current == heads


def upgrade(url: str, revision: str = "heads", *, secret: bytes | None = None) -> None:
    """Migrate to ``revision``; processes starting together run each migration once.
    ``secret`` lets data migrations that need the deployment key (token encryption) run."""
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["secret"] = secret
    with migration_lock(url):
        command.upgrade(cfg, revision)


def downgrade(url: str, revision: str, *, secret: bytes | None = None) -> None:
    from alembic import command

    cfg = alembic_config(url)
    cfg.attributes["secret"] = secret
    with migration_lock(url):
        command.downgrade(cfg, revision)


MIGRATION_LOCK = 0x68726D_6461  # "hrmda": the advisory lock id migrations take on PostgreSQL


@contextmanager
def migration_lock(url: str) -> Iterator[None]:
    """Hold the store's migration lock: the next process waits, then finds nothing to do.

    PostgreSQL: a session advisory lock on its own connection. SQLite: an exclusive ``flock``
    on a file beside the database (a write transaction would block Alembic's own connection).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if not database or database == ":memory:" or database.startswith("file:"):
            yield
            return
        with open(f"{database}.migrate-lock", "a+b") as fh:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        return
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
    finally:
        engine.dispose()
