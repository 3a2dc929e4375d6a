"""Pagination: the three ways REST APIs hand out a long result, as small generic iterators.

* :func:`offset_pages` — ``offset``/``limit`` (a page shorter than ``limit`` is the last);
* :func:`cursor_pages` — an opaque cursor token in each response (HubSpot ``after``);
* :func:`next_url_pages` — the URL of the next page in each response (Salesforce
  ``nextRecordsUrl``).

Each yields :class:`Page` objects whose ``resume`` is what to pass to start again *after*
that page — the token a connector hands to its checkpoint. A server that hands out the
same token twice would loop forever; that is reported as a :class:`PaginationError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


class PaginationError(RuntimeError):
    """The server's paging went wrong (a repeated cursor: it would never end)."""


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of items and the token that resumes after it (None: this is the last)."""

    items: Sequence[T]
    resume: str | None


def offset_pages(
    fetch: Callable[[int, int], Sequence[T]], limit: int, start: int = 0
) -> Iterator[Page[T]]:
    """Yield pages from ``fetch(offset, limit)`` until a page comes back short.

    Args:
        fetch: Returns the items at ``[offset, offset + limit)``.
        limit: Page size asked for.
        start: Offset of the first page (a resume token of an earlier run, as int).
    """
    if limit <= 0:
        raise ValueError("limit must be positive")
    offset = start
    while True:
        items = fetch(offset, limit)
        offset += len(items)
        last = len(items) < limit
        yield Page(items, None if last else str(offset))
        if last:
            return


def _follow(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]], first: str | None
) -> Iterator[Page[T]]:
    seen: set[str] = set()
    token = first
    while True:
        items, following = fetch(token)
        if following is not None:
            if following in seen:
                raise PaginationError(f"the server handed out the page token {following!r} twice")
            seen.add(following)
        yield Page(items, following)
        if following is None:
            return
        token = following


def cursor_pages(
    fetch: Callable[[str | None], tuple[Sequence[T], str | None]], start: str | None = None
) -> Iterator[Page[T]]:
    """Yield pages from ``fetch(cursor)``, which returns the items and the next cursor.

    Args:
        fetch: Called with None for the first page, then with each cursor it returned.
        start: Cursor to resume from (the ``resume`` of a page of an earlier run).
    """
    return _follow(fetch, start)


def next_url_pages(
    fetch: Callable[[str], tuple[Sequence[T], str | None]], first_url: str
) -> Iterator[Page[T]]:
    """Yield pages from ``fetch(url)``, which returns the items and the next page's URL.

    Args:
        fetch: Called with ``first_url``, then with each next URL it returned.
        first_url: URL of the first page (or a resume URL of an earlier run).
    """

    def fetch_url(url: str | None) -> tuple[Sequence[T], str | None]:
        return fetch(url or first_url)

    return _follow(fetch_url, first_url)
