"""Alembic environment for the crmsync store.

Runs migrations on the connection handed over by ``store.database.migrate`` (or, from the
``alembic`` command line, on the URL in the Alembic config / ``CRMSYNC_STORE_URL``).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from store.schema import metadata

config = context.config
target_metadata = metadata


def run_migrations_offline() -> None:
    """Emit the migration SQL without a database connection."""
    url = os.environ.get("CRMSYNC_STORE_URL") or config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = os.environ.get("CRMSYNC_STORE_URL") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(str(url))
    with engine.connect() as conn:
        context.configure(connection=conn, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
