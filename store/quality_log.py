"""Append-only quality history: rule results per run and the pull log per source."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from store.schema import pull_log, rule_results, runs


@dataclass(frozen=True)
class RuleOutcome:
    """How one rule fared on one stage of one run."""

    stage: str
    rule: str
    column: str | None
    checked: int
    failed: int
    detail: str | None = None


def log_rules(
    connection: Connection, run_id: str, entity: str, outcomes: Sequence[RuleOutcome]
) -> None:
    """Append the rule outcomes of a stage of ``run_id``."""
    if not outcomes:
        return
    now = datetime.now(UTC)
    connection.execute(
        rule_results.insert(),
        [
            {
                "run_id": run_id,
                "entity": entity,
                "stage": o.stage,
                "rule": o.rule,
                "column": o.column,
                "checked": o.checked,
                "failed": o.failed,
                "detail": o.detail,
                "created_at": now,
            }
            for o in outcomes
        ],
    )


def rules_of_run(connection: Connection, run_id: str) -> list[RuleOutcome]:
    """Return the rule outcomes logged for ``run_id`` in the order they were logged."""
    rows = connection.execute(
        select(
            rule_results.c.stage,
            rule_results.c.rule,
            rule_results.c.column,
            rule_results.c.checked,
            rule_results.c.failed,
            rule_results.c.detail,
        )
        .where(rule_results.c.run_id == run_id)
        .order_by(rule_results.c.id)
    )
    return [RuleOutcome(*row) for row in rows]


@dataclass(frozen=True)
class PullRecord:
    """What one pull of one source brought."""

    run_id: str
    system: str
    entity: str
    pulled: int
    source_total: int | None
    newest_source_change: str | None
    mode: str


_PULL_COLUMNS = (
    pull_log.c.run_id,
    pull_log.c.system,
    pull_log.c.entity,
    pull_log.c.pulled,
    pull_log.c.source_total,
    pull_log.c.newest_source_change,
    pull_log.c.mode,
)


def log_pull(connection: Connection, record: PullRecord) -> None:
    """Append the pull log row of one source in one run."""
    connection.execute(
        pull_log.insert().values(
            run_id=record.run_id,
            system=record.system,
            entity=record.entity,
            pulled=record.pulled,
            source_total=record.source_total,
            newest_source_change=record.newest_source_change,
            mode=record.mode,
            finished_at=datetime.now(UTC),
        )
    )


def pulls_of_run(connection: Connection, run_id: str) -> list[PullRecord]:
    """Return the pull log rows of ``run_id``."""
    rows = connection.execute(
        select(*_PULL_COLUMNS).where(pull_log.c.run_id == run_id).order_by(pull_log.c.system)
    )
    return [PullRecord(*row) for row in rows]


def last_good_pull(
    connection: Connection, system: str, entity: str, before_run: str
) -> PullRecord | None:
    """Return the pull of ``system``'s ``entity`` in the newest successful run before now."""
    row = connection.execute(
        select(*_PULL_COLUMNS)
        .join(runs, runs.c.run_id == pull_log.c.run_id)
        .where(
            pull_log.c.system == system,
            pull_log.c.entity == entity,
            runs.c.status == "success",
            pull_log.c.run_id != before_run,
        )
        .order_by(runs.c.started_at.desc())
        .limit(1)
    ).first()
    return PullRecord(*row) if row else None


def recent_runs(connection: Connection, entity: str, limit: int = 30) -> list[dict[str, Any]]:
    """Return the newest ``limit`` runs of ``entity`` (oldest first), for trend charts."""
    rows = connection.execute(
        select(runs).where(runs.c.entity == entity).order_by(runs.c.started_at.desc()).limit(limit)
    ).mappings()
    return [dict(r) for r in reversed(list(rows))]
