"""Builds the Airflow DAG of one entity's sync from the pipeline stages.

The DAG files in ``dags/`` only call :func:`build_sync_dag`. Everything heavy (the store,
connectors, pandas, rapidfuzz) is imported inside the tasks, never at parse time. Task
groups follow the stages; pulls fan out per source and publishes per target with
``.expand()``, labelled with the system's name in the UI. XCom carries only the run id,
system names and counts.

Failures that retrying cannot fix (bad configuration, a blocked batch, a missing table,
an incomplete extract) fail their task at once with a one-line cause; transient ones
(database locked, a 429, a timeout) are retried by Airflow. The summary task runs
whatever happened, so every run is closed with its status and summary, and the audit
report is written; a last task then fails with the run's cause when the run did not
succeed, so the DAG run shows failed too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from airflow.sdk import DAG, Param, TaskGroup, TriggerRule, dag, get_current_context, task

T = TypeVar("T")

DOC = """
### crmsync: sync of `{entity}` records

pull (per source) → map (per source) → gate → match → survive → golden gate →
publish (per target) → summary → audit report. A batch that fails the quality gate
stops before match and publish; the summary task always runs and records the run's
status, cause and counts in the crmsync store.
Configuration: the DAG param `crmsync_config`, else the file named by `CRMSYNC_CONFIG`
(default `crmsync.yaml`).
"""


def _config_file() -> str | None:
    """The configuration file of the running DAG (its ``crmsync_config`` param), if any."""
    params = get_current_context().get("params") or {}
    value = params.get("crmsync_config")
    return str(value) if value else None


def _guarded(run_id: str | None, step: Callable[[Any], T]) -> T:
    """Run ``step(ctx)``; turn non-retriable failures into an immediate task failure."""
    from airflow.sdk.exceptions import AirflowFailException

    from connectors.errors import FatalError, RecordError
    from mappings.loader import MappingConfigError
    from quality.gate import BatchBlockedError
    from sync.config import ConfigError
    from sync.context import SyncContext
    from sync.runner import one_line_cause
    from sync.stages.summary import record_cause

    ctx = SyncContext.open(_config_file())
    try:
        return step(ctx)
    except (FatalError, RecordError, BatchBlockedError, ConfigError, MappingConfigError) as exc:
        cause = one_line_cause(exc)
        if run_id and not isinstance(exc, BatchBlockedError):
            record_cause(ctx, run_id, cause)
        raise AirflowFailException(cause) from exc
    except Exception as exc:
        if run_id:
            record_cause(ctx, run_id, one_line_cause(exc))
        raise
    finally:
        ctx.close()


def _label(system: str) -> None:
    get_current_context()["system_label"] = system  # type: ignore[typeddict-unknown-key]


def _dag_settings(dag_id: str, schedule: str | None, tags: list[str]) -> dict[str, Any]:
    """The settings every crmsync DAG shares: start, no catch-up, one run at a time, retries."""
    return {
        "dag_id": dag_id,
        "schedule": schedule,
        "start_date": datetime(2026, 1, 1, tzinfo=UTC),
        "catchup": False,
        "max_active_runs": 1,
        "tags": tags,
        "default_args": {"retries": 2, "retry_delay": timedelta(seconds=20)},
    }


def _config_param(config: str | None) -> Param:
    """The DAG param naming the crmsync configuration file of the run."""
    return Param(
        config or "",
        type="string",
        description="crmsync configuration file (empty: CRMSYNC_CONFIG or crmsync.yaml)",
    )


def build_sync_dag(
    entity: str,
    dag_id: str,
    schedule: str | None = "@hourly",
    config: str | None = None,
    tags: tuple[str, ...] = (),
) -> DAG:
    """Return the sync DAG of ``entity``.

    Args:
        entity: Canonical entity name configured in crmsync.yaml (``customer``, ``product``).
        dag_id: The DAG id shown in the Airflow UI.
        schedule: Cron or preset; new DAGs start paused.
        config: The crmsync configuration file this DAG syncs with (the DAG param
            ``crmsync_config``; empty: ``CRMSYNC_CONFIG`` or ``crmsync.yaml``).
        tags: Extra tags shown in the Airflow UI (e.g. the connected systems).
    """

    @dag(
        **_dag_settings(dag_id, schedule, ["crmsync", entity, *tags]),
        params={
            "crmsync_config": _config_param(config),
            "full_refresh": Param(
                False,
                type="boolean",
                description="pull every record regardless of the cursors (and retire the "
                "records a source no longer holds)",
            ),
        },
        doc_md=DOC.format(entity=entity),
    )
    def sync_dag() -> None:
        @task(task_id="start_run")
        def start_run() -> str:
            from sync.stages.summary import open_run

            return _guarded(None, lambda ctx: open_run(ctx, entity))

        @task(task_id="sources")
        def sources() -> list[str]:
            return _guarded(None, lambda ctx: list(ctx.settings.entity(entity).sources))

        @task(task_id="targets")
        def targets() -> list[str]:
            return _guarded(None, lambda ctx: list(ctx.settings.entity(entity).targets))

        @task(task_id="pull_source", map_index_template="{{ system_label }}")
        def pull(sync_run: str, system: str) -> str:
            from sync.stages.pull import pull_source

            _label(system)
            full = bool((get_current_context().get("params") or {}).get("full_refresh"))
            _guarded(
                sync_run,
                lambda ctx: pull_source(ctx, sync_run, entity, system, full_refresh=full),
            )
            return system

        @task(task_id="map_source", map_index_template="{{ system_label }}")
        def transform(sync_run: str, system: str) -> dict[str, int]:
            from dataclasses import asdict

            from sync.stages.transform import map_source

            _label(system)
            return asdict(_guarded(sync_run, lambda ctx: map_source(ctx, sync_run, entity, system)))

        @task(task_id="gate_staged", retries=0)
        def gate(sync_run: str) -> dict[str, int]:
            from dataclasses import asdict

            from sync.stages.gate import gate_entity

            return asdict(_guarded(sync_run, lambda ctx: gate_entity(ctx, sync_run, entity)))

        @task(task_id="gate_golden", retries=0)
        def gate_golden(sync_run: str) -> dict[str, int]:
            from dataclasses import asdict

            from sync.stages.gate import gate_golden as check_golden

            return asdict(_guarded(sync_run, lambda ctx: check_golden(ctx, sync_run, entity)))

        @task(task_id="match_records")
        def match(sync_run: str) -> dict[str, Any]:
            from dataclasses import asdict

            from sync.stages.match import match_entity

            return asdict(_guarded(sync_run, lambda ctx: match_entity(ctx, sync_run, entity)))

        @task(task_id="survive_golden")
        def survive(sync_run: str) -> dict[str, int]:
            from sync.stages.survive import survive_entity

            return _guarded(sync_run, lambda ctx: survive_entity(ctx, sync_run, entity))

        @task(task_id="publish_target", map_index_template="{{ system_label }}")
        def publish(sync_run: str, target: str) -> dict[str, int]:
            from sync.stages.publish import publish_target

            _label(target)
            return _guarded(
                sync_run, lambda ctx: publish_target(ctx, sync_run, entity, target).as_dict()
            )

        @task(task_id="run_summary", trigger_rule=TriggerRule.ALL_DONE, retries=0)
        def summary(sync_run: str) -> dict[str, Any]:
            import json
            import logging

            from sync.stages.summary import close_run

            result = _guarded(None, lambda ctx: close_run(ctx, sync_run, entity))
            logging.getLogger(__name__).info("crmsync summary: %s", json.dumps(result))
            return result

        @task(task_id="audit_report", trigger_rule=TriggerRule.ALL_DONE)
        def audit_report(sync_run: str) -> str:
            from sync.stages.report import report_run

            paths = _guarded(None, lambda ctx: report_run(ctx, sync_run))
            return str(paths.html) if paths else ""

        @task(task_id="run_outcome", trigger_rule=TriggerRule.ALL_DONE, retries=0)
        def outcome(sync_run: str) -> str:
            from airflow.sdk.exceptions import AirflowFailException

            from store.runs import get_run

            def status(ctx: Any) -> dict[str, Any]:
                with ctx.engine.connect() as connection:
                    return get_run(connection, sync_run) or {}

            run = _guarded(None, status)
            if run.get("status") != "success":
                # A leaf that fails makes the DAG run itself show failed in the UI.
                raise AirflowFailException(f"run {run.get('status')}: {run.get('cause')}")
            return "success"

        sync_run: Any = start_run()  # an XComArg at parse time, the id at run time
        with TaskGroup("pull", tooltip="Pull changed records from each source"):
            pulled = pull.partial(sync_run=sync_run).expand(system=sources())
        with TaskGroup("map", tooltip="Map source records to the canonical model"):
            mapped = transform.partial(sync_run=sync_run).expand(system=pulled)
        with TaskGroup("gate", tooltip="Quarantine bad records; stop a bad batch"):
            gated = gate(sync_run)
        with TaskGroup("match", tooltip="Find duplicates, assign stable golden ids"):
            matched = match(sync_run)
        with TaskGroup("survive", tooltip="Build golden values with lineage"):
            survived = survive(sync_run)
        with TaskGroup("golden_gate", tooltip="Hold back golden records that fail the suite"):
            golden_gated = gate_golden(sync_run)
        with TaskGroup("publish", tooltip="Push golden values and ids to each target"):
            published = publish.partial(sync_run=sync_run).expand(target=targets())
        with TaskGroup("report", tooltip="Close the run, write its audit report"):
            summarized = summary(sync_run)
            reported = audit_report(sync_run)
            finished = outcome(sync_run)
            summarized >> reported >> finished
        mapped >> gated >> matched >> survived >> golden_gated >> published >> summarized

    return sync_dag()


def build_order_dag(
    dag_id: str, schedule: str | None = "@hourly", config: str | None = None
) -> DAG:
    """Return the DAG of the order flow: won CRM deals become ERP sales orders.

    One task runs :func:`sync.stages.orders.run_orders` (pull won deals, translate customer
    and products through the golden cross-references, push new sales orders, read the
    ERP's order status back); see docs/orders.md. Schedule it after the customer and
    product syncs.
    """

    @dag(
        **_dag_settings(dag_id, schedule, ["crmsync", "order"]),
        doc_md="### crmsync: won CRM deals → ERP sales orders\n\nSee docs/orders.md.",
        params={"crmsync_config": _config_param(config)},
    )
    def order_dag() -> None:
        @task(task_id="deals_to_sales_orders")
        def deals_to_sales_orders() -> dict[str, Any]:
            from sync.stages.orders import run_orders

            return _guarded(None, run_orders)

        deals_to_sales_orders()

    return order_dag()
