"""Steward commands: the review queue of uncertain matches, and golden value overrides.

``crmsync review list [ENTITY]`` lists open pairs (most probable first), ``crmsync review
show ID`` shows both records side by side with the per-field explanation, ``crmsync
review decide ID merge|reject [--by NAME]`` records a decision, which the entity's next
run applies. ``crmsync override GOLDEN_ID FIELD VALUE`` pins a golden value (survives
every rule until ``--clear``); the next run of the entity writes it into the golden
record, with the steward in its lineage.

Stewards need to see the values they compare, so this command shows them unmasked; the
audit reports keep masking them.
"""

from __future__ import annotations

import argparse
import getpass
import json
from collections.abc import Callable
from typing import Any

__all__ = ["STEWARD_COMMANDS", "add_steward_parsers"]

SubParsers = Any  # argparse's _SubParsersAction is private


def add_steward_parsers(commands: SubParsers) -> None:
    """Add the ``review`` and ``override`` commands to the ``crmsync`` parser."""
    review = commands.add_parser(
        "review",
        help="the review queue of uncertain matches: list, show, decide merge or reject",
        description="Pairs whose match probability lies between the lower and upper "
        "thresholds wait here for a steward. A decision is applied by the entity's next run.",
    )
    steps = review.add_subparsers(dest="review_command", required=True, metavar="ACTION")
    listing = steps.add_parser("list", help="list queued pairs, most probable first")
    listing.add_argument("entity", nargs="?", help="only this entity (customer, product, ...)")
    listing.add_argument(
        "--status",
        default="open",
        choices=["open", "merged", "rejected", "superseded", "all"],
        help="pairs in this status (default: open)",
    )
    listing.add_argument("--json", action="store_true", help="print JSON lines")
    show = steps.add_parser("show", help="show a pair: both records and the explanation")
    show.add_argument("id", type=int, help="review pair id (from `review list`)")
    show.add_argument("--json", action="store_true", help="print one JSON object")
    decide = steps.add_parser("decide", help="merge or reject a pair (applied by the next run)")
    decide.add_argument("id", type=int, help="review pair id")
    decide.add_argument("decision", choices=["merge", "reject"], help="the decision")
    decide.add_argument("--by", default=None, help="who decides (default: the OS user)")

    override = commands.add_parser(
        "override",
        help="pin a golden record's field to a value (beats survivorship; next run applies)",
    )
    override.add_argument("golden_id", help="golden id, e.g. GC-1f0c6a2e9b7d4c3a")
    override.add_argument("field", help="canonical field; dotted for a part (bill_to.city)")
    override.add_argument("value", nargs="?", help="the value (a string unless --json)")
    override.add_argument("--json", action="store_true", help="parse VALUE as JSON")
    override.add_argument("--clear", action="store_true", help="remove the override")
    override.add_argument("--by", default=None, help="who sets it (default: the OS user)")


def _steward(name: str | None) -> str:
    return name or getpass.getuser()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, "", [], {}))
    if isinstance(value, list | tuple):
        return "; ".join(str(v) for v in value)
    return str(value)


def _cmd_review_list(args: argparse.Namespace) -> int:
    from store.review import list_reviews
    from sync.context import SyncContext

    ctx = SyncContext.open(args.config)
    try:
        with ctx.engine.connect() as connection:
            status = None if args.status == "all" else args.status
            items = list_reviews(connection, args.entity, status)
    finally:
        ctx.close()
    if args.json:
        for item in items:
            print(json.dumps(_item_json(item), sort_keys=True, default=str))
        return 0
    if not items:
        print(f"no {args.status} review pairs" + (f" for {args.entity}" if args.entity else ""))
        return 0
    print(f"{'id':>6}  {'entity':<9} {'prob':>6}  {'status':<10} pair")
    for item in items:
        print(
            f"{item.id:>6}  {item.entity:<9} {item.probability:>6.3f}  {item.status:<10} "
            f"{item.left_key}  ~  {item.right_key}"
        )
    return 0


def _item_json(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in item.__dataclass_fields__}


def _records(ctx: Any, entity: str, keys: list[str]) -> dict[str, dict[str, Any]]:
    from store.records import known_states

    out: dict[str, dict[str, Any]] = {}
    with ctx.engine.connect() as connection:
        for key in keys:
            system, _entity, source_id = key.split("/", 2)
            state = known_states(connection, system, entity, [source_id]).get(source_id)
            out[key] = dict(state.canonical or {}) if state else {}
    return out


def _cmd_review_show(args: argparse.Namespace) -> int:
    from store.review import get_review
    from sync.context import SyncContext

    ctx = SyncContext.open(args.config)
    try:
        with ctx.engine.connect() as connection:
            item = get_review(connection, args.id)
        if item is None:
            print(f"crmsync: no review pair with id {args.id}")
            return 1
        records = _records(ctx, item.entity, [item.left_key, item.right_key])
    finally:
        ctx.close()
    left, right = records[item.left_key], records[item.right_key]
    if args.json:
        print(json.dumps({**_item_json(item), "records": records}, sort_keys=True, default=str))
        return 0
    print(
        f"review pair {item.id} ({item.entity}): {item.status}, probability {item.probability:.3f}"
    )
    if item.decided_by:
        print(
            f"decided by {item.decided_by} at {item.decided_at}; applied by run {item.applied_run}"
        )
    print(f"golden ids: {item.left_golden_id}  |  {item.right_golden_id}")
    print(f"\n{'field':<16} {item.left_key:<40} {item.right_key}")
    skip = {"source", "updated_at"}
    for name in [n for n in {**left, **right} if n not in skip]:
        a, b = _cell(left.get(name)), _cell(right.get(name))
        if a or b:
            print(f"{name:<16} {a[:40]:<40} {b[:60]}")
    print(f"\nexplanation (match weight {item.match_weight}):")
    for evidence in item.explanation:
        mark = {True: "agrees", False: "differs", None: "missing"}[evidence.get("agrees")]
        print(
            f"  {evidence['field']:<16} {evidence['level']:<14} {mark:<8} "
            f"{float(evidence['weight']):+7.2f}"
        )
    return 0


def _cmd_review_decide(args: argparse.Namespace) -> int:
    from store.review import decide_review
    from sync.context import SyncContext

    ctx = SyncContext.open(args.config)
    try:
        with ctx.engine.begin() as connection:
            item = decide_review(connection, args.id, args.decision, _steward(args.by))
    except KeyError as exc:
        print(f"crmsync: {exc.args[0]}")
        return 1
    finally:
        ctx.close()
    print(
        f"review pair {item.id} {item.status} by {item.decided_by}; "
        f"the next {item.entity} run applies it"
    )
    return 0


def _cmd_review(args: argparse.Namespace) -> int:
    actions: dict[str, Callable[[argparse.Namespace], int]] = {
        "list": _cmd_review_list,
        "show": _cmd_review_show,
        "decide": _cmd_review_decide,
    }
    return actions[args.review_command](args)


def _override_value(args: argparse.Namespace) -> Any:
    if args.value is None:
        raise ValueError("give VALUE (or --clear)")
    if not args.json:
        return args.value
    try:
        return json.loads(args.value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"VALUE is not valid JSON: {exc}") from exc


def _cmd_override(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from mappings.models import CANONICAL_MODELS
    from store.overrides import clear_override, set_override
    from store.schema import golden_records
    from sync.context import SyncContext

    ctx = SyncContext.open(args.config)
    try:
        with ctx.engine.begin() as connection:
            row = connection.execute(
                select(golden_records.c.entity, golden_records.c.data).where(
                    golden_records.c.golden_id == args.golden_id
                )
            ).first()
            if row is None:
                print(f"crmsync: no golden record {args.golden_id}")
                return 1
            entity, data = row[0], row[1] or {}
            head = args.field.split(".", 1)[0]
            model = CANONICAL_MODELS.get(entity)
            known = set(data) | (set(model.model_fields) if model else set())
            if head not in known or head in ("source", "updated_at"):
                print(
                    f"crmsync: {entity} has no field {head!r} (fields: {', '.join(sorted(data))})"
                )
                return 2
            if args.clear:
                found = clear_override(connection, args.golden_id, args.field)
                print(
                    f"override of {args.field} on {args.golden_id} "
                    + ("cleared" if found else "was not set")
                )
                return 0
            try:
                value = _override_value(args)
            except ValueError as exc:
                print(f"crmsync: {exc}")
                return 2
            set_override(connection, entity, args.golden_id, args.field, value, _steward(args.by))
    finally:
        ctx.close()
    print(f"{args.golden_id}.{args.field} pinned; the next {entity} run writes it")
    return 0


STEWARD_COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "review": _cmd_review,
    "override": _cmd_override,
}
"""Command name → handler, merged into ``crmsync``'s commands."""
