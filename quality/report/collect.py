"""Gathering one run's audit report from the crmsync store into an :class:`AuditReport`.

Only reads. Tables that older runs did not fill yet (the pull log, rule results) fall
back to what the run summary and the quarantine say, and the report states so.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select

from quality.report.identity import (
    as_utc,
    identity_changes_of_run,
    identity_counts,
    lineage_of_run,
    merges_of_run,
    staleness,
)
from quality.report.model import (
    AuditReport,
    BatchGate,
    Capped,
    FailedPush,
    QuarantineItem,
    RuleResult,
    RunHeader,
    SourceInput,
    TargetPush,
    TrendPoint,
)
from quality.report.review import review_of_run
from quality.report.safety import masked_text, safety_of_run
from store.outbox import publish_counts
from store.quality_log import pulls_of_run, rules_of_run
from store.runs import get_run
from store.schema import match_events, outbox, quarantine, runs

BATCH_STAGE = "batch"
MERGE_CAP = 200
LINEAGE_CAP = 100
FAILED_PUSH_CAP = 200
EVENT_CAP = 200
REVIEW_CAP = 200
SAFETY_CAP = 200
STALE_EXAMPLES = 10
TREND_RUNS = 30


class RunNotFoundError(LookupError):
    """The store has no run with the requested id."""


def collect_report(
    engine: Engine,
    run_id: str,
    *,
    stale_after_days: int = 180,
    unmasked: bool = False,
    now: datetime | None = None,
) -> AuditReport:
    """Read everything the audit report of ``run_id`` shows.

    Args:
        engine: The crmsync store.
        run_id: The run to report on.
        stale_after_days: Golden records not confirmed for this many days count as stale.
        unmasked: Show personal golden values in clear (quarantine values stay as stored).
        now: The report's reference time (default: the current time, UTC).

    Returns:
        The report content.

    Raises:
        RunNotFoundError: When the store has no such run.
    """
    now = now or datetime.now(UTC)
    with engine.connect() as connection:
        run = get_run(connection, run_id)
        if run is None:
            raise RunNotFoundError(f"no run {run_id!r} in the store")
        entity = str(run["entity"])
        summary: dict[str, Any] = run.get("summary") or {}
        header = RunHeader(
            run_id=run_id,
            entity=entity,
            status=str(run["status"]),
            cause=_one_line(run.get("cause")),
            started_at=_maybe_utc(run.get("started_at")),
            finished_at=_maybe_utc(run.get("finished_at")),
        )
        inputs, inputs_logged = _inputs(connection, run_id, summary)
        rule_rows, rules_logged = _rules(connection, run_id)
        pushes = _pushes(connection, run_id, summary)
        return AuditReport(
            header=header,
            generated_at=now,
            unmasked=unmasked,
            inputs=inputs,
            inputs_logged=inputs_logged,
            rules=tuple(r for r in rule_rows if r.stage != BATCH_STAGE),
            rules_logged=rules_logged,
            batch_gates=_batch_gates(connection, header, rule_rows, pushes),
            quarantine=_quarantine_of_run(connection, run_id, entity),
            older_open_quarantine=_older_open_entries(connection, run_id, entity),
            identity=identity_counts(connection, run_id),
            merges=merges_of_run(connection, run_id, entity, unmasked=unmasked, cap=MERGE_CAP),
            lineage=lineage_of_run(connection, run_id, entity, unmasked=unmasked, cap=LINEAGE_CAP),
            pushes=pushes,
            failed_pushes=_failed_pushes(connection, run_id, unmasked=unmasked),
            staleness=staleness(
                connection,
                entity,
                after_days=stale_after_days,
                now=now,
                unmasked=unmasked,
                examples=STALE_EXAMPLES,
            ),
            trend=_trend(connection, entity, run.get("started_at")),
            identity_changes=identity_changes_of_run(connection, run_id, EVENT_CAP),
            review=review_of_run(connection, run_id, entity, unmasked=unmasked, cap=REVIEW_CAP),
            safety=safety_of_run(connection, run_id, entity, unmasked=unmasked, cap=SAFETY_CAP),
        )


def _one_line(text: Any) -> str | None:
    return " ".join(str(text).split()) if text else None


def _maybe_utc(value: Any) -> datetime | None:
    return as_utc(value) if isinstance(value, datetime) else None


def _inputs(
    connection: Connection, run_id: str, summary: dict[str, Any]
) -> tuple[tuple[SourceInput, ...], bool]:
    pulls = pulls_of_run(connection, run_id)
    if pulls:
        return (
            tuple(
                SourceInput(p.system, p.pulled, p.source_total, p.newest_source_change, p.mode)
                for p in pulls
            ),
            True,
        )
    pulled = summary.get("pulled") or {}
    return tuple(SourceInput(str(s), int(n), None, None, None) for s, n in pulled.items()), False


def _rules(connection: Connection, run_id: str) -> tuple[list[RuleResult], bool]:
    logged = rules_of_run(connection, run_id)
    if logged:
        return [
            RuleResult(o.stage, o.rule, o.column, _known(o.checked, o.failed), o.failed, o.detail)
            for o in logged
        ], True
    # Runs from before the rule log: the quarantine still tells which rules failed.
    failed: dict[tuple[str, str, str | None], set[tuple[str, str]]] = defaultdict(set)
    for system, source_id, stage, rule, column in connection.execute(
        select(
            quarantine.c.system,
            quarantine.c.source_id,
            quarantine.c.stage,
            quarantine.c.rule,
            quarantine.c.column,
        )
        .where(quarantine.c.run_id == run_id)
        .order_by(quarantine.c.id)
    ):
        failed[(stage, rule, column)].add((system, source_id))
    return [
        RuleResult(stage, rule, column, None, len(records))
        for (stage, rule, column), records in failed.items()
    ], False


def _known(checked: int, failed: int) -> int | None:
    # A stage that cannot count what it checked (mapping errors) logs 0 checked.
    return None if checked < failed else checked


def _batch_gates(
    connection: Connection,
    header: RunHeader,
    rules: list[RuleResult],
    pushes: tuple[TargetPush, ...],
) -> tuple[BatchGate, ...]:
    logged = [r for r in rules if r.stage == BATCH_STAGE]
    if logged:
        # The gate stage logs a batch gate as one check that failed when it stopped the run.
        return tuple(
            BatchGate(r.rule, r.column, r.detail, "blocked" if r.failed else "passed")
            for r in logged
        )
    if header.status == "blocked":
        decision = "blocked"
    elif header.status == "success" or _matched(connection, header.run_id, pushes):
        decision = "passed"
    else:
        decision = "not reached"
    detail = header.cause if decision == "blocked" else None
    return (BatchGate("failure_ratio", None, detail, decision),)


def _matched(connection: Connection, run_id: str, pushes: tuple[TargetPush, ...]) -> bool:
    if any(p.published for p in pushes):
        return True
    events = connection.execute(
        select(func.count()).where(match_events.c.run_id == run_id)
    ).scalar_one()
    return bool(events)


def _quarantine_of_run(
    connection: Connection, run_id: str, entity: str
) -> tuple[QuarantineItem, ...]:
    rows = connection.execute(
        select(
            quarantine.c.system,
            quarantine.c.source_id,
            quarantine.c.stage,
            quarantine.c.rule,
            quarantine.c.column,
            quarantine.c.value,
            quarantine.c.reason,
        )
        .where(quarantine.c.run_id == run_id, quarantine.c.entity == entity)
        .order_by(quarantine.c.system, quarantine.c.source_id, quarantine.c.id)
    )
    return tuple(QuarantineItem(*row) for row in rows)


def _older_open_entries(connection: Connection, run_id: str, entity: str) -> int:
    return int(
        connection.execute(
            select(func.count()).where(
                quarantine.c.entity == entity,
                quarantine.c.run_id != run_id,
                quarantine.c.released_run.is_(None),
            )
        ).scalar_one()
    )


def _pushes(connection: Connection, run_id: str, summary: dict[str, Any]) -> tuple[TargetPush, ...]:
    logged = publish_counts(connection, run_id)
    failed: dict[str, int] = dict(
        connection.execute(
            select(outbox.c.target, func.count())
            .where(outbox.c.run_id == run_id, outbox.c.status != "sent")
            .group_by(outbox.c.target)
        ).all()
    )
    targets = list(summary.get("targets") or {})
    targets += sorted(t for t in {*logged, *failed} if t not in targets)
    return tuple(
        TargetPush(
            target=target,
            created=logged.get(target, {}).get("created", 0),
            updated=logged.get(target, {}).get("updated", 0),
            unchanged=logged.get(target, {}).get("unchanged", 0),
            failed=int(failed.get(target, 0)),
            published=target in logged,
        )
        for target in targets
    )


def _failed_pushes(connection: Connection, run_id: str, *, unmasked: bool) -> Capped[FailedPush]:
    where = (outbox.c.run_id == run_id, outbox.c.status != "sent")
    total = int(connection.execute(select(func.count()).where(*where)).scalar_one())
    rows = connection.execute(
        select(
            outbox.c.target,
            outbox.c.operation,
            outbox.c.golden_id,
            outbox.c.target_id,
            outbox.c.status,
            outbox.c.error,
        )
        .where(*where)
        .order_by(outbox.c.target, outbox.c.id)
        .limit(FAILED_PUSH_CAP)
    )
    items = tuple(
        FailedPush(target, operation, golden_id, target_id, status, _masked(error, unmasked))
        for target, operation, golden_id, target_id, status, error in rows
    )
    return Capped(items, total)


def _masked(text: str | None, unmasked: bool) -> str | None:
    return None if text is None else masked_text(text, unmasked=unmasked)


def _trend(connection: Connection, entity: str, until: datetime | None) -> tuple[TrendPoint, ...]:
    query = select(runs.c.run_id, runs.c.started_at, runs.c.status, runs.c.summary).where(
        runs.c.entity == entity
    )
    if until is not None:
        query = query.where(runs.c.started_at <= until)
    rows = connection.execute(query.order_by(runs.c.started_at.desc()).limit(TREND_RUNS)).all()
    points = [
        TrendPoint(
            run_id=run_id,
            started_at=as_utc(started_at),
            status=status,
            pulled=_total(summary.get("pulled")),
            quarantined=_total(summary.get("quarantined")),
            golden_records=int(summary.get("golden_records") or 0),
        )
        for run_id, started_at, status, summary in rows
        if isinstance(summary, dict)
    ]
    return tuple(reversed(points))


def _total(counts: Any) -> int:
    return sum(int(n) for n in counts.values()) if isinstance(counts, dict) else 0
