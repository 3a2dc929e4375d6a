"""Blocking on person data survives typos, swapped names and wrong date parts."""

from __future__ import annotations

import pandas as pd

from dedupe.engine.block_features import blocking_feature, has_feature
from dedupe.engine.blocking import auto_keys, candidate_pairs
from dedupe.engine.prepare import prepare

_COLUMNS = {"first": "first_name", "last": "last_name", "dob": "date_of_birth"}
_OTHERS = [
    ("anna", "schmidt", "1970-01-01"),
    ("peter", "meyer", "1982-11-30"),
    ("lisa", "wagner", "1991-07-04"),
    ("karl", "becker", "1955-03-12"),
]


def _pairs(records: list[tuple[str, str, str]]) -> set[tuple[int, int]]:
    frame = pd.DataFrame(records + _OTHERS, columns=list(_COLUMNS))
    prepared = prepare(frame, _COLUMNS, parallel=False)
    left, right, _, _ = candidate_pairs(prepared, auto_keys(prepared), max_block_size=50)
    return set(zip(left.tolist(), right.tolist(), strict=True))


def test_names_and_date_of_birth_pair_a_typo_in_each_name() -> None:
    assert (0, 1) in _pairs(
        [("katharina", "hoffmann", "1975-06-14"), ("katarina", "hofman", "1975-06-14")]
    )


def test_names_and_date_of_birth_pair_swapped_names_with_a_typo() -> None:
    assert (0, 1) in _pairs(
        [("jonathan", "miller", "1988-02-03"), ("miler", "jonathan", "1988-02-03")]
    )


def test_names_and_date_of_birth_pair_a_day_month_transposition_and_a_typo() -> None:
    records = [("margaret", "thompson", "1963-04-09"), ("margret", "thomson", "1963-09-04")]
    assert (0, 1) in _pairs(records)


def test_names_and_date_of_birth_do_not_pair_different_people() -> None:
    assert not _pairs([("margaret", "thompson", "1963-04-09"), ("oliver", "grant", "1963-04-09")])


def test_unordered_name_codes_are_the_same_for_swapped_names() -> None:
    frame = pd.DataFrame({"first": ["anna", "meyer", ""], "last": ["meyer", "ana", "maier"]})
    prepared = prepare(frame, {"first": "first_name", "last": "last_name"}, parallel=False)
    low, high = (
        blocking_feature(prepared, "first:name_low"),
        blocking_feature(prepared, "last:name_high"),
    )
    assert low.codes[0] == low.codes[1] and high.codes[0] == high.codes[1]
    # A lone name is both the smaller and the larger code.
    assert low.values[low.codes[2]] == high.values[high.codes[2]] == "M600"
    assert has_feature(prepared, "last:tag") and not has_feature(prepared, "last:name_low")
