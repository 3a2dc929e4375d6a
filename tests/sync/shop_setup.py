"""A one-table SQLite source ``shop`` (table ``clients``) with its mapping and config."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from sync.context import SyncContext

SHOP_CONFIG = """
store: {url: "sqlite:///state/crmsync.db"}
mapping_dirs: [mappings]
systems:
  shop: {connector: sql, url: "sqlite:///shop.db"}
entities:
  customer: {sources: [shop]}
"""

SHOP_MAPPING = """
system: shop
entity: customer
source: {table: clients, primary_key: id, updated_at: changed}
inbound: {name: name}
"""


def open_shop(folder: Path, rows: Iterable[tuple[int, str, str]]) -> SyncContext:
    """Write the shop database with ``rows`` (id, name, changed), its mapping and config in
    ``folder``, and return a context on it (the caller closes it)."""
    with sqlite3.connect(folder / "shop.db") as db:
        db.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT, changed TEXT)")
        db.executemany("INSERT INTO clients VALUES (?, ?, ?)", list(rows))
    (folder / "mappings").mkdir()
    (folder / "mappings" / "shop_customer.yaml").write_text(SHOP_MAPPING, encoding="utf-8")
    (folder / "crmsync.yaml").write_text(SHOP_CONFIG, encoding="utf-8")
    return SyncContext.open(folder / "crmsync.yaml")
