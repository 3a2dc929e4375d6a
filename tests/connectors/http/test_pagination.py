"""The three pagination styles, their resume tokens and the repeated-cursor guard."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from connectors.http import cursor_pages, next_url_pages, offset_pages
from connectors.http.pagination import PaginationError

DATA = list(range(23))


def test_offset_pages_stop_on_a_short_page_and_resume_at_the_offset() -> None:
    calls: list[tuple[int, int]] = []

    def fetch(offset: int, limit: int) -> Sequence[int]:
        calls.append((offset, limit))
        return DATA[offset : offset + limit]

    pages = list(offset_pages(fetch, 10))
    assert [list(p.items) for p in pages] == [DATA[:10], DATA[10:20], DATA[20:]]
    assert [p.resume for p in pages] == ["10", "20", None]
    assert calls == [(0, 10), (10, 10), (20, 10)]
    resumed = list(offset_pages(fetch, 10, start=20))
    assert [list(p.items) for p in resumed] == [DATA[20:]]


def test_offset_pages_with_an_exact_multiple_end_on_an_empty_page() -> None:
    pages = list(offset_pages(lambda o, n: DATA[:20][o : o + n], 10))
    assert [len(p.items) for p in pages] == [10, 10, 0]


def _cursor_fetch(cursor: str | None) -> tuple[Sequence[int], str | None]:
    start = int(cursor or 0)
    following = start + 10
    return DATA[start:following], (str(following) if following < len(DATA) else None)


def test_cursor_pages_follow_the_token() -> None:
    pages = list(cursor_pages(_cursor_fetch))
    assert sum((list(p.items) for p in pages), []) == DATA
    assert [p.resume for p in pages] == ["10", "20", None]
    assert [list(p.items) for p in cursor_pages(_cursor_fetch, start="20")] == [DATA[20:]]


def test_next_url_pages_follow_the_link() -> None:
    seen: list[str] = []

    def fetch(url: str) -> tuple[Sequence[int], str | None]:
        seen.append(url)
        items, token = _cursor_fetch(url.rsplit("/", 1)[1] or None)
        return items, f"/query/{token}" if token else None

    pages = list(next_url_pages(fetch, "/query/"))
    assert sum((list(p.items) for p in pages), []) == DATA
    assert seen == ["/query/", "/query/10", "/query/20"]


def test_a_repeated_cursor_is_an_error_not_an_endless_loop() -> None:
    with pytest.raises(PaginationError, match="twice"):
        list(cursor_pages(lambda c: ([1], "same")))
