"""The order flow: won CRM deals become ERP sales orders, and the ERP's status comes back.

``crmsync run order`` with ``entities.order: {sources: [<CRM>], targets: [<ERP>]}``:

1. **pull + map** each source's orders (won deals) with the ordinary pull and map stages
   (cursor, completeness check, deletes, mapping quarantine).
2. **translate** each mapped deal not yet linked to an order in the target: its customer
   and every line's product go source id → golden id (the customer / product syncs'
   cross-references) → the target's id. A deal whose customer or product has no golden
   record, or whose golden record has no record in the target yet, is quarantined with
   the reason naming which; so is a line without a product. Line discounts are folded
   into the unit price (the target gets the net price per unit).
3. **push** the translated orders through the target's order mapping and connector
   (create only; the connector looks the deal id up first, so a create retried after a
   crash finds its order). A created or found order is linked (``order_links``); a
   refused one is quarantined with the target's message and retried next run.
4. **status back**: the target's orders changed since its cursor are pulled and the
   canonical status of those crmsync created is saved on their links, so the next run
   (and ``crmsync run order``'s summary) reports entered / shipped / invoiced / cancelled.

Not done: changing an order after it was created (a deal edited after it was won), and
pushing the ERP status into the CRM deal.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select

from connectors.base import PushRow
from mappings.engine import MappingError, map_inbound, map_outbound, render_create_values
from mappings.spec import MappingSpec
from store.golden import load_xrefs
from store.orders import OrderLink, links_of, save_links, update_status
from store.quarantine import QuarantineEntry, hold, release
from store.records import SourceRecordState, records_with_status
from store.runs import finish_run, note_cause
from store.schema import order_links
from store.staging import staged_records
from sync.context import SyncContext
from sync.stages.pull import pull_source
from sync.stages.summary import open_run
from sync.stages.transform import PENDING, map_source

log = logging.getLogger(__name__)

ENTITY = "order"
UNIT_PRICE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class Problem:
    """Why a deal cannot become an order yet: the field, its value and the reason."""

    field: str
    value: str | None
    reason: str


@dataclass
class Translation:
    """A deal translated to the target's ids (``order``), or the problems that stop it."""

    order: dict[str, Any] | None = None
    problems: list[Problem] = field(default_factory=list)


class IdTranslator:
    """Source id → golden id → target id for one entity, from its cross-references.

    Args:
        entity: ``customer`` or ``product``.
        xrefs: ``(system, source id) -> golden id`` of that entity.
    """

    def __init__(self, entity: str, xrefs: Mapping[tuple[str, str], str]) -> None:
        self.entity = entity
        self._golden = dict(xrefs)
        self._members: dict[tuple[str, str], list[str]] = {}
        for (system, source_id), golden_id in sorted(xrefs.items()):
            self._members.setdefault((golden_id, system), []).append(source_id)

    def translate(self, source: str, source_id: str, target: str) -> str | Problem:
        """Return the target's id of the record ``source_id`` of ``source``, or the problem."""
        golden_id = self._golden.get((source, source_id))
        if golden_id is None:
            return Problem(
                f"{self.entity}_source_id",
                source_id,
                f"{self.entity} {source_id} of {source} has no golden record yet "
                f"(run the {self.entity} sync first)",
            )
        held = self._members.get((golden_id, target))
        if not held:
            return Problem(
                f"{self.entity}_source_id",
                source_id,
                f"{self.entity} {source_id} of {source} (golden {golden_id}) has no record in "
                f"{target} yet",
            )
        # Several target records of one golden record are duplicates in the target; the
        # oldest (lowest key, compared as numbers where they are) is the one kept.
        return min(held, key=lambda key: (len(key), key))


def _net_unit_price(line: Mapping[str, Any], number: int) -> Decimal | Problem:
    """The line's unit price with its discount (an amount for the whole line) spread."""
    price = (line.get("unit_price") or {}).get("amount")
    try:
        quantity = Decimal(str(line.get("quantity")))
        unit_price = Decimal(str(price))
        discount = Decimal(str(line.get("discount") or 0))
    except InvalidOperation:
        return Problem(f"lines[{number}]", None, f"line {number}: quantity or price missing")
    if not discount:
        return unit_price
    if not quantity:
        return Problem(
            f"lines[{number}].quantity", "0", f"line {number}: a discount on a zero quantity"
        )
    return (unit_price - discount / quantity).quantize(UNIT_PRICE_PLACES)


def translate_order(
    order: Mapping[str, Any],
    deal_id: str,
    source: str,
    target: str,
    customers: IdTranslator,
    products: IdTranslator,
) -> Translation:
    """Translate one canonical order (JSON form) of ``source`` to ``target``'s ids.

    The result keeps the canonical shape: ``customer_source_id`` and every line's
    ``product_source_id`` hold the target's ids, ``external_ref`` the deal id, unit
    prices are net of line discounts.
    """
    problems: list[Problem] = []
    customer = order.get("customer_source_id")
    party: str | Problem
    if not customer:
        party = Problem("customer_source_id", None, "the deal has no customer")
    else:
        party = customers.translate(source, str(customer), target)
    if isinstance(party, Problem):
        problems.append(party)
    lines: list[dict[str, Any]] = []
    currency = order.get("currency") or (order.get("total") or {}).get("currency")
    for number, line in enumerate(order.get("lines") or [], start=1):
        product = line.get("product_source_id")
        if not product:
            problems.append(
                Problem(f"lines[{number}].product_source_id", None, f"line {number} has no product")
            )
            continue
        translated = products.translate(source, str(product), target)
        price = _net_unit_price(line, number)
        if isinstance(translated, Problem):
            problems.append(translated)
        if isinstance(price, Problem):
            problems.append(price)
        if isinstance(translated, Problem) or isinstance(price, Problem):
            continue
        lines.append(
            {
                "line_no": line.get("line_no", number),
                "product_source_id": translated,
                "quantity": str(line.get("quantity")),
                "unit_price": {
                    "amount": str(price),
                    "currency": (line.get("unit_price") or {}).get("currency") or currency,
                },
                "discount": "0",
            }
        )
    if not order.get("lines"):
        problems.append(Problem("lines", None, "the deal has no line items"))
    if problems:
        return Translation(problems=problems)
    return Translation(
        order={
            **order,
            "customer_source_id": party,
            "external_ref": deal_id,
            "currency": currency,
            "lines": lines,
        }
    )


def order_columns(mapping: MappingSpec, order: Mapping[str, Any]) -> dict[str, Any]:
    """Return the target's outbound columns of a translated order.

    The mapping engine writes lists as joined text (for flat columns); the column mapped
    from ``lines`` gets the list of line dicts itself, for the connector to write.
    """
    values = map_outbound(mapping, dict(order))
    for column, rule in (mapping.outbound.rules() if mapping.outbound else {}).items():
        if rule.field == "lines":
            values[column] = [dict(line) for line in order.get("lines") or []]
    return values


@dataclass
class PushCounts:
    """What the push of one source's deals to one target did."""

    linked: int = 0
    created: int = 0
    found: int = 0
    quarantined: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict (for the run summary)."""
        return dict(vars(self))


def _hold(
    source: str, record: SourceRecordState, problems: Sequence[Problem], stage: str, rule: str
) -> list[QuarantineEntry]:
    return [
        QuarantineEntry(
            source,
            ENTITY,
            record.source_id,
            stage,
            rule,
            p.field,
            p.value,
            p.reason,
            record.payload_hash,
        )
        for p in problems
    ]


def push_orders(ctx: SyncContext, run_id: str, source: str, target: str) -> PushCounts:
    """Translate the mapped deals of ``source`` not linked yet and push them to ``target``."""
    mapping = ctx.mapping(target, ENTITY)
    counts = PushCounts()
    with ctx.engine.connect() as connection:
        linked = links_of(connection, source, target)
        deals = [
            r
            for r in records_with_status(connection, ENTITY, PENDING)
            if r.system == source and r.canonical is not None
        ]
        customers = IdTranslator("customer", load_xrefs(connection, "customer"))
        products = IdTranslator("product", load_xrefs(connection, "product"))
    counts.linked = sum(1 for deal in deals if deal.source_id in linked)
    waiting = [deal for deal in deals if deal.source_id not in linked]
    held: list[QuarantineEntry] = []
    rows: list[tuple[SourceRecordState, PushRow]] = []
    for deal in waiting:
        translation = translate_order(
            deal.canonical or {}, deal.source_id, source, target, customers, products
        )
        if translation.order is None:
            held += _hold(source, deal, translation.problems, "translate", "golden_reference")
            continue
        try:
            values = order_columns(mapping, translation.order)
        except (MappingError, ValueError) as exc:
            held += _hold(source, deal, [Problem("order", None, str(exc))], "translate", "mapping")
            continue
        target_id, extra = render_create_values(mapping, deal.source_id)
        rows.append((deal, PushRow(target_id, {**extra, **values}, True, golden_id=deal.source_id)))
    connector = ctx.connector(target)
    size = ctx.settings.entity(ENTITY).publish.batch_size
    for start in range(0, len(rows), size):
        batch = rows[start : start + size]
        result = connector.push(mapping, [row for _, row in batch])
        links: list[OrderLink] = []
        for deal, row in batch:
            if row.target_id in result.rejected:
                reason = f"{target} refused the order: {result.rejected[row.target_id]}"
                held += _hold(source, deal, [Problem("order", None, reason)], "push", "rejected")
                counts.rejected += 1
                continue
            order_id = result.assigned_ids.get(row.target_id)
            if order_id is None:
                continue
            links.append(OrderLink(source, deal.source_id, target, order_id, "entered"))
        counts.created += result.created
        counts.found += len(links) - result.created
        with ctx.engine.begin() as connection:
            save_links(connection, run_id, links)
    with ctx.engine.begin() as connection:
        # A deal's earlier reasons are replaced by this run's (none, once it went through).
        release(connection, run_id, source, ENTITY, [deal.source_id for deal in waiting])
        hold(connection, run_id, held)
    counts.quarantined = len({entry.source_id for entry in held}) - counts.rejected
    log.info(
        "orders %s → %s: %d created, %d found, %d already linked, %d quarantined, %d refused",
        source,
        target,
        counts.created,
        counts.found,
        counts.linked,
        counts.quarantined,
        counts.rejected,
    )
    return counts


def read_status(ctx: SyncContext, run_id: str, target: str) -> int:
    """Pull ``target``'s orders changed since its cursor; save the status of linked ones.

    Returns:
        How many linked orders changed status.
    """
    mapping = ctx.mapping(target, ENTITY)
    pull_source(ctx, run_id, ENTITY, target)
    statuses: dict[str, tuple[str, str | None]] = {}
    with ctx.engine.connect() as connection:
        for record in staged_records(connection, run_id, target, ENTITY):
            try:
                order = map_inbound(mapping, record.source_id, record.payload)
            except MappingError:
                continue  # not one of ours to report on; the pull stage landed it anyway
            state = record.payload.get("state")
            statuses[record.source_id] = (
                str(getattr(order, "status", "entered")),
                str(state) if state else None,
            )
    with ctx.engine.begin() as connection:
        return update_status(connection, run_id, target, statuses)


def status_counts(ctx: SyncContext, target: str) -> dict[str, int]:
    """Return ``status -> number of linked orders`` in ``target``."""
    with ctx.engine.connect() as connection:
        rows = connection.execute(
            select(order_links.c.status, func.count())
            .where(order_links.c.target == target)
            .group_by(order_links.c.status)
        )
        return {str(status): int(count) for status, count in rows}


def run_orders(ctx: SyncContext) -> dict[str, Any]:
    """Run the order flow once (see the module docstring) and return its summary.

    Any failure ends the run ``failed`` with its cause and is raised.
    """
    from sync.runner import one_line_cause

    settings = ctx.settings.entity(ENTITY)
    run_id = open_run(ctx, ENTITY)
    summary: dict[str, Any] = {"run_id": run_id, "entity": ENTITY, "pulled": {}, "targets": {}}
    try:
        for source in settings.sources:
            summary["pulled"][source] = pull_source(ctx, run_id, ENTITY, source)
            map_source(ctx, run_id, ENTITY, source)
        for target in settings.targets:
            pushed = Counter[str]()
            for source in settings.sources:
                pushed.update(push_orders(ctx, run_id, source, target).as_dict())
            changed = read_status(ctx, run_id, target)
            summary["targets"][target] = {
                **{key: pushed.get(key, 0) for key in PushCounts().as_dict()},
                "status_changed": changed,
                "status": status_counts(ctx, target),
            }
    except Exception as exc:
        cause = one_line_cause(exc)
        with ctx.engine.begin() as connection:
            note_cause(connection, run_id, cause)
            finish_run(connection, run_id, "failed", {**summary, "status": "failed"}, cause)
        raise
    summary["status"] = "success"
    with ctx.engine.begin() as connection:
        finish_run(connection, run_id, "success", summary)
    return summary


def print_order_summary(summary: Mapping[str, Any]) -> None:
    """Print an order run's summary for people (``crmsync run order``)."""
    print(f"\norder: run {summary['run_id']} {summary['status']}")
    for system, count in summary["pulled"].items():
        print(f"  pulled {count:>6} won deals from {system}")
    for target, counts in summary["targets"].items():
        print(
            f"  orders in {target:<16} created {counts['created']:>4}  found {counts['found']:>4}"
            f"  already linked {counts['linked']:>4}  quarantined {counts['quarantined']:>4}"
            f"  refused {counts['rejected']:>4}"
        )
        statuses = ", ".join(f"{s} {n}" for s, n in sorted(counts["status"].items()))
        print(f"  status of linked orders in {target}: {statuses or 'none yet'}")
