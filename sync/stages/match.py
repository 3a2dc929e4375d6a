"""Stage 4, match: group the entity's good source records into real-world entities and
give every group a golden id that stays the same across runs.

All ``ok`` records of the entity take part (not only this run's changes), so a new record
can join an existing golden record. Pairs are decided by the entity's rule set and hard
constraints together with the Fellegi–Sunter engine (:mod:`dedupe.matcher`); pairs
between the lower and upper thresholds go to the review queue with their explanation;
steward decisions from that queue are applied (a merged pair is matched, a rejected pair
never is) and feed the engine as labelled pairs. Contacts are matched within their
golden customer only.

Records already linked and not changed by their source since keep their link (see
:mod:`dedupe.golden_ids`), so our own pushes echoing back never move a record; records
of a pair a steward just decided are free to move. An unlinked record carrying an active
golden id in its golden-id column is anchored to it unless a hard constraint forbids it,
and a create interrupted before its bookkeeping is settled by the record it made (see
:mod:`sync.stages.carried_ids`). Identity changes are recorded as match events. With
``match.detect_deletes`` the stage first asks every source for the keys it holds and
retires the records it no longer has (:func:`retire_missing_records`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from dedupe.golden_ids import GoldenIdAssignment, assign_golden_ids
from dedupe.matcher import (
    MatchedPair,
    MatchOptions,
    MatchResult,
    match_contacts,
    match_customers,
    match_products,
)
from mappings.models import CANONICAL_MODELS, Contact, Customer, Product, Record, SourceRef
from store.golden import (
    MatchEvent,
    XrefLink,
    load_active_golden,
    load_xrefs,
    record_events,
    retire_golden,
    retire_missing,
    save_xrefs,
)
from store.records import OK, SourceRecordState, mark_matched, records_with_status
from store.review import (
    MERGED,
    QueuedPair,
    ReviewItem,
    mark_applied,
    queue_pairs,
    steward_decisions,
)
from sync.context import SyncContext
from sync.stages.carried_ids import (
    allowed_anchors,
    carried_golden_ids,
    rules_of,
    settle_interrupted_creates,
)

log = logging.getLogger(__name__)

GOLDEN_ID_PREFIX = {"customer": "GC", "product": "GP", "contact": "GK"}
MATCHED_ENTITIES = ("customer", "product", "contact")


@dataclass(frozen=True)
class MatchCounts:
    """What the match stage found."""

    records: int
    candidate_pairs: int
    matched_pairs: int
    golden_records: int
    merged_records: int
    events: dict[str, int]
    review: dict[str, int] = field(default_factory=dict)
    retired_records: int = 0
    anchored_by_golden_id: int = 0
    """Unlinked records anchored to the golden id they carry."""
    settled_creates: int = 0
    """Interrupted creates found in their target and settled."""


def _one_cluster_each(records: Sequence[Record]) -> MatchResult:
    return MatchResult(
        clusters=sorted([[r.source.key()] for r in records]), pairs=[], candidate_pairs=0
    )


def _options(ctx: SyncContext, entity: str, decisions: Sequence[ReviewItem]) -> MatchOptions:
    settings = ctx.settings.entity(entity).match
    return MatchOptions(
        method=settings.method,
        upper=settings.upper_threshold,
        lower=settings.lower_threshold,
        must_link=[(d.left_key, d.right_key) for d in decisions if d.status == MERGED],
        cannot_link=[(d.left_key, d.right_key) for d in decisions if d.status != MERGED],
        labels=settings.steward_labels,
    )


def contact_customers(ctx: SyncContext, contacts: Sequence[Contact]) -> dict[str, str]:
    """Return contact record key → golden id of its customer (same system's customer)."""
    with ctx.engine.connect() as connection:
        customer_links = load_xrefs(connection, "customer")
    out: dict[str, str] = {}
    for contact in contacts:
        if contact.customer_source_id:
            golden_id = customer_links.get((contact.source.system, contact.customer_source_id))
            if golden_id:
                out[contact.source.key()] = golden_id
    return out


def _match(
    ctx: SyncContext, entity: str, records: Sequence[Record], options: MatchOptions
) -> MatchResult:
    if not ctx.settings.entity(entity).match.enabled or entity not in MATCHED_ENTITIES:
        return _one_cluster_each(records)
    if entity == "customer":
        return match_customers([r for r in records if isinstance(r, Customer)], options)
    if entity == "product":
        return match_products([r for r in records if isinstance(r, Product)], options)
    contacts = [r for r in records if isinstance(r, Contact)]
    return match_contacts(contacts, contact_customers(ctx, contacts), options)


def _best_pair_by_key(pairs: Sequence[MatchedPair]) -> dict[str, MatchedPair]:
    best: dict[str, MatchedPair] = {}
    for pair in pairs:
        for key in (pair.left, pair.right):
            if key not in best or pair.score > best[key].score:
                best[key] = pair
    return best


def _links(assignment: GoldenIdAssignment, result: MatchResult) -> list[XrefLink]:
    best = _best_pair_by_key(result.pairs)
    links = []
    for key, golden_id in assignment.golden_of.items():
        system, _entity, source_id = key.split("/", 2)
        pair = best.get(key)
        links.append(
            XrefLink(
                system,
                source_id,
                golden_id,
                pair.score if pair else None,
                pair.reason if pair else None,
            )
        )
    return links


def _queued(result: MatchResult, golden_of: dict[str, str]) -> list[QueuedPair]:
    return [
        QueuedPair(
            pair.left,
            pair.right,
            pair.probability,
            pair.match_weight,
            [item.as_dict() for item in pair.explanation],
            golden_of.get(pair.left),
            golden_of.get(pair.right),
        )
        for pair in result.review
        # Anchored records can share a golden id the matcher would keep apart: then
        # there is nothing to ask a steward.
        if golden_of.get(pair.left) != golden_of.get(pair.right)
    ]


def retire_missing_records(
    ctx: SyncContext,
    run_id: str,
    entity: str,
    system: str,
    keys: Iterable[str] | None = None,
) -> list[str]:
    """Retire the records of ``system`` it no longer holds from their golden records.

    Args:
        ctx: The sync context.
        run_id: The current run.
        entity: The entity.
        system: The source system.
        keys: Every primary key the source holds now; asked from the connector
            (``Connector.keys``) when None. The pull stage may pass the keys it has.

    Returns:
        The retired source ids.
    """
    if keys is None:
        keys = list(ctx.connector(system).keys(ctx.mapping(system, entity)))
    with ctx.engine.begin() as connection:
        gone = retire_missing(connection, run_id, entity, system, keys)
    if gone:
        log.info("match %s: %d records deleted at %s retired", entity, len(gone), system)
    return gone


def _fresh(decisions: Sequence[ReviewItem]) -> set[str]:
    """Keys of pairs a steward decided since the last run (free to move)."""
    return {key for d in decisions if d.applied_run is None for key in (d.left_key, d.right_key)}


def _anchored(
    entity: str, states: Sequence[SourceRecordState], decisions: Sequence[ReviewItem]
) -> set[str]:
    return {
        SourceRef(system=s.system, entity=entity, source_id=s.source_id).key()
        for s in states
        if not s.needs_match
    } - _fresh(decisions)


def _carried_anchors(
    ctx: SyncContext,
    entity: str,
    records: Sequence[Record],
    carried: dict[tuple[str, str], str],
    previous: dict[str, str],
) -> dict[str, str]:
    """Record key → golden id, for unlinked records anchored by the golden id they carry."""
    if not carried:
        return {}
    by_key = {
        SourceRef(system=system, entity=entity, source_id=source_id).key(): golden_id
        for (system, source_id), golden_id in carried.items()
    }
    contacts = [r for r in records if isinstance(r, Contact)]
    customer_of = contact_customers(ctx, contacts) if entity == "contact" else {}
    held = allowed_anchors(rules_of(entity, customer_of), records, by_key, previous)
    if len(held) < len(by_key):
        log.info(
            "match %s: %d records carry a golden id a hard constraint keeps them from",
            entity, len(by_key) - len(held),
        )  # fmt: skip
    return held


def match_entity(ctx: SyncContext, run_id: str, entity: str) -> MatchCounts:
    """Match every good record of ``entity``; save cross-references, events and the
    review queue."""
    settings = ctx.settings.entity(entity)
    retired = 0
    if settings.match.detect_deletes:
        for system in settings.sources:
            retired += len(retire_missing_records(ctx, run_id, entity, system))
    model = CANONICAL_MODELS[entity]
    with ctx.engine.connect() as connection:
        states = records_with_status(connection, entity, OK)
        previous_links = load_xrefs(connection, entity)
        active = set(load_active_golden(connection, entity))
        decisions = steward_decisions(connection, entity)
    carried = carried_golden_ids(ctx, entity, states, previous_links, active)
    settled = settle_interrupted_creates(ctx, run_id, entity, carried) if carried else []
    if settled:
        with ctx.engine.connect() as connection:
            previous_links = load_xrefs(connection, entity)
    records = [model.model_validate(s.canonical) for s in states if s.canonical]
    result = _match(ctx, entity, records, _options(ctx, entity, decisions))
    previous = {
        SourceRef(system=system, entity=entity, source_id=source_id).key(): golden_id
        for (system, source_id), golden_id in previous_links.items()
    }
    held = _carried_anchors(ctx, entity, records, carried, previous)
    assignment = assign_golden_ids(
        result.clusters,
        {**previous, **held},
        active,
        GOLDEN_ID_PREFIX.get(entity, "G"),
        anchored=_anchored(entity, states, decisions) | set(held) - _fresh(decisions),
    )
    events = [
        MatchEvent(e.event, e.golden_id, e.other_golden_ids, e.members) for e in assignment.events
    ]
    with ctx.engine.begin() as connection:
        save_xrefs(connection, run_id, entity, _links(assignment, result))
        record_events(connection, run_id, entity, events)
        retire_golden(connection, run_id, assignment.retired)
        mark_matched(connection, entity, [(s.system, s.source_id) for s in states])
        review = queue_pairs(connection, run_id, entity, _queued(result, assignment.golden_of))
        mark_applied(connection, run_id, [d.id for d in decisions if d.applied_run is None])
    event_counts: dict[str, int] = {}
    for event in events:
        event_counts[event.event] = event_counts.get(event.event, 0) + 1
    counts = MatchCounts(
        records=len(records),
        candidate_pairs=result.candidate_pairs,
        matched_pairs=len(result.pairs),
        golden_records=len(result.clusters),
        merged_records=sum(len(c) for c in result.clusters if len(c) > 1),
        events=event_counts,
        review=review,
        retired_records=retired,
        anchored_by_golden_id=len(held),
        settled_creates=len(settled),
    )
    log.info(
        "match %s: %d records, %d candidate pairs, %d matched pairs → %d golden records "
        "(%d source records merged, %d anchored by the golden id they carry, %d "
        "interrupted creates settled); review queue %s; events %s",
        entity,
        counts.records,
        counts.candidate_pairs,
        counts.matched_pairs,
        counts.golden_records,
        counts.merged_records,
        counts.anchored_by_golden_id,
        counts.settled_creates,
        review,
        event_counts or "none",
    )
    return counts
