"""Salesforce records as flat payloads: one text value per (dotted) field name.

The REST API returns nested JSON (``attributes``, parent relationships as objects, child
relationships as nested query results) with typed values; Bulk API 2.0 returns CSV with
dotted headers and text values. Both become the same payload here — dotted names, values
as text (``"true"``, ``"1500.0"``), datetimes in cursor form — so a record hashes the
same whichever API pulled it, and no float ever carries a money amount.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from connectors.http.windows import format_timestamp, parse_timestamp

_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?(Z|[+-]\d{2}:?\d{2})$")


def text(value: Any) -> str | None:
    """Return a field value as the Bulk API would write it (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    value = str(value)
    if _DATETIME.match(value):
        return format_timestamp(parse_timestamp(value))
    return value


def decode(body: str) -> Any:
    """Decode a REST response body keeping numbers as text (exact, never floats)."""
    return json.loads(body, parse_float=str, parse_int=str)


def _flatten_into(out: dict[str, Any], prefix: str, record: dict[str, Any]) -> None:
    for key, value in record.items():
        if key == "attributes":
            continue
        column = f"{prefix}{key}"
        if isinstance(value, dict) and "records" in value and "totalSize" in value:
            out[column] = [flatten(child) for child in value["records"]]
        elif isinstance(value, dict):
            _flatten_into(out, f"{column}.", value)
        else:
            out[column] = text(value)


def flatten(record: dict[str, Any], columns: Iterable[str] = ()) -> dict[str, Any]:
    """Return a REST record as a flat payload; every name in ``columns`` is present.

    A null parent relationship (``"Account": null``) leaves its dotted columns None.
    """
    out: dict[str, Any] = {}
    _flatten_into(out, "", record)
    wanted = list(columns)
    if wanted:
        # A null relationship arrives as its own key ("Owner": null): keep the asked-for
        # dotted columns instead, as the Bulk API's CSV has them.
        out = {k: v for k, v in out.items() if v is not None or k in wanted}
    for column in wanted:
        out.setdefault(column, None)
    return out


def csv_rows(body: str) -> Iterator[dict[str, Any]]:
    """Yield the rows of a Bulk API 2.0 CSV result as flat payloads (empty means null)."""
    for row in csv.DictReader(io.StringIO(body)):
        yield {column: text(value) if value != "" else None for column, value in row.items()}


def to_csv(columns: list[str], rows: Iterable[dict[str, Any]]) -> str:
    """Return rows as Bulk API 2.0 ingest CSV (LF line endings; ``#N/A`` clears a field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["#N/A" if row.get(c) is None else _cell(row[c]) for c in columns])
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
