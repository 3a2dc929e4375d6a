"""The Splink side of the benchmark: Splink 5 with DuckDB on the same records file.

Runs in its own virtualenv (``.venv-splink``, from ``requirements-splink.lock``) and
imports only the standard library, Splink, DuckDB and pyarrow — never crmsync. Steps:

1. **Read and clean** (what a careful Splink user does before linking): pyarrow reads
   the CSV as text and applies Unicode NFKC (full-width → ASCII); DuckDB SQL then folds
   case and accents, drops punctuation and legal forms from names (GmbH, Ltd, Inc.,
   有限公司, …), builds a token-sorted name, joins street and house number (words
   sorted, so the house number's place does not matter), keeps the
   last 9 digits of phones, upper-cases postcodes and tax ids without separators (and
   without a country prefix), and reduces web sites to their host.
2. **Model**: ``dedupe_only`` on all records (CRM and ERP together, since duplicates
   occur within and across systems), with the comparisons of :func:`comparisons` and the
   prediction blocking rules of :data:`PREDICTION_BLOCKING`.
3. **Train**: λ from deterministic rules, u by random sampling, m by EM over three
   blocking rules (company name, e-mail, date of birth), so every comparison is
   trained at least once for companies and for persons. A company's name and a
   person's name are separate comparisons (the other one is NULL), so a person's name
   counts once, with term-frequency adjustment of the full name.
4. **Predict** at match probability ≥ ``threshold`` (default 0.9) and **cluster**
   (connected components) at the same threshold; write ``record_id,cluster_id``.

Usage::

    python -m bench.dedupe.splink_side RECORDS.csv OUT.csv [--threshold 0.9]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

__all__ = ["PREDICTION_BLOCKING", "clean_sql", "comparisons", "main", "run"]

# Legal forms removed from names (after dots are dropped and case is folded).
LEGAL_FORMS = (
    "gesellschaft mit beschrankter haftung", "gmbh & co kg", "gmbh u co kg", "gmbh + co kg",
    "gmbh", "aktiengesellschaft", "ag", "kommanditgesellschaft", "kg", "public limited company",
    "limited liability company", "limited", "ltd", "plc", "incorporated", "inc", "llc",
    "corporation", "corp", "co", "societe anonyme", "sa", "societe a responsabilite limitee",
    "sarl", "societe par actions simplifiee", "sas", "besloten vennootschap", "bv",
    "naamloze vennootschap", "nv",
)  # fmt: skip
CJK_LEGAL_FORMS = ("股份有限公司", "有限责任公司", "有限公司")
NORMALISED_TEXT = ("name", "first_name", "last_name", "street", "house_number", "postcode",
                   "city", "phone", "email", "tax_id", "website", "date_of_birth")  # fmt: skip


def _fold(column: str) -> str:
    """SQL: lower case, accents stripped, ß → ss; NULL for an empty value."""
    return f"nullif(trim(replace(strip_accents(lower({column})), 'ß', 'ss')), '')"


def _name_sql(column: str) -> str:
    """SQL: a company or person name without punctuation and legal forms."""
    text = f"replace({_fold(column)}, '.', '')"
    text = f"regexp_replace({text}, '[^\\p{{L}}\\p{{N}}&+]+', ' ', 'g')"
    forms = "|".join(form.replace("+", "\\+") for form in LEGAL_FORMS)
    text = f"regexp_replace({text}, '\\b({forms})\\b', ' ', 'g')"
    text = f"regexp_replace({text}, '{'|'.join(CJK_LEGAL_FORMS)}', '', 'g')"
    text = f"regexp_replace(replace({text}, '&', ' and '), '\\s+', ' ', 'g')"
    return f"nullif(trim({text}), '')"


def clean_sql(table: str) -> str:
    """The SQL that derives the compared columns from the raw (NFKC-normalised) table.

    Args:
        table: Name of the DuckDB table holding ``records.csv``.

    Returns:
        A ``SELECT`` of ``record_id``, ``source``, ``kind`` and the cleaned columns.
    """
    street = "coalesce(street, '') || ' ' || coalesce(house_number, '')"
    street = f"regexp_replace({_fold(street)}, 'stra(ss|ß)e\\b', 'str', 'g')"
    street = f"regexp_replace({street}, '[^\\p{{L}}\\p{{N}}]+', ' ', 'g')"
    city = f"replace(replace(replace({_fold('city')}, 'ue', 'u'), 'oe', 'o'), 'ae', 'a')"
    phone = "right(regexp_replace(phone, '[^0-9]', '', 'g'), 9)"
    tax = "upper(regexp_replace(tax_id, '[^A-Za-z0-9]', '', 'g'))"
    web = f"regexp_replace({_fold('website')}, '^(https?://)?(www\\.)?([^/]+).*$', '\\3')"
    return f"""
    with cleaned as (
        select
            record_id, source, kind,
            {_name_sql("name")} as name_norm,
            {_fold("first_name")} as first_name_norm,
            {_fold("last_name")} as last_name_norm,
            nullif(trim(regexp_replace({street}, '\\s+', ' ', 'g')), '') as street_line,
            nullif(upper(regexp_replace(postcode, '[^A-Za-z0-9]', '', 'g')), '') as postcode_norm,
            nullif(regexp_replace({city}, '[^\\p{{L}}\\p{{N}}]+', '', 'g'), '') as city_norm,
            nullif({phone}, '') as phone_norm,
            {_fold("email")} as email_norm,
            nullif(regexp_replace({tax}, '^[A-Z]{{2}}', ''), '') as tax_norm,
            nullif({web}, '') as website_norm,
            nullif(date_of_birth, '') as date_of_birth
        from {table}
    )
    select
        *,
        array_to_string(list_sort(string_split(name_norm, ' ')), ' ') as name_sorted,
        -- Company names are compared apart from person names, so that a person's name
        -- is counted once (by the forename/surname comparison), not twice.
        case when kind = 'company' then name_norm end as company_name,
        case when kind = 'company'
            then array_to_string(list_sort(string_split(name_norm, ' ')), ' ')
        end as company_name_sorted,
        nullif(concat_ws(' ', first_name_norm, last_name_norm), '') as full_name_norm,
        -- "12 Main Street" (CRM) and "Main Street" + "12" (ERP) read alike.
        array_to_string(list_sort(string_split(street_line, ' ')), ' ') as street_norm,
        left(replace(name_norm, ' ', ''), 6) as name_prefix
    from cleaned
    """


def _name_comparison() -> cl.CustomComparison:
    """Company names: exact (with term frequencies), same words, then Jaro-Winkler."""
    return cl.CustomComparison(
        output_column_name="company_name",
        comparison_levels=[
            cll.NullLevel("company_name"),
            cll.ExactMatchLevel("company_name", term_frequency_adjustments=True),
            cll.ExactMatchLevel("company_name_sorted").configure(label_for_charts="same words"),
            cll.JaroWinklerLevel("company_name", 0.95),
            cll.JaroWinklerLevel("company_name", 0.88),
            cll.JaroWinklerLevel("company_name_sorted", 0.88),
            cll.JaroWinklerLevel("company_name", 0.8),
            cll.ElseLevel(),
        ],
    )


def comparisons() -> list[Any]:
    """The comparisons of the model, one per field (names of persons apart)."""
    return [
        _name_comparison(),
        cl.ForenameSurnameComparison(
            "first_name_norm", "last_name_norm", forename_surname_concat_col_name="full_name_norm"
        ),
        cl.JaroWinklerAtThresholds("street_norm", [0.95, 0.85]),
        cl.LevenshteinAtThresholds("postcode_norm", [1]),
        cl.ExactMatch("city_norm").configure(term_frequency_adjustments=True),
        cl.EmailComparison("email_norm"),
        cl.LevenshteinAtThresholds("phone_norm", [1]),
        cl.LevenshteinAtThresholds("tax_norm", [1]),
        cl.ExactMatch("website_norm"),
        cl.DateOfBirthComparison("date_of_birth", input_is_string=True, datetime_format="%Y-%m-%d"),
        cl.ExactMatch("kind"),
    ]


PREDICTION_BLOCKING = [
    block_on("tax_norm"),
    block_on("email_norm"),
    block_on("phone_norm"),
    block_on("name_sorted"),
    block_on("name_prefix", "postcode_norm"),
    block_on("street_norm", "city_norm"),
    block_on("last_name_norm", "date_of_birth"),
    block_on("website_norm"),
]
"""Candidate pairs: equal on any of these keys (Splink de-duplicates across rules)."""

DETERMINISTIC_RULES = [
    block_on("tax_norm", "name_norm"),
    block_on("email_norm", "name_norm"),
    block_on("phone_norm", "name_norm"),
]
EM_BLOCKING = [
    block_on("company_name_sorted"),
    block_on("email_norm"),
    block_on("date_of_birth"),
]
"""EM training sessions: each trains the comparisons not in its rule (persons: the
date-of-birth session and the e-mail session)."""


def _load(con: duckdb.DuckDBPyConnection, records: Path) -> int:
    """Read the CSV as text, NFKC-normalise, clean with SQL into table ``records``."""
    text_columns = dict.fromkeys(("record_id", *NORMALISED_TEXT), pa.string())
    raw = pacsv.read_csv(records, convert_options=pacsv.ConvertOptions(column_types=text_columns))
    for column in NORMALISED_TEXT:
        index = raw.schema.get_field_index(column)
        raw = raw.set_column(index, column, pc.utf8_normalize(raw[column], "NFKC"))
    con.register("raw_records", raw)
    con.execute(f"create table records as {clean_sql('raw_records')}").fetchall()
    con.unregister("raw_records")
    count = con.execute("select count(*) from records").fetchall()[0]
    return int(count[0]) if count else 0


def run(
    records: Path,
    out: Path,
    threshold: float = 0.9,
    memory_limit: str = "10GB",
    u_max_pairs: float = 1e7,
) -> dict[str, object]:
    """Link the records with Splink and write ``record_id,cluster_id``.

    Args:
        records: The generated ``records.csv``.
        out: Output CSV.
        threshold: Match probability for predicted pairs and for clustering.
        memory_limit: DuckDB memory limit (it spills to a temporary folder beyond it).
        u_max_pairs: Random pairs sampled to estimate the u probabilities.

    Returns:
        Phase timings (seconds), counts and the trained λ.
    """
    phases: dict[str, float] = {}
    mark = time.perf_counter()
    spill = tempfile.mkdtemp(prefix="splink-spill-")
    con = duckdb.connect()
    con.execute(f"set memory_limit = '{memory_limit}'").fetchall()
    con.execute(f"set temp_directory = '{spill}'").fetchall()
    count = _load(con, records)
    phases["read_and_clean"] = time.perf_counter() - mark

    db_api = DuckDBAPI(connection=con)
    settings = SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="record_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=PREDICTION_BLOCKING,
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(db_api.register("records"), settings, log_level=logging.WARNING)

    mark = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(DETERMINISTIC_RULES, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=1)
    phases["train_u"] = time.perf_counter() - mark
    mark = time.perf_counter()
    for rule in EM_BLOCKING:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True
        )
    phases["train_em"] = time.perf_counter() - mark

    mark = time.perf_counter()
    predictions = linker.inference.predict(threshold_match_probability=threshold)
    pairs = con.execute(f"select count(*) from {predictions.physical_name}").fetchall()[0]
    phases["predict"] = time.perf_counter() - mark
    mark = time.perf_counter()
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
        predictions, threshold_match_probability=threshold
    )
    phases["cluster"] = time.perf_counter() - mark
    mark = time.perf_counter()
    target = str(out).replace("'", "''")
    con.execute(
        f"copy (select record_id, cluster_id from {clusters.physical_name} order by record_id) "
        f"to '{target}' (header, delimiter ',')"
    ).fetchall()
    n_clusters = con.execute(
        f"select count(distinct cluster_id) from {clusters.physical_name}"
    ).fetchall()[0]
    phases["write"] = time.perf_counter() - mark
    return {
        "phases": {name: round(seconds, 2) for name, seconds in phases.items()},
        "records": count,
        "clusters": int(n_clusters[0]) if n_clusters else 0,
        "predicted_pairs_at_threshold": int(pairs[0]) if pairs else 0,
        "probability_two_random_records_match": (
            linker._settings_obj._probability_two_random_records_match
        ),
        "peak_rss_mb_self": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: link a records file, write clusters and ``<out>.json``."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.splink_side")
    parser.add_argument("records", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threshold", type=float, default=0.9)
    parser.add_argument("--memory-limit", default="10GB")
    parser.add_argument("--u-max-pairs", type=float, default=1e7)
    args = parser.parse_args(argv)
    info = run(args.records, args.out, args.threshold, args.memory_limit, args.u_max_pairs)
    args.out.with_suffix(".json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
