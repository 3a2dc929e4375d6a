"""The envelope-aware offset/limit scan of a BottleCRM list, checked against its count.

Every list is read with ``?limit=<page_size>&offset=<n>`` until each of the envelope's
arrays comes back short. Records are de-duplicated by id, and the scan fails loudly when
fewer distinct records arrived than the server counts (records inserted or deleted while
paging shift the offsets): a partial list is never returned as complete.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.bottlecrm.client import BottleCrmClient
from connectors.bottlecrm.resources import Resource
from connectors.errors import RetriableError


@dataclass(frozen=True)
class Scan:
    """All records of a resource as one full list read found them."""

    records: list[dict[str, Any]]
    """Raw API records, distinct by id, in the server's order."""
    total: int
    """The server's own count, from the last page read."""
    requests: int


def count_records(client: BottleCrmClient, resource: Resource) -> int:
    """Return the server's count of the resource's records (one request, one record)."""
    body = client.call("GET", resource.path, params={"limit": 1, "offset": 0})
    return resource.envelope.total(body)


def scan(client: BottleCrmClient, resource: Resource, page_size: int) -> Scan:
    """Read every record of ``resource``, page by page.

    Raises:
        RetriableError: Fewer distinct records arrived than the server counts, or a full
            page brought nothing new (the server ignores ``offset``).
    """
    seen: dict[str, dict[str, Any]] = {}
    offset = requests = total = 0
    while True:
        body = client.call("GET", resource.path, params={"limit": page_size, "offset": offset})
        requests += 1
        arrays = resource.envelope.records(body)
        total = resource.envelope.total(body)
        before = len(seen)
        for items in arrays:
            for item in items:
                seen.setdefault(str(item["id"]), item)
        if all(len(items) < page_size for items in arrays):
            break
        if len(seen) == before:
            raise RetriableError(
                client.system,
                f"{resource.path} at offset {offset} repeated records already read: "
                "the server does not page",
            )
        offset += page_size
    if len(seen) < total:
        raise RetriableError(
            client.system,
            f"{resource.path}: listed {len(seen)} distinct records but the server counts "
            f"{total} (records changed while paging); the pull is retried",
        )
    return Scan(list(seen.values()), total, requests)
