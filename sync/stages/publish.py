"""Stage 7, publish: write golden values and golden ids back to a target system, safely.

For every active golden record, each of the target's records linked to it receives the
golden values through the target's outbound mapping, plus the golden id; a golden record
the target does not hold yet is created there when the mapping allows it. Golden records
held by the golden gate are not sent. What makes it safe:

* **Outbox first.** Every change is written to the outbox (idempotency key per target,
  entity, golden id, target id and content) before it is sent, together with the
  cross-reference of a record about to be created (keyed by the id its create template
  gives, derived from the golden id). A crash between the write and the bookkeeping
  leaves the change *in doubt*: the next run plans it again, and the repeat is harmless
  — an upsert on the key, or for a create a lookup on the golden id first
  (``PushRow.golden_id``) and, where the target assigns its own ids, the assigned id
  saved in place of the provisional one (``PushResult.assigned_ids``).
* **Splits are not undone.** Updates go out before creates. A record that left a golden
  record still carries that golden id in its golden-id column until its update rewrites
  it; a create of the golden record it left waits for that update (sent first, in the
  same run) so the create's lookup by golden id cannot find the departed record and take
  it over. When that update is not written (deferred, refused, held), the create is
  deferred to a later run.
* **Diff.** A record whose payload equals what the target confirmed receiving is not sent.
* **Field ownership.** Fields a target owns (``systems.<name>.owns``) are never sent to it.
* **Conflicts.** An update carries the target record's change time as last pulled
  (``PushRow.expected_updated_at``); a record changed since is not overwritten but
  deferred (``publish_conflicts``), re-pulled and re-matched by the next run.
* **Circuit breaker.** Before anything is written, a run that would create or update more
  than ``entities.<e>.publish.max_change_ratio`` of any target's records (beyond
  ``min_changes``) records an approval request and stops; ``crmsync approve RUN_ID`` lets
  the next run through. The first publish to a target (initial load) is not limited
  unless ``guard_initial_load`` is set.
* **Dead letters.** A record the target refuses is parked with the target's message and
  retried on later runs; the others go on.
"""

from __future__ import annotations

import logging
import os
import signal
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from connectors.base import Connector, PushResult, PushRow
from connectors.errors import FatalError, RecordError
from mappings.engine import map_outbound, render_create_values
from mappings.spec import MappingSpec
from store.approvals import ApprovalRequest, request_approval, use_approval
from store.conflicts import Deferred, defer
from store.conflicts import resolve as resolve_conflicts
from store.dead_letters import Rejection, park
from store.dead_letters import resolve as resolve_dead_letters
from store.golden import XrefLink, load_active_golden, members_by_golden, save_xrefs
from store.outbox import (
    OutboxItem,
    confirmed_published,
    enqueue,
    has_history,
    known_keys,
    log_publish,
    mark_conflict,
    mark_failed,
    mark_rejected,
    mark_sent,
    records_carrying,
    unconfirmed_creates,
)
from store.records import QUARANTINED, records_with_status
from store.staging import payload_hash
from store.target_state import latest_payloads, pulled_timestamps
from sync.context import SyncContext
from sync.ownership import owned_columns, owned_fields, unsent_fields, without_owned
from sync.stages.gate import held_golden_ids

log = logging.getLogger(__name__)

KILL_AT_ENV = "CRMSYNC_PUBLISH_KILL_AT"
"""Fault injection for crash tests: ``<phase>:<n>`` kills this process with SIGKILL the
n-th time publishing reaches ``phase`` (``enqueued``, ``pushed`` — written to the target,
not yet recorded — or ``recorded``). Unset in normal operation."""

_phase_counts: Counter[str] = Counter()


def _fault_point(phase: str) -> None:
    spec = os.environ.get(KILL_AT_ENV)
    if not spec:
        return
    wanted, _, count = spec.partition(":")
    if wanted != phase:
        return
    _phase_counts[phase] += 1
    if _phase_counts[phase] >= int(count or "1"):
        os.kill(os.getpid(), signal.SIGKILL)


class MassChangeError(RuntimeError):
    """A run would change too large a share of a target's records; nothing was written."""


@dataclass(frozen=True)
class TargetPlan:
    """The changes one target needs, and how many linked records are already current."""

    target: str
    entity: str
    items: tuple[OutboxItem, ...]
    unchanged: int
    owned_columns: tuple[str, ...] = ()
    waiting: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Create (provisional target id) → target records that still carry its golden id
    but belong to another golden record: the create is sent only after their updates."""

    @property
    def creates(self) -> list[OutboxItem]:
        """The records to create."""
        return [i for i in self.items if i.operation == "create"]

    @property
    def updates(self) -> list[OutboxItem]:
        """The records to update."""
        return [i for i in self.items if i.operation == "update"]


@dataclass(frozen=True)
class BreakerCheck:
    """The circuit breaker's measure of one target's planned changes."""

    target: str
    changes: int
    target_records: int | None
    max_changes: int | None
    initial_load: bool

    @property
    def exceeded(self) -> bool:
        """True when the changes are beyond what the breaker lets through unapproved."""
        return self.max_changes is not None and self.changes > self.max_changes


@dataclass(frozen=True)
class PublishCounts:
    """What publishing to one target did."""

    created: int
    updated: int
    unchanged: int
    deferred: int = 0
    rejected: int = 0

    def as_dict(self) -> dict[str, int]:
        """Return the counts as a plain dict."""
        return asdict(self)


def publish_mapping(
    ctx: SyncContext, target: str, entity: str
) -> tuple[MappingSpec, tuple[str, ...]]:
    """Return the target's mapping without the fields it owns or its connector never
    writes, and the columns dropped."""
    mapping = ctx.mapping(target, entity)
    owned = owned_fields(ctx.settings, target, entity)
    owned += tuple(f for f in unsent_fields(ctx.connector(target), entity) if f not in owned)
    return without_owned(mapping, owned), owned_columns(mapping, owned)


def plan_changes(ctx: SyncContext, entity: str, target: str) -> TargetPlan:
    """Return the changes ``target`` needs; reads the store only, writes nothing."""
    mapping, owned = publish_mapping(ctx, target, entity)
    outbound = mapping.outbound
    if outbound is None:
        return TargetPlan(target, entity, (), 0, owned)
    with ctx.engine.connect() as connection:
        golden = load_active_golden(connection, entity)
        members = members_by_golden(connection, entity)
        confirmed = confirmed_published(connection, target, entity)
        in_doubt_creates = unconfirmed_creates(connection, target, entity)
        pulled_at = pulled_timestamps(connection, target, entity)
        held = {
            s.source_id
            for s in records_with_status(connection, entity, QUARANTINED)
            if s.system == target
        }
        link_of = {sid: g for g, keys in members.items() for sys, sid in keys if sys == target}
        current = latest_payloads(connection, target, entity, set(link_of)) if owned else {}
    blocked = held_golden_ids(ctx, entity)
    items: list[OutboxItem] = []
    unchanged = 0
    for golden_id in sorted(set(golden) - blocked):
        values = map_outbound(mapping, golden[golden_id].data)
        if outbound.golden_id_column:
            values[outbound.golden_id_column] = golden_id
        in_target = [sid for system, sid in members.get(golden_id, []) if system == target]
        linked = [sid for sid in in_target if sid not in held]
        confirmed_links = [sid for sid in linked if sid not in in_doubt_creates]
        if not confirmed_links:
            # A member held in quarantine is still the target's record of this golden one:
            # creating another would duplicate it.
            if outbound.create is None or len(linked) < len(in_target):
                continue
            new_id, extra = render_create_values(mapping, golden_id)
            # What the new record will hold: our values, the owned columns left empty.
            digest = payload_hash({**dict.fromkeys(owned), **values})
            items.append(
                OutboxItem(target, entity, golden_id, new_id, "create", {**extra, **values}, digest)
            )
            continue
        for target_id in confirmed_links:
            # The hash covers what the record holds afterwards, owned columns included, so
            # its echo in the next pull is recognised as our own write.
            kept = {c: current.get(target_id, {}).get(c) for c in owned}
            digest = payload_hash({**kept, **values})
            if confirmed.get(target_id) == digest:
                unchanged += 1
                continue
            items.append(
                OutboxItem(
                    target,
                    entity,
                    golden_id,
                    target_id,
                    "update",
                    values,
                    digest,
                    expected_updated_at=pulled_at.get(target_id),
                )
            )
    waiting = _waiting_creates(ctx, target, entity, items, link_of)
    return TargetPlan(target, entity, tuple(items), unchanged, owned, waiting)


def _waiting_creates(
    ctx: SyncContext,
    target: str,
    entity: str,
    items: Sequence[OutboxItem],
    link_of: Mapping[str, str],
) -> dict[str, tuple[str, ...]]:
    """Creates whose golden id a record of another golden record still carries."""
    creates = [i for i in items if i.operation == "create"]
    if not creates:
        return {}
    with ctx.engine.connect() as connection:
        carriers = records_carrying(connection, target, entity, {i.golden_id for i in creates})
    waiting: dict[str, tuple[str, ...]] = {}
    for item in creates:
        departed = sorted(
            sid
            for sid in carriers.get(item.golden_id, ())
            if link_of.get(sid) not in (None, item.golden_id)
        )
        if departed:
            waiting[item.target_id] = tuple(departed)
    return waiting


def plan_target(ctx: SyncContext, entity: str, target: str) -> tuple[list[OutboxItem], int]:
    """Return the changes ``target`` needs and the number of linked records already current."""
    plan = plan_changes(ctx, entity, target)
    return list(plan.items), plan.unchanged


def check_breaker(ctx: SyncContext, entity: str, plan: TargetPlan) -> BreakerCheck:
    """Measure ``plan`` against the entity's publish limits (reads the target's count).

    Changes an earlier run already enqueued (it got past the breaker, then failed or was
    killed) do not count again.
    """
    limits = ctx.settings.entity(entity).publish
    with ctx.engine.connect() as connection:
        initial = not has_history(connection, plan.target, entity)
        earlier = known_keys(connection, [i.idempotency_key for i in plan.items])
    changes = sum(1 for i in plan.items if i.idempotency_key not in earlier)
    if (initial and not limits.guard_initial_load) or changes <= limits.min_changes:
        return BreakerCheck(plan.target, changes, None, None, initial)
    mapping = ctx.mapping(plan.target, entity)
    total = ctx.connector(plan.target).stats(mapping).total
    allowed = max(limits.min_changes, int(limits.max_change_ratio * total))
    return BreakerCheck(plan.target, changes, total, allowed, initial)


def guard_mass_change(
    ctx: SyncContext, run_id: str, entity: str, plans: Sequence[TargetPlan]
) -> None:
    """Stop the run before writing when any target's changes exceed the breaker.

    Raises:
        MassChangeError: With a one-line cause naming ``crmsync approve RUN_ID``; an
            approval request per exceeded target is recorded first.
    """
    stopped: list[BreakerCheck] = []
    for plan in plans:
        check = check_breaker(ctx, entity, plan)
        if not check.exceeded:
            continue
        with ctx.engine.begin() as connection:
            approval = use_approval(connection, run_id, entity, plan.target, check.changes)
            if approval is None:
                request_approval(
                    connection,
                    ApprovalRequest(
                        run_id,
                        entity,
                        plan.target,
                        check.changes,
                        check.target_records or 0,
                        check.max_changes or 0,
                    ),
                )
        if approval is None:
            stopped.append(check)
        else:
            log.warning(
                "publish %s → %s: %d changes let through by the approval of run %s",
                entity, plan.target, check.changes, approval,
            )  # fmt: skip
    if stopped:
        limit = ctx.settings.entity(entity).publish.max_change_ratio
        parts = "; ".join(
            f"{c.changes} of {c.target_records} records in {c.target} (limit {c.max_changes})"
            for c in stopped
        )
        raise MassChangeError(
            f"mass change stopped before writing: {entity} run would change {parts}, more "
            f"than {limit:.0%}; review with `crmsync plan {entity}`, then run "
            f"`crmsync approve {run_id}` and run again"
        )


@dataclass
class _Outcome:
    result: PushResult
    refused: dict[str, str] = field(default_factory=dict)


def _push_row(item: OutboxItem) -> PushRow:
    return PushRow(
        item.target_id,
        item.payload,
        item.operation == "create",
        golden_id=item.golden_id,
        expected_updated_at=item.expected_updated_at if item.operation == "update" else None,
    )


def _add(total: PushResult, part: PushResult) -> None:
    total.created += part.created
    total.updated += part.updated
    total.rejected.update(part.rejected)
    total.assigned_ids.update(part.assigned_ids)
    total.conflicts.update(part.conflicts)


def _push_batch(
    connector: Connector, mapping: MappingSpec, batch: Sequence[OutboxItem]
) -> _Outcome:
    """Push a batch; when the target refuses it, find the records it refuses one by one."""
    try:
        return _Outcome(connector.push(mapping, [_push_row(i) for i in batch]))
    except (RecordError, FatalError) as exc:
        # A lone record refused is parked; a batch is split to find the refused records
        # (and raised when every one of them is refused alike: then the target is at fault).
        if len(batch) == 1:
            return _Outcome(PushResult(), {batch[0].target_id: str(exc)})
        return _one_by_one(connector, mapping, batch, exc)


def _one_by_one(
    connector: Connector,
    mapping: MappingSpec,
    batch: Sequence[OutboxItem],
    first: RecordError | FatalError,
) -> _Outcome:
    total = PushResult()
    refused: dict[str, str] = {}
    for item in batch:
        try:
            _add(total, connector.push(mapping, [_push_row(item)]))
        except (RecordError, FatalError) as exc:
            refused[item.target_id] = str(exc)
    if len(refused) == len(batch) and isinstance(first, FatalError):
        # Every record refused alike: the target itself is the problem, not the records.
        raise first
    return _Outcome(total, refused)


def _record_batch(
    ctx: SyncContext,
    run_id: str,
    entity: str,
    target: str,
    batch: Sequence[OutboxItem],
    outcome: _Outcome,
) -> None:
    """Bookkeeping of one pushed batch, in one store transaction."""
    result = outcome.result
    refused = {**result.rejected, **outcome.refused}
    conflicts = result.conflicts
    sent = [i for i in batch if i.target_id not in refused and i.target_id not in conflicts]
    real_ids = [result.assigned_ids.get(i.target_id, i.target_id) for i in sent]
    with ctx.engine.begin() as connection:
        mark_sent(connection, run_id, sent, result.assigned_ids)
        resolve_dead_letters(connection, run_id, target, entity, real_ids)
        # A deferred create is known by its provisional id.
        resolve_conflicts(
            connection, run_id, target, entity, [*real_ids, *(i.target_id for i in sent)]
        )
        for item in batch:
            if item.target_id in refused:
                mark_rejected(connection, [item], refused[item.target_id])
            elif item.target_id in conflicts:
                mark_conflict(connection, [item], conflicts[item.target_id])
        park(
            connection,
            run_id,
            [
                Rejection(
                    target, entity, i.target_id, i.golden_id, i.operation, refused[i.target_id]
                )
                for i in batch
                if i.target_id in refused
            ],
        )
        defer(
            connection,
            [
                Deferred(
                    run_id,
                    target,
                    entity,
                    i.target_id,
                    i.golden_id,
                    i.expected_updated_at,
                    conflicts[i.target_id],
                )
                for i in batch
                if i.target_id in conflicts
            ],
        )


@dataclass
class _Tally:
    """What the batches sent so far did."""

    created: int = 0
    updated: int = 0
    deferred: int = 0
    rejected: int = 0
    written: set[str] = field(default_factory=set)
    """Target ids (as planned) of the records the target took."""


def _enqueue(ctx: SyncContext, run_id: str, entity: str, items: Sequence[OutboxItem]) -> None:
    """Write changes to the outbox, and the cross-reference of each record to create."""
    with ctx.engine.begin() as connection:
        enqueue(connection, run_id, items)
        # Written ahead: a record created and then orphaned by a crash is still ours.
        save_xrefs(
            connection,
            run_id,
            entity,
            [
                XrefLink(i.target, i.target_id, i.golden_id, 1.0, "created by publish")
                for i in items
                if i.operation == "create"
            ],
        )


def _send(
    ctx: SyncContext,
    run_id: str,
    entity: str,
    target: str,
    items: Sequence[OutboxItem],
    tally: _Tally,
) -> None:
    """Push enqueued ``items`` in batches, each followed by its bookkeeping."""
    mapping, _owned = publish_mapping(ctx, target, entity)
    connector = ctx.connector(target)
    batch_size = ctx.settings.entity(entity).publish.batch_size
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]
        try:
            outcome = _push_batch(connector, mapping, batch)
        except Exception as exc:
            with ctx.engine.begin() as connection:
                mark_failed(connection, batch, str(exc))
            raise
        _fault_point("pushed")
        _record_batch(ctx, run_id, entity, target, batch, outcome)
        _fault_point("recorded")
        refused = {**outcome.result.rejected, **outcome.refused}
        tally.created += outcome.result.created
        tally.updated += outcome.result.updated
        tally.deferred += len(outcome.result.conflicts)
        tally.rejected += len(refused)
        tally.written.update(
            i.target_id
            for i in batch
            if i.target_id not in refused and i.target_id not in outcome.result.conflicts
        )
        log.info("publish %s → %s: %d/%d sent", entity, target, start + len(batch), len(items))


def _defer_waiting(
    ctx: SyncContext, run_id: str, plan: TargetPlan, held: Sequence[OutboxItem]
) -> None:
    """Record creates not sent because a departed record still carries their golden id."""
    with ctx.engine.begin() as connection:
        defer(
            connection,
            [
                Deferred(
                    run_id,
                    plan.target,
                    plan.entity,
                    i.target_id,
                    i.golden_id,
                    None,
                    f"create waits: {', '.join(plan.waiting[i.target_id])} still carries "
                    f"golden id {i.golden_id} but belongs to another golden record, and its "
                    "update was not written in this run",
                )
                for i in held
            ],
        )
    for item in held:
        log.warning(
            "publish %s → %s: create of %s deferred; %s still carries its golden id",
            plan.entity, plan.target, item.golden_id, ", ".join(plan.waiting[item.target_id]),
        )  # fmt: skip


def publish_target(ctx: SyncContext, run_id: str, entity: str, target: str) -> PublishCounts:
    """Push golden records of ``entity`` to ``target``; return what happened.

    Updates are sent before creates; a create that waits for a departed record's update
    (``TargetPlan.waiting``) goes out after it, or is deferred when that update failed.

    Raises:
        MassChangeError: When the circuit breaker stops the run (nothing written).
    """
    targets = list(dict.fromkeys([*ctx.settings.entity(entity).targets, target]))
    plans = {t: plan_changes(ctx, entity, t) for t in targets}
    guard_mass_change(ctx, run_id, entity, list(plans.values()))
    plan = plans[target]
    ready = [i for i in plan.creates if i.target_id not in plan.waiting]
    waiting = [i for i in plan.creates if i.target_id in plan.waiting]
    _enqueue(ctx, run_id, entity, [*plan.updates, *ready])
    _fault_point("enqueued")
    tally = _Tally()
    # Separate calls: a connector looks records up once per call, so creates see the
    # golden ids the updates rewrote.
    _send(ctx, run_id, entity, target, plan.updates, tally)
    _send(ctx, run_id, entity, target, ready, tally)
    clear = [i for i in waiting if set(plan.waiting[i.target_id]) <= tally.written]
    held = [i for i in waiting if i not in clear]
    if clear:
        _enqueue(ctx, run_id, entity, clear)
        _send(ctx, run_id, entity, target, clear, tally)
    if held:
        _defer_waiting(ctx, run_id, plan, held)
    counts = PublishCounts(
        tally.created, tally.updated, plan.unchanged, tally.deferred + len(held), tally.rejected
    )
    with ctx.engine.begin() as connection:
        log_publish(connection, run_id, target, entity, counts.as_dict())
    if counts.deferred or counts.rejected:
        log.warning(
            "publish %s → %s: %d deferred (changed in the target since our pull, or waiting "
            "for a departed record), %d rejected (parked as dead letters)",
            entity, target, counts.deferred, counts.rejected,
        )  # fmt: skip
    log.info("publish %s → %s: %s", entity, target, counts.as_dict())
    return counts
