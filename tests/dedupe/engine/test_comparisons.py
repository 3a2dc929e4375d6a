"""Name comparisons: swapped first and last names count once, in the last-name comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dedupe.engine.comparisons import auto_comparisons, compare
from dedupe.engine.prepare import prepare


def test_swapped_names_are_one_swapped_level_and_a_missing_first_name() -> None:
    frame = pd.DataFrame(
        {
            "first": ["harriet", "white", "harriet", "oliver"],
            "last": ["white", "hariet", "white", "grant"],
        }
    )
    prepared = prepare(frame, {"first": "first_name", "last": "last_name"}, parallel=False)
    first, last = auto_comparisons(prepared)
    left, right = np.array([0, 0, 0]), np.array([1, 2, 3])
    first_levels = compare(prepared, first, left, right)
    last_levels = compare(prepared, last, left, right)
    # Swapped (with a typo): no first-name evidence, the last name's "swapped" level.
    assert first.labels[first_levels[0]] == "missing"
    assert last.labels[last_levels[0]] == "swapped"
    # Written the same way round: the usual levels; strangers differ.
    assert first.labels[first_levels[1]] == last.labels[last_levels[1]] == "exact"
    assert first.labels[first_levels[2]] == last.labels[last_levels[2]] == "different"


def test_day_and_month_swapped_is_its_own_date_level() -> None:
    frame = pd.DataFrame(
        {"dob": ["1980-03-07", "1980-07-03", "1980-03-08", "1980-07-04", "1981-07-03", ""]}
    )
    prepared = prepare(frame, {"dob": "date_of_birth"}, parallel=False)
    (dob,) = auto_comparisons(prepared)
    left, right = np.zeros(5, dtype=np.int64), np.arange(1, 6)
    labels = [dob.labels[level] for level in compare(prepared, dob, left, right)]
    assert labels == ["day/month swap", "1 edit", "different", "different", "missing"]
    # Either side may be the swapped one.
    assert dob.labels[compare(prepared, dob, right[:1], left[:1])[0]] == "day/month swap"


def test_a_first_name_written_as_its_initial_is_the_initial_level() -> None:
    frame = pd.DataFrame(
        {
            "first": ["j", "john", "k", "jonathan", "j", ""],
            "last": ["smith", "smith", "smith", "smith", "smith", "smith"],
        }
    )
    prepared = prepare(frame, {"first": "first_name", "last": "last_name"}, parallel=False)
    first, _ = auto_comparisons(prepared)
    left, right = np.array([0, 1, 0, 0, 0, 0]), np.array([1, 0, 2, 3, 4, 5])
    labels = [first.labels[level] for level in compare(prepared, first, left, right)]
    # Either side may be the initial; a whole name is none.
    assert labels == ["initial", "initial", "different", "initial", "exact", "missing"]
    whole_names = compare(prepared, first, np.array([3]), np.array([1]))
    assert first.labels[whole_names[0]] != "initial"
