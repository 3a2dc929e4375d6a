"""The Splink side of the FEBRL benchmark: Splink 5 with DuckDB, a careful user's setup.

Runs in ``.venv-splink`` and imports only the standard library, Splink and DuckDB.
FEBRL values are already lower case; cleaning trims them and turns empty strings into
NULL. The model follows Splink's own FEBRL examples:

* comparisons: ``NameComparison`` on given name and surname (with term frequencies),
  ``DateOfBirthComparison`` (``%Y%m%d`` strings), ``LevenshteinAtThresholds`` on the
  social security id and postcode, ``ExactMatch`` on street number and state,
  ``JaroWinklerAtThresholds`` on the address lines and suburb;
* blocking for predictions (union): given name + surname, surname + date of birth,
  given name + date of birth, social security id, street number + postcode, address
  line 1 + suburb;
* training: λ from deterministic rules (social security id + date of birth, names +
  date of birth; recall 0.7), u by random sampling, m by EM over two blocking rules
  (date of birth; surname + postcode);
* ``dedupe_only`` for FEBRL 1–3, ``link_only`` across the ``source`` column for
  FEBRL 4; predict and cluster at match probability ≥ 0.9.

Usage::

    python -m bench.dedupe.splink_febrl_side RECORDS.csv OUT.csv [--link]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

__all__ = ["comparisons", "main", "run"]

FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)


def comparisons() -> list[Any]:
    """One comparison per FEBRL field."""
    return [
        cl.NameComparison("given_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("surname").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y%m%d"),
        cl.LevenshteinAtThresholds("soc_sec_id", [1, 2]),
        cl.ExactMatch("street_number"),
        cl.JaroWinklerAtThresholds("address_1", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("address_2", [0.9, 0.7]),
        cl.JaroWinklerAtThresholds("suburb", [0.9, 0.7]),
        cl.LevenshteinAtThresholds("postcode", [1]),
        cl.ExactMatch("state"),
    ]


PREDICTION_BLOCKING = [
    block_on("given_name", "surname"),
    block_on("surname", "date_of_birth"),
    block_on("given_name", "date_of_birth"),
    block_on("soc_sec_id"),
    block_on("street_number", "postcode"),
    block_on("address_1", "suburb"),
]
DETERMINISTIC_RULES = [
    block_on("soc_sec_id", "date_of_birth"),
    block_on("given_name", "surname", "date_of_birth"),
]
EM_BLOCKING = [block_on("date_of_birth"), block_on("surname", "postcode")]


def _load(con: duckdb.DuckDBPyConnection, records: Path, table: str, source: str | None) -> None:
    cleaned = ", ".join(f"nullif(trim({field}), '') as {field}" for field in FIELDS)
    where = "" if source is None else f"where source = '{source}'"
    path = str(records).replace("'", "''")
    con.execute(
        f"create table {table} as select record_id, source, {cleaned} "
        f"from read_csv('{path}', all_varchar = true, header = true) {where}"
    ).fetchall()


def run(records: Path, out: Path, *, link: bool, threshold: float = 0.9) -> dict[str, object]:
    """Deduplicate (or link the two sources of) a FEBRL file; write ``record_id,cluster_id``.

    Args:
        records: ``records.csv`` of :mod:`bench.dedupe.febrl`.
        out: Output CSV.
        link: Link source ``a`` to source ``b`` instead of deduplicating.
        threshold: Match probability for predicted pairs and clustering.

    Returns:
        Phase timings and counts.
    """
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    if link:
        _load(con, records, "records_a", "a")
        _load(con, records, "records_b", "b")
        inputs = [db_api.register("records_a"), db_api.register("records_b")]
    else:
        _load(con, records, "records", None)
        inputs = [db_api.register("records")]
    phases["read_and_clean"] = time.perf_counter() - mark
    settings = SettingsCreator(
        link_type="link_only" if link else "dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=PREDICTION_BLOCKING,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(inputs, settings, log_level=logging.WARNING)
    mark = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(DETERMINISTIC_RULES, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=1)
    for rule in EM_BLOCKING:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    phases["train"] = time.perf_counter() - mark
    mark = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    target = str(out).replace("'", "''")
    con.execute(
        f"copy (select record_id, cluster_id from {clusters.physical_name} order by record_id) "
        f"to '{target}' (header, delimiter ',')"
    ).fetchall()
    phases["predict_cluster_write"] = time.perf_counter() - mark
    return {
        "phases": {name: round(seconds, 2) for name, seconds in phases.items()},
        "link": link,
        "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: link a FEBRL records file, write clusters and ``<out>.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.splink_febrl_side")
    parser.add_argument("records", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--link", action="store_true", help="link source a to source b")
    parser.add_argument("--threshold", type=float, default=0.9)
    args = parser.parse_args(argv)
    info = run(args.records, args.out, link=args.link, threshold=args.threshold)
    args.out.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
