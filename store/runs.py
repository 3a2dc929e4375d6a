"""The run log: one append-only row per pipeline run, with status, cause and summary."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from store.schema import runs


def new_run_id(entity: str, now: datetime | None = None) -> str:
    """Return a fresh, sortable, unique run id such as ``customer-20261125T120000-a1b2c3``."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    return f"{entity}-{stamp}-{secrets.token_hex(3)}"


def start_run(connection: Connection, entity: str, run_id: str | None = None) -> str:
    """Record the start of a run and return its id."""
    run_id = run_id or new_run_id(entity)
    connection.execute(
        runs.insert().values(
            run_id=run_id, entity=entity, started_at=datetime.now(UTC), status="running"
        )
    )
    return run_id


def finish_run(
    connection: Connection,
    run_id: str,
    status: str,
    summary: dict[str, Any] | None = None,
    cause: str | None = None,
) -> None:
    """Close a run with its final status (success, failed, blocked), summary and cause."""
    connection.execute(
        update(runs)
        .where(runs.c.run_id == run_id)
        .values(finished_at=datetime.now(UTC), status=status, summary=summary, cause=cause)
    )


def get_run(connection: Connection, run_id: str) -> dict[str, Any] | None:
    """Return the run row as a dict, or None."""
    row = connection.execute(select(runs).where(runs.c.run_id == run_id)).mappings().first()
    return dict(row) if row else None


def last_run(
    connection: Connection, entity: str, status: str | None = None
) -> dict[str, Any] | None:
    """Return the newest run of ``entity`` (optionally only with ``status``), or None."""
    query = select(runs).where(runs.c.entity == entity)
    if status:
        query = query.where(runs.c.status == status)
    row = connection.execute(query.order_by(runs.c.started_at.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def note_cause(connection: Connection, run_id: str, cause: str) -> None:
    """Record the newest failure cause of a run without changing its status."""
    connection.execute(update(runs).where(runs.c.run_id == run_id).values(cause=cause))
