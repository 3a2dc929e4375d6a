"""Running a whole sync of one entity in this process, stage after stage.

``crmsync run`` uses this; the Airflow DAGs call the same stage functions as tasks.
"""

from __future__ import annotations

import logging
from typing import Any

from quality.gate import BatchBlockedError
from sync.context import SyncContext
from sync.stages.gate import gate_entity, gate_golden
from sync.stages.match import match_entity
from sync.stages.publish import publish_target
from sync.stages.pull import pull_source
from sync.stages.summary import close_run, open_run, record_cause
from sync.stages.survive import survive_entity
from sync.stages.transform import map_source

log = logging.getLogger(__name__)


def run_entity(ctx: SyncContext, entity: str) -> dict[str, Any]:
    """Run pull → map → gate → match → survive → golden gate → publish → summary.

    A batch stopped by the gate ends ``blocked`` with its cause and still returns its
    summary; any other failure ends the run ``failed`` and is raised.
    """
    settings = ctx.settings.entity(entity)
    run_id = open_run(ctx, entity)
    try:
        for system in settings.sources:
            pull_source(ctx, run_id, entity, system)
            map_source(ctx, run_id, entity, system)
        gate_entity(ctx, run_id, entity)
        match_entity(ctx, run_id, entity)
        survive_entity(ctx, run_id, entity)
        gate_golden(ctx, run_id, entity)
        for target in settings.targets:
            publish_target(ctx, run_id, entity, target)
    except BatchBlockedError:
        return close_run(ctx, run_id, entity)
    except Exception as exc:
        record_cause(ctx, run_id, one_line_cause(exc))
        close_run(ctx, run_id, entity)
        raise
    return close_run(ctx, run_id, entity)


def one_line_cause(exc: BaseException) -> str:
    """Return ``Type: message`` on one line, for run records and task logs."""
    message = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {message}"[:1000]
