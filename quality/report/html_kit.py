"""Building blocks of the audit report's HTML: sections, tables, cells, badges, notes.

Every value passed in as a cell is escaped here unless its column is marked raw (markup
the report built itself); numbers are formatted with thousands separators and times in
UTC.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from urllib.parse import quote

from quality.report.model import Capped

EMPTY = '<span class="muted">—</span>'

Cell = str | int | float | None


@dataclass(frozen=True)
class Column:
    """A table column: its heading and whether it holds numbers (right-aligned)."""

    title: str
    numeric: bool = False
    css: str = ""


def section(anchor: str, title: str, lead: str, body: str) -> str:
    """Return a report section (a card with its heading, lead paragraph and body)."""
    lead_html = f'<p class="lead">{lead}</p>' if lead else ""
    return (
        f'<section class="card" id="{anchor}"><h2>{escape(title)}</h2>{lead_html}{body}</section>'
    )


def table(
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell]],
    *,
    css: str = "zebra",
    raw_columns: set[int] | None = None,
    table_id: str | None = None,
    highlight: Callable[[Sequence[Cell]], str] | None = None,
    highlight_columns: set[int] | None = None,
) -> str:
    """Render rows as a table; cells are escaped unless their column is in ``raw_columns``."""
    raw = raw_columns or set()
    marked = highlight_columns or set()
    body = []
    for row in rows:
        flag = highlight(row) if highlight else ""
        cells = []
        for i, (column, item) in enumerate(zip(columns, row, strict=True)):
            classes = " ".join(
                c
                for c in (column.css, "num" if column.numeric else "", flag if i in marked else "")
                if c
            )
            content = item if i in raw and isinstance(item, str) else cell(item)
            cells.append(
                f'<td class="{classes}">{content}</td>' if classes else f"<td>{content}</td>"
            )
        body.append(f"<tr>{''.join(cells)}</tr>")
    ident = f' id="{table_id}"' if table_id else ""
    return f'<table class="{css}"{ident}>{head(columns)}<tbody>{"".join(body)}</tbody></table>'


def grouped_table(columns: Sequence[Column], groups: Sequence[str], *, table_id: str) -> str:
    """Return a table of ``<tbody>`` groups (one group per golden record)."""
    return f'<table class="grouped" id="{table_id}">{head(columns)}{"".join(groups)}</table>'


def head(columns: Sequence[Column]) -> str:
    """Return the ``<thead>`` of ``columns``."""
    heads = "".join(
        f'<th class="num">{escape(c.title)}</th>' if c.numeric else f"<th>{escape(c.title)}</th>"
        for c in columns
    )
    return f"<thead><tr>{heads}</tr></thead>"


def cell(value: Cell) -> str:
    """Return a cell value as escaped HTML (numbers formatted, None as a dash)."""
    if value is None:
        return EMPTY
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return number(value)
    return escape(value)


def text(value: str | None) -> str:
    """Return text escaped, or a dash for None."""
    return EMPTY if value is None else escape(value)


def value(value: str | None) -> str:
    """Return a data value escaped, saying so when it is empty or blank."""
    if value is None:
        return '<span class="muted">(empty)</span>'
    return escape(value) if value.strip() else '<span class="muted">(blank)</span>'


def number(value: float) -> str:
    """Return a number with thousands separators (floats with one decimal)."""
    return f"{value:,}" if isinstance(value, int) else f"{value:,.1f}"


def pct(value: float | None) -> str | None:
    """Return a percentage with one decimal, or None."""
    return None if value is None else f"{value:.1f} %"


def badge(status: str, ident: str | None = None) -> str:
    """Return a status badge (``passed``, ``blocked``, ``success`` ...)."""
    css = "-".join(status.lower().split())
    attr = f' id="{ident}"' if ident else ""
    return f'<span class="badge badge-{escape(css)}"{attr}>{escape(status)}</span>'


def empty(message: str) -> str:
    """Return the paragraph an empty section shows."""
    return f'<p class="empty">{escape(message)}</p>'


def note(message: str) -> str:
    """Return a small note paragraph."""
    return f'<p class="note">{escape(message)}</p>'


def cap_note(capped: Capped[Any]) -> str:
    """Return the note saying how many items a capped list leaves out (or nothing)."""
    if not capped.omitted:
        return ""
    return note(
        f"Showing {number(len(capped.items))} of {number(capped.total)}; "
        f"{number(capped.omitted)} more are not listed."
    )


def href(path: str) -> str:
    """Return a relative link escaped for an attribute."""
    return escape(quote(path, safe="/#:.-_~"), quote=True)


def time(value: datetime | None) -> str:
    """Return a UTC time as text, or a dash."""
    return EMPTY if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def duration(start: datetime | None, end: datetime | None) -> str:
    """Return the time between two instants as ``12.3 s`` or ``2 min 5 s``."""
    if start is None or end is None:
        return EMPTY
    seconds = (end - start).total_seconds()
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes} min {rest} s"
