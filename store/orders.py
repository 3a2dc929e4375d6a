"""Order links: which ERP order a won CRM deal became, and the status the ERP reports.

One row per (CRM, deal, ERP). It is written in the same transaction that records a
successful push, so a deal with a link is never pushed again; a crash between the ERP's
create and this write is covered by the connector's lookup-before-create on the deal id.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select, update

from store.schema import order_links


@dataclass(frozen=True)
class OrderLink:
    """A won deal and the ERP order made from it."""

    source: str
    deal_id: str
    target: str
    order_id: str
    status: str
    target_state: str | None = None


def links_of(connection: Connection, source: str, target: str) -> dict[str, OrderLink]:
    """Return ``deal id -> link`` for the deals of ``source`` pushed to ``target``."""
    rows = connection.execute(
        select(
            order_links.c.source,
            order_links.c.deal_id,
            order_links.c.target,
            order_links.c.order_id,
            order_links.c.status,
            order_links.c.target_state,
        ).where(order_links.c.source == source, order_links.c.target == target)
    )
    return {row.deal_id: OrderLink(*row) for row in rows}


def save_links(connection: Connection, run_id: str, links: list[OrderLink]) -> None:
    """Record new links (deals just pushed)."""
    if not links:
        return
    now = datetime.now(UTC)
    connection.execute(
        order_links.insert(),
        [
            {
                "source": link.source,
                "deal_id": link.deal_id,
                "target": link.target,
                "order_id": link.order_id,
                "status": link.status,
                "target_state": link.target_state,
                "created_run": run_id,
                "created_at": now,
            }
            for link in links
        ],
    )


def update_status(
    connection: Connection,
    run_id: str,
    target: str,
    statuses: Mapping[str, tuple[str, str | None]],
) -> int:
    """Set ``order id -> (status, target state)`` on the links to ``target``.

    Returns:
        How many links changed status or state.
    """
    changed = 0
    now = datetime.now(UTC)
    for order_id, (status, state) in statuses.items():
        result = connection.execute(
            update(order_links)
            .where(
                order_links.c.target == target,
                order_links.c.order_id == order_id,
                (order_links.c.status != status)
                | (order_links.c.target_state.is_distinct_from(state)),
            )
            .values(status=status, target_state=state, status_run=run_id, status_at=now)
        )
        changed += result.rowcount or 0
    return changed
