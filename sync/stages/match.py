"""Stage 4, match: group the entity's good source records into real-world entities and
give every group a golden id that stays the same across runs.

All ``ok`` records of the entity take part (not only this run's changes), so a new record
can join an existing golden record. Records already linked and not changed by their
source since keep their link (see :mod:`dedupe.golden_ids`), so our own pushes echoing
back never move a record. Identity changes are recorded as match events.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dedupe.golden_ids import assign_golden_ids
from dedupe.matcher import MatchedPair, MatchResult, match_customers, match_products
from mappings.models import CANONICAL_MODELS, Record, SourceRef
from store.golden import (
    MatchEvent,
    XrefLink,
    load_active_golden,
    load_xrefs,
    record_events,
    retire_golden,
    save_xrefs,
)
from store.records import OK, mark_matched, records_with_status
from sync.context import SyncContext

log = logging.getLogger(__name__)

GOLDEN_ID_PREFIX = {"customer": "GC", "product": "GP", "contact": "GK"}


def _one_cluster_each(records: Sequence[Record]) -> MatchResult:
    return MatchResult(
        clusters=sorted([[r.source.key()] for r in records]), pairs=[], candidate_pairs=0
    )


def _matcher(ctx: SyncContext, entity: str) -> Callable[[Sequence[Record]], MatchResult]:
    if not ctx.settings.entity(entity).match.enabled:
        return _one_cluster_each
    matchers: dict[str, Callable[[Sequence[Record]], MatchResult]] = {
        "customer": match_customers,  # type: ignore[dict-item]
        "product": match_products,  # type: ignore[dict-item]
    }
    return matchers.get(entity, _one_cluster_each)


@dataclass(frozen=True)
class MatchCounts:
    """What the match stage found."""

    records: int
    candidate_pairs: int
    matched_pairs: int
    golden_records: int
    merged_records: int
    events: dict[str, int]


def _best_pair_by_key(pairs: Sequence[MatchedPair]) -> dict[str, MatchedPair]:
    best: dict[str, MatchedPair] = {}
    for pair in pairs:
        for key in (pair.left, pair.right):
            if key not in best or pair.score > best[key].score:
                best[key] = pair
    return best


def match_entity(ctx: SyncContext, run_id: str, entity: str) -> MatchCounts:
    """Match every good record of ``entity`` and save cross-references and events."""
    model = CANONICAL_MODELS[entity]
    with ctx.engine.connect() as connection:
        states = records_with_status(connection, entity, OK)
        previous_links = load_xrefs(connection, entity)
        active = set(load_active_golden(connection, entity))
    records = [model.model_validate(s.canonical) for s in states if s.canonical]
    result = _matcher(ctx, entity)(records)
    previous = {
        SourceRef(system=system, entity=entity, source_id=source_id).key(): golden_id
        for (system, source_id), golden_id in previous_links.items()
    }
    anchored = {
        SourceRef(system=s.system, entity=entity, source_id=s.source_id).key()
        for s in states
        if not s.needs_match
    }
    assignment = assign_golden_ids(
        result.clusters, previous, active, GOLDEN_ID_PREFIX.get(entity, "G"), anchored=anchored
    )
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
    events = [
        MatchEvent(e.event, e.golden_id, e.other_golden_ids, e.members) for e in assignment.events
    ]
    with ctx.engine.begin() as connection:
        save_xrefs(connection, run_id, entity, links)
        record_events(connection, run_id, entity, events)
        retire_golden(connection, run_id, assignment.retired)
        mark_matched(connection, entity, [(s.system, s.source_id) for s in states])
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
    )
    log.info(
        "match %s: %d records, %d candidate pairs, %d matched pairs → %d golden records "
        "(%d source records merged); events %s",
        entity,
        counts.records,
        counts.candidate_pairs,
        counts.matched_pairs,
        counts.golden_records,
        counts.merged_records,
        event_counts or "none",
    )
    return counts
