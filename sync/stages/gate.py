"""Stage 3 and 6, the gates: quarantine bad records, stop a bad batch.

**Staged gate** (before match): works on the records the map stage left ``pending``.
Failing records go to quarantine with rule, field and masked value; passing ones become
``ok`` and any open quarantine entry of theirs is released (a record fixed at the source
comes back by itself). Then the batch gates decide on the whole batch — failure ratio,
schema drift, a collapsed row count (truncated extract), stale data — and a failing gate
marks the run blocked and stops it here: nothing is matched or pushed.

**Golden gate** (after survive, before publish): golden records failing the golden
suite are held back from publishing with a quarantine entry (system ``golden``).

Every rule's counts are logged per run for the audit report.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from quality import batch_gates
from quality.batch_gates import BatchBlockedError, GateDecision
from quality.data_docs import build_data_docs
from quality.gate import RowFailure, failed_keys, validate
from quality.masking import shown_value
from quality.validation import SuiteOutcome
from store.golden import load_active_golden
from store.quality_log import RuleOutcome, last_good_pull, log_rules, pulls_of_run
from store.quarantine import QuarantineEntry, hold, open_entries, release
from store.records import OK, QUARANTINED, records_with_status, set_status
from store.runs import finish_run
from store.schema import quarantine, staging
from sync.context import SyncContext
from sync.stages.transform import PENDING

log = logging.getLogger(__name__)

GOLDEN = "golden"


@dataclass(frozen=True)
class GateCounts:
    """What a gate did in one run."""

    checked: int
    passed: int
    quarantined: int
    released: int


def _entries(
    entity: str, stage: str, failures: list[RowFailure], hashes: dict[tuple[str, str], str]
) -> list[QuarantineEntry]:
    return [
        QuarantineEntry(
            f.system,
            entity,
            f.source_id,
            stage,
            f.rule,
            f.column,
            shown_value(f.column or "", f.value),
            f.reason,
            hashes.get((f.system, f.source_id), ""),
        )
        for f in failures
    ]


def _map_failures(ctx: SyncContext, run_id: str, entity: str, mapped_ok: int) -> list[RuleOutcome]:
    with ctx.engine.connect() as connection:
        rows = connection.execute(
            select(quarantine.c.column).where(
                quarantine.c.run_id == run_id,
                quarantine.c.entity == entity,
                quarantine.c.stage == "map",
            )
        ).all()
    counts: dict[str | None, int] = {}
    for (column,) in rows:
        counts[column] = counts.get(column, 0) + 1
    checked = mapped_ok + len(rows)
    return [
        RuleOutcome(
            "map", "mapping", column, checked, failed, "value does not fit the canonical model"
        )
        for column, failed in sorted(counts.items(), key=lambda kv: str(kv[0]))
    ]


def _batch_decisions(
    ctx: SyncContext, run_id: str, entity: str, failed: int, total: int
) -> list[GateDecision]:
    gate = ctx.settings.entity(entity).gate
    decisions = [batch_gates.failure_ratio(entity, failed, total, gate.max_failure_ratio)]
    with ctx.engine.connect() as connection:
        pulls = pulls_of_run(connection, run_id)
        for pull in pulls:
            subject = f"{pull.system}/{entity}"
            payloads = connection.execute(
                select(staging.c.payload)
                .where(
                    staging.c.run_id == run_id,
                    staging.c.system == pull.system,
                    staging.c.entity == entity,
                )
                .limit(200)
            ).scalars()
            seen: set[str] = set()
            for payload in payloads:
                seen.update(payload)
            mapping = ctx.mapping(pull.system, entity)
            decisions.append(batch_gates.schema_drift(mapping, seen, pull.pulled))
            previous = last_good_pull(connection, pull.system, entity, run_id)
            decisions.append(
                batch_gates.row_count_collapse(
                    subject,
                    pull.source_total,
                    previous.source_total if previous else None,
                    gate.max_count_drop,
                )
            )
            decisions.append(
                batch_gates.stale_data(
                    subject, pull.newest_source_change, gate.max_source_age_hours
                )
            )
    return decisions


def _data_docs(ctx: SyncContext, run_id: str, result: SuiteOutcome) -> None:
    """Add this validation to the GX Data Docs site the audit report links to."""
    if result.validations:
        build_data_docs(
            ctx.settings.report.data_docs_dir,
            [result],
            run_name=run_id,
            unmasked=ctx.settings.report.unmasked,
        )


def _batch_outcomes(decisions: list[GateDecision]) -> list[RuleOutcome]:
    return [
        RuleOutcome("batch", d.gate, d.subject, 1, 0 if d.passed else 1, d.detail)
        for d in decisions
    ]


def gate_entity(ctx: SyncContext, run_id: str, entity: str) -> GateCounts:
    """Gate the pending records of ``entity`` and decide on the batch.

    Raises:
        BatchBlockedError: When a batch gate fails (the run is marked blocked).
    """
    with ctx.engine.connect() as connection:
        pending = records_with_status(connection, entity, PENDING)
    rows = [(r.system, r.source_id, r.canonical or {}) for r in pending]
    hashes = {(r.system, r.source_id): r.payload_hash for r in pending}
    result = validate(entity, "staged", rows)
    failing = failed_keys(result)
    passed = [(s, i) for s, i, _ in rows if (s, i) not in failing]
    entries = _entries(entity, "gate", result.failures, hashes)
    map_outcomes = _map_failures(ctx, run_id, entity, len(rows))
    map_failed = sum(o.failed for o in map_outcomes)
    decisions = _batch_decisions(
        ctx, run_id, entity, len(failing) + map_failed, len(rows) + map_failed
    )
    if result.missing_columns:
        decisions.append(
            GateDecision(
                "schema_drift",
                f"{entity} canonical records",
                False,
                f"required fields missing from every record: {', '.join(result.missing_columns)}",
            )
        )
    _data_docs(ctx, run_id, result)
    outcomes = map_outcomes + result.outcomes + _batch_outcomes(decisions)
    blocked = [d for d in decisions if not d.passed]
    if blocked:
        cause = "; ".join(d.cause for d in blocked) + " — run stopped before match and publish"
        with ctx.engine.begin() as connection:
            hold(connection, run_id, entries)
            log_rules(connection, run_id, entity, outcomes)
            finish_run(connection, run_id, "blocked", cause=cause)
        log.error("gate blocked: %s", cause)
        raise BatchBlockedError(cause)
    released = 0
    with ctx.engine.begin() as connection:
        hold(connection, run_id, entries)
        log_rules(connection, run_id, entity, outcomes)
        set_status(connection, entity, sorted(failing), QUARANTINED)
        set_status(connection, entity, passed, OK)
        by_system: dict[str, list[str]] = {}
        for system, source_id in passed:
            by_system.setdefault(system, []).append(source_id)
        for system, ids in by_system.items():
            released += release(connection, run_id, system, entity, ids)
    counts = GateCounts(len(rows), len(passed), len(failing), released)
    log.info(
        "gate %s: %d checked, %d passed, %d quarantined, %d released",
        entity, counts.checked, counts.passed, counts.quarantined, counts.released,
    )  # fmt: skip
    return counts


def held_golden_ids(ctx: SyncContext, entity: str) -> set[str]:
    """Return the golden ids currently held back by the golden gate."""
    with ctx.engine.connect() as connection:
        return {e.source_id for e in open_entries(connection, entity) if e.system == GOLDEN}


def gate_golden(ctx: SyncContext, run_id: str, entity: str) -> GateCounts:
    """Validate the active golden records; hold back failing ones from publishing.

    Raises:
        BatchBlockedError: When more than the entity's failure ratio of golden records fail.
    """
    with ctx.engine.connect() as connection:
        golden = load_active_golden(connection, entity)
        held_before = {e.source_id for e in open_entries(connection, entity) if e.system == GOLDEN}
    rows = [(GOLDEN, gid, record.data) for gid, record in sorted(golden.items())]
    hashes = {(GOLDEN, gid): record.content_hash for gid, record in golden.items()}
    result = validate(entity, GOLDEN, rows)
    _data_docs(ctx, run_id, result)
    failed = {source_id for _system, source_id in failed_keys(result)}
    new_failures = [f for f in result.failures if f.source_id not in held_before]
    decision = batch_gates.failure_ratio(
        f"{entity} golden",
        len(failed),
        len(rows),
        ctx.settings.entity(entity).gate.max_failure_ratio,
    )
    outcomes = result.outcomes + _batch_outcomes([decision])
    with ctx.engine.begin() as connection:
        hold(connection, run_id, _entries(entity, GOLDEN, new_failures, hashes))
        log_rules(connection, run_id, entity, outcomes)
        released = release(connection, run_id, GOLDEN, entity, sorted(held_before - failed))
        if not decision.passed:
            finish_run(connection, run_id, "blocked", cause=decision.cause)
    if not decision.passed:
        raise BatchBlockedError(decision.cause)
    return GateCounts(len(rows), len(rows) - len(failed), len(failed), released)
