"""Test helpers: a small seeded sandbox and a crmsync.yaml pointing at it."""

from __future__ import annotations

import csv
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from sync.sandbox import seed_sandboxes

CONFIG = """
store: {{url: "{store_url}"}}
sandbox: {{directory: sandbox, seed: {seed}, companies: {companies}}}
systems:
  sandbox_crm: {{connector: sql, url: "sqlite:///sandbox/crm.db"}}
  sandbox_erp: {{connector: sql, url: "sqlite:///sandbox/erp.db"}}
entities:
  customer:
    sources: [sandbox_crm, sandbox_erp]
    targets: [sandbox_crm, sandbox_erp]
    gate: {{max_failure_ratio: {ratio}}}
    survivorship:
      default: [sandbox_erp, sandbox_crm]
      email: [sandbox_crm, sandbox_erp]
  product:
    sources: [sandbox_crm, sandbox_erp]
    targets: [sandbox_crm, sandbox_erp]
    gate: {{max_failure_ratio: {ratio}}}
    survivorship:
      default: [sandbox_erp, sandbox_crm]
"""


def write_sandbox_config(
    folder: Path,
    *,
    store_url: str | None = None,
    companies: int = 150,
    seed: int = 7,
    ratio: float = 0.2,
    seed_data: bool = True,
) -> Path:
    """Seed a sandbox in ``folder`` and write ``folder/crmsync.yaml``; return its path."""
    if seed_data:
        seed_sandboxes(folder / "sandbox", seed=seed, companies=companies, overwrite=True)
    config = folder / "crmsync.yaml"
    config.write_text(
        CONFIG.format(
            store_url=store_url or "sqlite:///state/crmsync.db",
            seed=seed,
            companies=companies,
            ratio=ratio,
        ),
        encoding="utf-8",
    )
    return config


def read_truth(folder: Path) -> list[dict[str, str]]:
    """Return the rows of the sandbox truth file."""
    with (folder / "sandbox" / "truth.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def query(folder: Path, system: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Run a read query on a sandbox database (``crm`` or ``erp``)."""
    with sqlite3.connect(folder / "sandbox" / f"{system}.db") as db:
        return db.execute(sql, params).fetchall()


def execute(folder: Path, system: str, sql: str, params: tuple = ()) -> None:
    """Change a sandbox database, as a user of that system would."""
    with sqlite3.connect(folder / "sandbox" / f"{system}.db") as db:
        db.execute(sql, params)


def turn_into_another_company(folder: Path, account_id: str) -> None:
    """Make the CRM account ``account_id`` another company altogether (name and contacts),
    changed now."""
    execute(
        folder,
        "crm",
        "UPDATE accounts SET account_name = 'Zyqvex Orbital Kettles Ltd', tax_number = NULL, "
        "email = 'hello@zyqvex-kettles.example', phone = '+44 20 7123 9876', website = NULL, "
        "modified_at = ? WHERE account_id = ?",
        (datetime.now(UTC).isoformat(timespec="seconds"), account_id),
    )
