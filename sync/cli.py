"""The ``crmsync`` command line.

Commands: ``demo`` (seed the sandboxes, run the syncs through Airflow, print the
summary), ``run`` (one sync in this process, no scheduler), ``report`` (the audit report
of a run), ``seed``, ``migrate``, ``dictionary``, ``connectors`` (installed kinds), and
the steward's ``review`` (queue of uncertain matches) and ``override`` (golden values).
Exit codes: 0 success, 1 a run failed or was blocked, 2 bad usage or configuration.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mappings.loader import MappingConfigError
from sync import approve_cli, connectors_command, plan_cli
from sync.config import ConfigError, config_path, load_settings
from sync.review_cli import STEWARD_COMMANDS, add_steward_parsers

# In dependency order: contacts are matched within their golden customer.
ENTITIES = ("customer", "contact", "product")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="crmsync",
        description="CRM-ERP integration and master data: pull customers, contacts and "
        "products from every system, quarantine bad records, merge duplicates into one golden "
        "master with stable ids, and push it back.",
        epilog="Configuration: --config, else $CRMSYNC_CONFIG, else ./crmsync.yaml. "
        "Keys are documented in docs/configuration.md.",
    )
    parser.add_argument("--config", help="path to crmsync.yaml")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log everything (libraries included)"
    )
    parser.add_argument(
        "-q", "--quiet", action="store_true", help="no progress lines on stderr, only results"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser(
        "demo",
        help="seed the sandbox CRM and ERP if absent, run the customer, contact and product "
        "syncs through Airflow, print the summary",
    )
    demo.add_argument("--json", action="store_true", help="print the summary as JSON last")
    demo.add_argument(
        "--reseed", action="store_true", help="regenerate the sandboxes and reset the store first"
    )

    run = commands.add_parser("run", help="run one sync in this process (no scheduler)")
    run.add_argument(
        "entity",
        choices=[*ENTITIES, "order", "all"],
        help="entity to sync (`order`: won CRM deals → ERP sales orders, docs/orders.md)",
    )
    run.add_argument(
        "--json", action="store_true", help="print the run summary as one JSON object, last line"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="pull every record regardless of the cursors, and retire the records a source "
        "no longer holds",
    )

    seed = commands.add_parser("seed", help="generate the sandbox CRM and ERP databases")
    seed.add_argument("--force", action="store_true", help="overwrite existing sandboxes")

    commands.add_parser("migrate", help="create or upgrade the crmsync store schema")

    report = commands.add_parser(
        "report",
        help="build the audit report of a run (default: the newest) and print where it is",
    )
    report.add_argument("--run", dest="run_id", help="run id (default: the newest run)")
    report.add_argument("--open", action="store_true", help="open the HTML report in a browser")

    dedupe = commands.add_parser(
        "dedupe",
        help="find duplicates in any CSV or Parquet file: one cluster id per record",
        description="Deduplicate (or, with a source column, link across sources) the records "
        "of INPUT. CONFIG names the record id column, optionally a source column, and the "
        "type of each column (company_name, person_name, first_name, last_name, "
        "full_address, street, house_number, city, postcode, region, country, phone, email, "
        "tax_id, date_of_birth, website, product_code, product_name, text, exact, ignore); "
        "blocking, comparisons and weights are chosen and estimated from the data.",
    )
    dedupe.add_argument("input", help="CSV or Parquet file of records")
    dedupe.add_argument(
        "--config", dest="dedupe_config", metavar="CONFIG.yaml", required=True, help="YAML config"
    )
    dedupe.add_argument("--out", required=True, help="output CSV: record_id, cluster_id")
    dedupe.add_argument("--pairs", help="also write scored pairs with explanations here")
    dedupe.add_argument(
        "--labels",
        metavar="LABELS.csv",
        help="labelled pairs (left_id, right_id, is_match 1/0) that refine the estimates; "
        "overrides the config's labels",
    )

    dictionary = commands.add_parser(
        "dictionary", help="write the data dictionary (Markdown) from models and mappings"
    )
    dictionary.add_argument("--out", default="-", help="output file (default: stdout)")
    connectors_command.add_parser(commands)
    plan_cli.add_parser(commands)
    approve_cli.add_parser(commands)
    add_steward_parsers(commands)
    return parser


def _print_summary(summaries: dict[str, dict[str, Any]]) -> None:
    for entity, summary in summaries.items():
        print(f"\n{entity}: run {summary['run_id']} {summary['status']}")
        if summary.get("cause"):
            print(f"  cause: {summary['cause']}")
        for system, count in summary["pulled"].items():
            held = summary["quarantined"].get(system, 0)
            print(f"  pulled {count:>6} from {system:<16} quarantined (open) {held:>5}")
        print(
            f"  golden records {summary['golden_records']:>6}   "
            f"merged source records {summary['merged_source_records']:>6}"
        )
        for target, counts in summary["targets"].items():
            print(
                f"  pushed to {target:<16} created {counts['created']:>5}  "
                f"updated {counts['updated']:>5}  unchanged {counts['unchanged']:>5}"
            )
        print(_waiting_line(summary))


def _waiting_line(summary: dict[str, Any]) -> str:
    """One line of what the run leaves for people (zeros included: nothing waits)."""
    review = summary.get("review") or {}
    return (
        f"  review queue {review.get('open', 0)} open ({review.get('new', 0)} new)  "
        f"golden held back {summary.get('golden_held', 0)}  "
        f"dead letters {sum((summary.get('dead_letters') or {}).values())}  "
        f"deferred {sum((summary.get('deferred') or {}).values())}  "
        f"approvals pending {summary.get('approvals_pending', 0)}"
    )


def _cmd_seed(args: argparse.Namespace) -> int:
    from sync.sandbox import seed_sandboxes

    settings = load_settings(args.config)
    sandbox = settings.sandbox
    report = seed_sandboxes(
        sandbox.directory, seed=sandbox.seed, companies=sandbox.companies, overwrite=args.force
    )
    for system, counts in report.counts.items():
        print(f"{system}: " + ", ".join(f"{table} {n}" for table, n in counts.items()))
    return 0


def _ensure_sandboxes(config: str | None, reseed: bool) -> None:
    from sync.sandbox import seed_sandboxes

    settings = load_settings(config)
    sandbox = settings.sandbox
    if reseed or not (sandbox.directory / "crm.db").exists():
        print(f"· seeding sandbox CRM and ERP in {sandbox.directory}", flush=True)
        seed_sandboxes(
            sandbox.directory, seed=sandbox.seed, companies=sandbox.companies, overwrite=True
        )


def _reset_store(config: str | None) -> None:
    from sqlalchemy.engine import make_url

    settings = load_settings(config)
    url = make_url(settings.store_url())
    if url.get_backend_name() == "sqlite" and url.database:
        for suffix in ("", "-wal", "-shm"):
            Path(url.database + suffix).unlink(missing_ok=True)


def _last_summaries(config: str | None, entities: list[str]) -> dict[str, dict[str, Any]]:
    from store.runs import last_run
    from sync.context import SyncContext

    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as connection:
            runs = {e: last_run(connection, e) for e in entities}
    finally:
        ctx.close()
    return {
        e: (r or {}).get("summary") or {"run_id": None, "status": "missing"}
        for e, r in runs.items()
    }


def _cmd_demo(args: argparse.Namespace) -> int:
    from sync.airflow_runner import run_dags

    if args.reseed:
        _reset_store(args.config)
    _ensure_sandboxes(args.config, args.reseed)
    settings = load_settings(args.config)
    log_dir = settings.base_dir / ".state" / "logs"
    entities = _configured(settings.entities)
    run_dags(entities, config_path(args.config).resolve(), log_dir)
    summaries = _last_summaries(args.config, entities)
    _print_summary(summaries)
    reports = settings.report.directory
    for summary in summaries.values():
        html = reports / str(summary.get("run_id")) / "report.html"
        if html.exists():
            print(f"  audit report: {html}")
    if args.json:
        print(json.dumps(summaries, sort_keys=True))
    return 0 if all(s.get("status") == "success" for s in summaries.values()) else 1


def _configured(configured: Iterable[str]) -> list[str]:
    """Return the configured entities among :data:`ENTITIES`, in sync order."""
    names = set(configured)
    return [entity for entity in ENTITIES if entity in names]


def _cmd_run(args: argparse.Namespace) -> int:
    from sync.context import SyncContext
    from sync.runner import run_entity

    ctx = SyncContext.open(args.config)
    entities = _configured(ctx.settings.entities) if args.entity == "all" else [args.entity]
    if args.full_refresh:
        # One full refresh for this process only: the same as full_refresh_every: 1.
        for entity in entities:
            ctx.settings.entity(entity).full_refresh_every = 1
    # Orders need the customer and product cross-references: they run last.
    orders = args.entity == "order" or (args.entity == "all" and "order" in ctx.settings.entities)
    entities = [e for e in entities if e != "order"]
    summaries: dict[str, dict[str, Any]] = {}
    try:
        for entity in entities:
            summaries[entity] = run_entity(ctx, entity)
        if orders:
            from sync.stages.orders import run_orders

            summaries["order"] = run_orders(ctx)
    finally:
        ctx.close()
    if args.json:
        print(json.dumps(summaries, sort_keys=True))
    else:
        from sync.stages.orders import print_order_summary

        _print_summary({e: s for e, s in summaries.items() if e != "order"})
        if "order" in summaries:
            print_order_summary(summaries["order"])
    return 0 if all(s["status"] == "success" for s in summaries.values()) else 1


def _cmd_migrate(args: argparse.Namespace) -> int:
    from sync.context import SyncContext

    ctx = SyncContext.open(args.config)
    print(f"store schema is current ({ctx.settings.store_url().split('://', 1)[0]})")
    ctx.close()
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from sync.context import SyncContext
    from sync.stages.report import report_run

    ctx = SyncContext.open(args.config)
    try:
        paths = report_run(ctx, args.run_id)
    finally:
        ctx.close()
    if paths is None:
        print("crmsync: no run in the store yet (run `crmsync run` or `crmsync demo`)")
        return 1
    print(paths.html)
    print(paths.json)
    print(paths.csv)
    if args.open:
        import webbrowser

        webbrowser.open(paths.html.as_uri())
    return 0


def _cmd_dedupe(args: argparse.Namespace) -> int:
    from dedupe.engine.command import run_dedupe_command

    return run_dedupe_command(
        args.input,
        args.dedupe_config,
        args.out,
        scored_pairs_path=args.pairs,
        labels_path=args.labels,
        progress=not args.quiet,
    )


def _cmd_dictionary(args: argparse.Namespace) -> int:
    from mappings.dictionary import render_dictionary

    settings = load_settings(args.config)
    text = render_dictionary(settings)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


COMMANDS = {
    "demo": _cmd_demo,
    "run": _cmd_run,
    "seed": _cmd_seed,
    "migrate": _cmd_migrate,
    "report": _cmd_report,
    "dedupe": _cmd_dedupe,
    "dictionary": _cmd_dictionary,
    "connectors": connectors_command.run,
    "plan": plan_cli.command,
    "approve": approve_cli.command,
    **STEWARD_COMMANDS,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``crmsync`` console script."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not args.quiet:
        # Progress of each stage (pulled, mapped, gated, matched, published) on stderr;
        # results stay on stdout.
        logging.getLogger("sync.stages").setLevel(logging.INFO)
    try:
        return COMMANDS[args.command](args)
    except (ConfigError, MappingConfigError, FileExistsError) as exc:
        print(f"crmsync: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line must say why, not a traceback
        from sync.runner import one_line_cause

        logging.getLogger(__name__).debug("failure", exc_info=True)
        print(f"crmsync: {one_line_cause(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
