"""Alembic environment: the URL comes from the config Hromada builds, never from a file."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.culture  # noqa: F401 - registers the culture tables
import storage.digests  # noqa: F401 - registers the job claim table
import storage.gateway  # noqa: F401 - registers the identify turn table
import storage.keys  # noqa: F401 - registers the deployment key table
import storage.models  # noqa: F401 - registers the tables
import storage.onboarding  # noqa: F401 - registers the onboarding tables
import storage.tokens  # noqa: F401 - registers the token key table
from storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url)
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # Batch migrations rebuild a table by copying it and dropping the old one; with
            # foreign keys enforced, dropping a referenced table (tenant) fails. The pragma
            # only takes effect outside a transaction, so it is set before the migration's.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
