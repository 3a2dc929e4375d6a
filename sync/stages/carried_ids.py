"""Golden ids that records carry in their golden-id column: anchors for unlinked records.

Publishing writes every golden id into the target record's golden-id column
(``outbound.golden_id_column``), and pulling reads that column back under the same name.
A pulled record the store has no link for, but whose column holds an active golden id,
is one of ours: a record an interrupted create made under an id the target chose
(BottleCRM, Tryton), or a copy of one of our records a user made. The rule:

* **Interrupted creates are settled.** When the store holds a create of that golden id
  in that system that was never confirmed (the process died between the target's create
  and our bookkeeping), the pulled record *is* that create: its outbox rows are marked
  sent under the real id and the provisional cross-reference moves to it
  (:func:`store.outbox.settle_found_create`). Publish then updates it; no second create.
* **The golden-id column is a strong anchor.** An unlinked record carrying an active
  golden id is anchored to it (kept there whatever the matcher says), *unless* a hard
  matching constraint forbids it to share a golden record with that golden record's
  members — a different tax id, another kind of party, a branch of it. Then it is
  matched like any new record.
* Only unlinked records: a linked record keeps following its link and the matcher (a
  record a user changed into another company still carries our old id, and must be able
  to split off).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence

import numpy as np

from dedupe.contact_rules import ContactRules
from dedupe.customer_rules import CustomerRules
from dedupe.product_rules import ProductRules
from dedupe.rules import EntityRules
from mappings.models import Record
from store.outbox import settle_found_create, unconfirmed_create_hashes
from store.records import SourceRecordState
from store.target_state import latest_payloads
from sync.context import SyncContext

log = logging.getLogger(__name__)

SystemKey = tuple[str, str]
"""(system, source id) of a source record."""


def golden_id_value(value: object) -> str | None:
    """Return a golden-id column's value as a golden id, None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def carried_golden_ids(
    ctx: SyncContext,
    entity: str,
    states: Sequence[SourceRecordState],
    links: Mapping[SystemKey, str],
    active: set[str],
) -> dict[SystemKey, str]:
    """Return the active golden id each unlinked record carries in its golden-id column.

    Reads the newest pulled payload of the unlinked records only (new records, as a rule).
    """
    if not active:
        return {}
    unlinked: dict[str, list[str]] = {}
    for state in states:
        if (state.system, state.source_id) not in links:
            unlinked.setdefault(state.system, []).append(state.source_id)
    carried: dict[SystemKey, str] = {}
    for system, source_ids in sorted(unlinked.items()):
        outbound = ctx.mapping(system, entity).outbound
        column = outbound.golden_id_column if outbound else None
        if not column:
            continue
        with ctx.engine.connect() as connection:
            payloads = latest_payloads(connection, system, entity, source_ids)
        for source_id, payload in payloads.items():
            golden_id = golden_id_value(payload.get(column))
            if golden_id in active:
                carried[(system, source_id)] = golden_id
    return carried


def settle_interrupted_creates(
    ctx: SyncContext, run_id: str, entity: str, carried: Mapping[SystemKey, str]
) -> list[tuple[str, str, str]]:
    """Settle the creates in doubt that the carried golden ids show reached their target.

    Returns:
        ``(system, provisional id, real id)`` of every create settled.
    """
    settled: list[tuple[str, str, str]] = []
    systems = sorted({system for system, _sid in carried})
    with ctx.engine.begin() as connection:
        for system in systems:
            in_doubt = unconfirmed_create_hashes(connection, system, entity)
            for (carrier, source_id), golden_id in sorted(carried.items()):
                if carrier != system or golden_id not in in_doubt:
                    continue
                provisional = settle_found_create(
                    connection, run_id, system, entity, golden_id, source_id
                )
                if provisional is not None:
                    # One record per create: a second carrier is a copy, anchored only.
                    in_doubt.pop(golden_id)
                    settled.append((system, provisional, source_id))
    for system, provisional, real in settled:
        log.info(
            "match %s: create %s in %s was interrupted before its bookkeeping; the record "
            "it made is %s",
            entity, provisional, system, real,
        )  # fmt: skip
    return settled


def rules_of(entity: str, customer_of: Mapping[str, str]) -> EntityRules | None:
    """Return the entity's rule set (its hard constraints), None for unmatched entities."""
    if entity == "customer":
        return CustomerRules()
    if entity == "product":
        return ProductRules()
    if entity == "contact":
        return ContactRules(customer_of)
    return None


def allowed_anchors(
    rules: EntityRules | None,
    records: Sequence[Record],
    carried: Mapping[str, str],
    previous: Mapping[str, str],
) -> dict[str, str]:
    """Return those carried anchors the hard constraints allow.

    Args:
        rules: The entity's rule set; None allows every anchor.
        records: The entity's canonical records taking part in matching.
        carried: Record key → golden id it carries (unlinked records).
        previous: Record key → golden id of every linked record.

    Returns:
        Record key → golden id, for the records that may join the golden record they
        carry: no hard constraint forbids a pair with any of its current members.
    """
    if rules is None or not carried:
        return dict(carried)
    wanted = set(carried.values())
    members: dict[str, list[str]] = {}
    for key, golden_id in previous.items():
        if golden_id in wanted and key not in carried:
            members.setdefault(golden_id, []).append(key)
    involved = set(carried) | {key for keys in members.values() for key in keys}
    subset = [r for r in records if r.source.key() in involved]
    cols = rules.columns(subset)
    position = {key: index for index, key in enumerate(rules.keys(cols))}
    pairs: list[tuple[int, int]] = []
    owner: list[str] = []
    for key, golden_id in carried.items():
        for member in members.get(golden_id, []):
            if key in position and member in position:
                left, right = sorted((position[key], position[member]))
                pairs.append((left, right))
                owner.append(key)
    refused: set[str] = set()
    if pairs:
        ok = rules.allowed(cols, np.asarray(pairs, dtype=np.int64).reshape(-1, 2))
        refused = {owner[i] for i in np.flatnonzero(~ok).tolist()}
    return {key: golden_id for key, golden_id in carried.items() if key not in refused}
