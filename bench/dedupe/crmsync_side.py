"""The crmsync side of the benchmark: run crmsync's customer matcher on a records file.

Reads ``records.csv`` (:mod:`bench.dedupe.generate`), builds one canonical
:class:`~mappings.models.Customer` per row with
``SourceRef(system=<source>, entity="customer", source_id=<record_id>)``, calls
:func:`dedupe.matcher.match_customers` and writes ``record_id,cluster_id``. The ERP's
separate house number is appended to the street line, as a connector mapping would do.
The matcher has no field for first/last name or date of birth, so those columns are
not used. Phase timings go to a JSON file beside the output. Usage::

    python -m bench.dedupe.crmsync_side RECORDS.csv OUT.csv [--profile OUT.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import json
import resource
import sys
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

from dedupe.matcher import match_customers
from mappings.models import Address, Customer, CustomerKind, SourceRef

__all__ = ["customers_from_rows", "main", "run"]


def _street(row: Mapping[str, str]) -> str:
    """The street line: the ERP keeps the house number apart, the CRM in the line."""
    if row["house_number"]:
        return f"{row['street']} {row['house_number']}".strip()
    return row["street"]


def customers_from_rows(rows: Iterable[Mapping[str, str]]) -> list[Customer]:
    """Build canonical customers from generated records.

    Args:
        rows: Rows of ``records.csv`` as dicts (empty string = missing).

    Returns:
        One customer per row, in row order.
    """
    return [
        Customer(
            source=SourceRef(system=row["source"], entity="customer", source_id=row["record_id"]),
            kind=CustomerKind(row["kind"]),
            name=row["name"],
            tax_id=row["tax_id"],
            email=row["email"],
            phone=row["phone"],
            website=row["website"],
            bill_to=Address(
                street=_street(row),
                postcode=row["postcode"],
                city=row["city"],
                country=row["country"],
            ),
        )
        for row in rows
    ]


def run(records: Path, out: Path) -> dict[str, object]:
    """Match the records and write ``record_id,cluster_id`` to ``out``.

    Args:
        records: The generated ``records.csv``.
        out: Output CSV.

    Returns:
        Phase timings (seconds), record and cluster counts, candidate pairs.
    """
    phases: dict[str, float] = {}
    started = time.perf_counter()
    with records.open(encoding="utf-8", newline="") as handle:
        # Rows become models as they are read: no second copy of the data set in memory.
        customers = customers_from_rows(csv.DictReader(handle))
    phases["read_and_build_models"] = time.perf_counter() - started

    mark = time.perf_counter()
    result = match_customers(customers)
    phases["match"] = time.perf_counter() - mark

    mark = time.perf_counter()
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("record_id", "cluster_id"))
        for number, members in enumerate(result.clusters):
            for key in members:
                # The key is "<source>/customer/<record_id>" and record ids have no "/".
                writer.writerow((key.rsplit("/", 1)[1], number))
    phases["write"] = time.perf_counter() - mark
    return {
        "phases": {name: round(seconds, 2) for name, seconds in phases.items()},
        "records": len(customers),
        "clusters": len(result.clusters),
        "candidate_pairs": result.candidate_pairs,
        "accepted_pairs": len(result.pairs),
        "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: match a records file, write clusters and ``<out>.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.crmsync_side")
    parser.add_argument("records", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--profile", type=Path, help="write cProfile stats here")
    args = parser.parse_args(argv)
    if args.profile:
        profiler = cProfile.Profile()
        info = profiler.runcall(run, args.records, args.out)
        profiler.dump_stats(args.profile)
    else:
        info = run(args.records, args.out)
    args.out.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
