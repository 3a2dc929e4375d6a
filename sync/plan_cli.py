"""``crmsync plan ENTITY``: the exact changes each target would get, without writing.

Reads the golden master as the last run left it and compares it with what every target
confirmed receiving: records to create (with their values) and records to update (with
each changed column, old value as last pulled from the target → new value). Columns the
target owns are listed as never sent. Also says whether the mass-change circuit breaker
would stop a run with these changes. Nothing is written to any target or to the store.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from store.target_state import latest_payloads
from sync.context import SyncContext
from sync.stages.publish import TargetPlan, check_breaker, plan_changes

MAX_SHOWN = 60


def add_parser(commands: Any) -> None:
    """Register the ``plan`` command on the CLI's subparsers."""
    plan = commands.add_parser(
        "plan",
        help="show the exact changes the next publish would make per target (writes nothing)",
    )
    plan.add_argument("entity", help="entity to plan, e.g. customer")
    plan.add_argument("--target", action="append", help="only this target (repeatable)")
    plan.add_argument("--json", action="store_true", help="print the plan as one JSON object")
    plan.add_argument(
        "--limit", type=int, default=MAX_SHOWN, help="records shown per target in the table"
    )


def _target_plan(ctx: SyncContext, plan: TargetPlan) -> dict[str, Any]:
    with ctx.engine.connect() as connection:
        before = latest_payloads(
            connection, plan.target, plan.entity, {i.target_id for i in plan.updates}
        )
    updates = []
    for item in plan.updates:
        old = before.get(item.target_id, {})
        changes = {
            column: {"old": old.get(column), "new": new}
            for column, new in sorted(item.payload.items())
            if old.get(column) != new
        }
        updates.append(
            {"target_id": item.target_id, "golden_id": item.golden_id, "changes": changes}
        )
    creates = [
        {"target_id": i.target_id, "golden_id": i.golden_id, "values": i.payload}
        for i in plan.creates
    ]
    check = check_breaker(ctx, plan.entity, plan)
    return {
        "creates": creates,
        "updates": updates,
        "unchanged": plan.unchanged,
        "never_sent_owned_columns": list(plan.owned_columns),
        "breaker": {
            "changes": check.changes,
            "target_records": check.target_records,
            "max_changes": check.max_changes,
            "initial_load": check.initial_load,
            "would_stop": check.exceeded,
        },
    }


def build_plan(ctx: SyncContext, entity: str, targets: list[str] | None = None) -> dict[str, Any]:
    """Return the plan of ``entity`` for ``targets`` (default: all of its targets)."""
    chosen = targets or ctx.settings.entity(entity).targets
    return {
        "entity": entity,
        "targets": {t: _target_plan(ctx, plan_changes(ctx, entity, t)) for t in chosen},
    }


def _short(value: Any, width: int = 40) -> str:
    text = "∅" if value is None else " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def render_plan(plan: dict[str, Any], limit: int = MAX_SHOWN) -> str:
    """Return the plan as a human-readable table."""
    lines = [f"plan for {plan['entity']} (nothing has been written)"]
    for target, part in plan["targets"].items():
        breaker = part["breaker"]
        lines.append(
            f"\n{target}: create {len(part['creates'])}  update {len(part['updates'])}  "
            f"unchanged {part['unchanged']}"
        )
        if part["never_sent_owned_columns"]:
            lines.append(
                f"  owned by {target}, never sent: {', '.join(part['never_sent_owned_columns'])}"
            )
        if breaker["would_stop"]:
            lines.append(
                f"  ! the circuit breaker would stop this: {breaker['changes']} changes of "
                f"{breaker['target_records']} records (limit {breaker['max_changes']})"
            )
        shown = 0
        for create in part["creates"]:
            if shown >= limit:
                break
            lines.append(f"  + create {create['target_id']:<28} golden {create['golden_id']}")
            shown += 1
        for update in part["updates"]:
            if shown >= limit:
                break
            lines.append(f"  ~ update {update['target_id']:<28} golden {update['golden_id']}")
            for column, change in update["changes"].items():
                lines.append(
                    f"      {column:<22} {_short(change['old'])} → {_short(change['new'])}"
                )
            shown += 1
        hidden = len(part["creates"]) + len(part["updates"]) - shown
        if hidden > 0:
            lines.append(f"  … {hidden} more (use --json for all)")
    return "\n".join(lines) + "\n"


def command(args: argparse.Namespace) -> int:
    """Run ``crmsync plan``: print the plan; exit 0."""
    ctx = SyncContext.open(args.config)
    try:
        ctx.settings.entity(args.entity)
        plan = build_plan(ctx, args.entity, args.target)
    finally:
        ctx.close()
    if args.json:
        print(json.dumps(plan, sort_keys=True, default=str))
    else:
        print(render_plan(plan, args.limit), end="")
    return 0
