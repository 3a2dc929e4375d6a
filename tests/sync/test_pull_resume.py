"""Resumable pulls at the stage: a pull interrupted after page k is continued, not repeated.

The source is a real SQLite table read by :class:`PagedShop`, a connector that pages on
(timestamp, id) and checkpoints exactly as the HTTP and Tryton connectors do (a resume
token after each page handed out completely, cleared at the end). Store and stage are
the real ones; the proof on a real server is ``tests/faults/test_peer_interrupted_pull.py``.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connectors.base import PullWindow, PushResult, PushRow, RawRecord, SourceStats
from connectors.errors import FatalError, RetriableError
from connectors.http.checkpoint import (
    Checkpoint,
    ResumePoint,
    read_resume_token,
    resume_token,
)
from mappings.spec import MappingSpec
from store.pull_checkpoints import load_checkpoint
from store.schema import staging
from store.staging import Cursor, get_cursor
from sync.context import SyncContext
from sync.stages.pull import pull_source
from sync.stages.summary import open_run

from .shop_setup import open_shop

PAGE = 2


def _stamp(day: int) -> str:
    return f"2025-03-{day:02d}T10:00:00.000Z"


class PagedShop:
    """Reads ``clients`` a page at a time in (changed, id) order, checkpointing each page.

    Args:
        path: The SQLite file.
        fail_after_pages: Raise (a dead connection) when this many pages were handed out.
        skip: Keys silently left out (a source that loses records).
    """

    system = "shop"

    def __init__(self, path: Path, fail_after_pages: int | None = None, skip: Sequence[int] = ()):
        self.path = path
        self.fail_after_pages = fail_after_pages
        self.skip = set(skip)
        self.checkpoint: Checkpoint | None = None
        self.page_starts: list[tuple[str, int] | None] = []
        """Where each page query started (None: the window's start)."""

    def _rows(
        self, window: PullWindow, after: tuple[str, int] | None, limit: int | None = None
    ) -> list[tuple[int, str, str]]:
        clauses, params = ["1 = 1"], []
        for point in (
            (window.since, int(window.since_key or -1)) if window.since else None,
            after,
        ):
            if point is not None:
                clauses.append("(changed > ? OR (changed = ? AND id > ?))")
                params += [point[0], point[0], point[1]]
        sql = f"SELECT id, name, changed FROM clients WHERE {' AND '.join(clauses)}"  # noqa: S608
        sql += " ORDER BY changed, id" + (f" LIMIT {int(limit)}" if limit else "")
        with sqlite3.connect(self.path) as db:
            return db.execute(sql, params).fetchall()

    def pull(self, mapping: MappingSpec, window: PullWindow) -> Iterator[RawRecord]:
        """Yield the window's records page by page; resume after a checkpoint's token."""
        token = self.checkpoint.load() if self.checkpoint is not None else None
        point = read_resume_token(token, mapping.entity, window)
        after = (point.stamp, int(point.key)) if point else None
        pages = 0
        while True:
            self.page_starts.append(after)
            rows = self._rows(window, after, PAGE)
            if not rows:
                break
            if self.fail_after_pages is not None and pages == self.fail_after_pages:
                raise RetriableError(self.system, "connection reset by peer")
            for ident, name, changed in rows:
                if ident not in self.skip:
                    yield RawRecord(str(ident), {"id": ident, "name": name}, changed)
            pages += 1
            after = (rows[-1][2], rows[-1][0])
            if self.checkpoint is not None:
                resume = ResumePoint(after[0], str(after[1]))
                self.checkpoint.save(resume_token(mapping.entity, window, resume))
        if self.checkpoint is not None:
            self.checkpoint.clear()

    def count(self, mapping: MappingSpec, window: PullWindow) -> int:
        """Return how many records the window holds."""
        return len(self._rows(window, None))

    def stats(self, mapping: MappingSpec) -> SourceStats:
        """Return the table's size and newest stamp."""
        rows = self._rows(PullWindow(None), None)
        return SourceStats(len(rows), rows[-1][2] if rows else None)

    def keys(self, mapping: MappingSpec) -> Iterator[str]:
        """Yield every id."""
        for ident, _, _ in self._rows(PullWindow(None), None):
            yield str(ident)

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Not a target in these tests."""
        raise NotImplementedError

    def close(self) -> None:
        """Nothing to release."""


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[SyncContext]:
    """Eight clients on eight days, and a context whose ``shop`` connector is replaced."""
    ctx = open_shop(tmp_path, [(i, f"Client {i}", _stamp(i)) for i in range(1, 9)])
    yield ctx
    ctx.close()


def _use(ctx: SyncContext, connector: PagedShop) -> PagedShop:
    ctx._connectors["shop"] = connector  # noqa: SLF001 - the connector under test
    return connector


def _source(
    ctx: SyncContext, fail_after_pages: int | None = None, skip: Sequence[int] = ()
) -> PagedShop:
    path = ctx.settings.base_dir / "shop.db"
    return _use(ctx, PagedShop(path, fail_after_pages, skip))


def _staged(ctx: SyncContext, run_id: str) -> dict[str, str]:
    with ctx.engine.connect() as c:
        rows = c.execute(
            select(staging.c.source_id, staging.c.payload).where(staging.c.run_id == run_id)
        )
        return {key: payload["name"] for key, payload in rows}


def _staged_rows(ctx: SyncContext) -> int:
    with ctx.engine.connect() as c:
        return int(c.execute(select(func.count()).select_from(staging)).scalar_one())


def _interrupted(ctx: SyncContext, run_id: str, pages: int) -> None:
    _source(ctx, fail_after_pages=pages)
    with pytest.raises(RetriableError):
        pull_source(ctx, run_id, "customer", "shop")


def test_a_pull_interrupted_after_page_k_resumes_after_its_checkpoint(
    shop: SyncContext, caplog: pytest.LogCaptureFixture
) -> None:
    first = open_run(shop, "customer")
    _interrupted(shop, first, pages=2)
    # pages 1 and 2 are durable, the cursor did not move
    assert _staged(shop, first) == {str(i): f"Client {i}" for i in range(1, 5)}
    with shop.engine.connect() as c:
        assert get_cursor(c, "shop", "customer") == Cursor(None)
        saved = load_checkpoint(c, "shop", "customer")
    assert saved is not None and saved.run_id == first and saved.records_landed == 4
    # client 2 (landed) changes before the next run: it is read again, the new name wins
    with sqlite3.connect(shop.settings.base_dir / "shop.db") as db:
        db.execute(
            "UPDATE clients SET name = 'Client 2 (new)', changed = ? WHERE id = 2", (_stamp(9),)
        )

    second = open_run(shop, "customer")
    source = _source(shop)
    with caplog.at_level(logging.INFO, logger="sync.stages.pull_resume"):
        landed = pull_source(shop, second, "customer", "shop")
    assert f"resuming shop/customer after 4 records landed by run {first}" in caplog.text
    assert source.page_starts[0] == (_stamp(4), 4)  # after the checkpoint, not the start
    assert landed == 8
    expected = {str(i): f"Client {i}" for i in range(1, 9)} | {"2": "Client 2 (new)"}
    assert _staged(shop, second) == expected
    assert _staged(shop, first) == {}  # adopted, so every record is staged once
    assert _staged_rows(shop) == 8
    with shop.engine.connect() as c:
        assert get_cursor(c, "shop", "customer") == Cursor(_stamp(9), "2")
        assert load_checkpoint(c, "shop", "customer") is None


def test_an_airflow_retry_of_the_same_run_resumes_in_place(shop: SyncContext) -> None:
    run_id = open_run(shop, "customer")
    _interrupted(shop, run_id, pages=1)
    _interrupted(shop, run_id, pages=1)  # the retry got one page further, then died too
    with shop.engine.connect() as c:
        saved = load_checkpoint(c, "shop", "customer")
    assert saved is not None and saved.records_landed == 4
    source = _source(shop)
    assert pull_source(shop, run_id, "customer", "shop") == 8
    assert source.page_starts[0] == (_stamp(4), 4)
    assert sorted(_staged(shop, run_id), key=int) == [str(i) for i in range(1, 9)]
    assert _staged_rows(shop) == 8


def test_a_checkpoint_of_another_window_is_discarded(
    shop: SyncContext, caplog: pytest.LogCaptureFixture
) -> None:
    _source(shop)
    pull_source(shop, open_run(shop, "customer"), "customer", "shop")
    with sqlite3.connect(shop.settings.base_dir / "shop.db") as db:
        db.executemany(
            "INSERT INTO clients VALUES (?, ?, ?)",
            [(i, f"Client {i}", _stamp(i)) for i in range(9, 14)],
        )
    interrupted = open_run(shop, "customer")
    _interrupted(shop, interrupted, pages=1)
    assert sorted(_staged(shop, interrupted)) == ["10", "9"]
    # a full refresh reads another window: the incremental pull's checkpoint is not used
    refresh = open_run(shop, "customer")
    source = _source(shop)
    with caplog.at_level(logging.INFO, logger="sync.stages.pull_resume"):
        assert pull_source(shop, refresh, "customer", "shop", full_refresh=True) == 13
    assert "discarding the checkpoint of run" in caplog.text
    assert source.page_starts[0] is None
    assert len(_staged(shop, refresh)) == 13
    assert sorted(_staged(shop, interrupted)) == ["10", "9"]  # ignored, not adopted
    with shop.engine.connect() as c:
        assert load_checkpoint(c, "shop", "customer") is None


def test_a_resumed_pull_that_comes_up_short_fails_and_starts_over(shop: SyncContext) -> None:
    first = open_run(shop, "customer")
    _interrupted(shop, first, pages=2)
    second = open_run(shop, "customer")
    _source(shop, skip=[7])
    with pytest.raises(FatalError, match="counts 8 records in the window, 7 arrived, 4 of them"):
        pull_source(shop, second, "customer", "shop")
    with shop.engine.connect() as c:
        assert load_checkpoint(c, "shop", "customer") is None
        assert get_cursor(c, "shop", "customer") == Cursor(None)
    assert _staged(shop, second) == {}  # the next pull reads the window from its start
    third = open_run(shop, "customer")
    source = _source(shop)
    assert pull_source(shop, third, "customer", "shop") == 8
    assert source.page_starts[0] is None
