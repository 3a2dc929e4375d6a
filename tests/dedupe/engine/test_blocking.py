"""Blocking: vectorised pairs, several keys, bounded blocks, reduction ratio."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from dedupe.engine.blocking import auto_keys, candidate_pairs, key_codes
from dedupe.engine.prepare import prepare


def _frame(size: int, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "tax": [f"DE{value}" for value in rng.integers(0, size // 3, size)],
            "city": rng.choice(["Berlin", "Hamburg", "Köln"], size),
            "zip": [f"{value:05d}" for value in rng.integers(0, size // 10, size)],
        }
    )


def _brute_force(frame: pd.DataFrame, keys: list[list[str]]) -> set[tuple[int, int]]:
    out = set()
    for a, b in itertools.combinations(range(len(frame)), 2):
        for key in keys:
            if all(frame[c].iloc[a] == frame[c].iloc[b] for c in key):
                out.add((a, b))
    return out


def test_pairs_equal_brute_force_union() -> None:
    frame = _frame(120)
    prepared = prepare(frame, {"tax": "exact", "city": "exact", "zip": "exact"})
    keys = [["tax"], ["city", "zip"]]
    left, right, masks, stats = candidate_pairs(prepared, keys, max_block_size=1000)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == _brute_force(frame, keys)
    assert (left < right).all()
    assert stats.candidate_pairs == len(left)
    assert 0.8 < stats.reduction_ratio < 1.0
    assert stats.possible_pairs == 120 * 119 // 2
    tax_pairs = frame["tax"].to_numpy()[left] == frame["tax"].to_numpy()[right]
    assert np.array_equal(tax_pairs, (masks & 1) == 1)


def test_oversized_blocks_are_skipped_and_counted() -> None:
    frame = _frame(300)
    prepared = prepare(frame, {"city": "exact"})
    left, _, _, stats = candidate_pairs(prepared, [["city"]], max_block_size=50)
    assert len(left) == 0
    assert stats.skipped_blocks["city"] == 3


def test_linkage_keeps_only_cross_source_pairs() -> None:
    frame = pd.DataFrame({"tax": ["1", "1", "1", "2", "2"]})
    sources = np.array([0, 0, 1, 1, 1])
    prepared = prepare(frame, {"tax": "exact"})
    left, right, _, stats = candidate_pairs(
        prepared, [["tax"]], max_block_size=10, sources=sources, within_sources=False
    )
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(0, 2), (1, 2)]
    assert stats.possible_pairs == 6


def test_auto_keys_follow_the_column_types() -> None:
    frame = pd.DataFrame(
        {
            "n": ["Acme GmbH"],
            "tax": ["DE1"],
            "zip": ["1"],
            "first": ["Ann"],
            "last": ["Lee"],
            "dob": ["1990-01-01"],
        }
    )
    prepared = prepare(
        frame,
        {
            "n": "company_name",
            "tax": "tax_id",
            "zip": "postcode",
            "first": "first_name",
            "last": "last_name",
            "dob": "date_of_birth",
        },
    )
    keys = auto_keys(prepared)
    assert ["tax"] in keys
    assert ["n:sorted"] in keys
    assert ["n:first", "zip"] in keys
    assert ["last", "dob"] in keys


def test_key_masks_name_every_key_that_made_the_pair() -> None:
    frame = _frame(150, seed=5)
    frame["everywhere"] = "x"  # one value on every record, like a ``:tag`` part
    columns = {"tax": "exact", "city": "exact", "zip": "exact", "everywhere": "exact"}
    prepared = prepare(frame, columns)
    keys = [["tax"], ["city", "zip"], ["zip", "everywhere"], ["tax", "city", "zip"]]
    left, right, masks, stats = candidate_pairs(prepared, keys, max_block_size=1000)
    assert set(zip(left.tolist(), right.tolist(), strict=True)) == _brute_force(frame, keys)
    for bit, key in enumerate(keys):
        agree = np.ones(len(left), dtype=bool)
        for column in key:
            values = frame[column].to_numpy()
            agree &= values[left] == values[right]
        assert np.array_equal(agree, (masks >> bit) & 1 == 1), key
        assert stats.keys["+".join(key)] == len(_brute_force(frame, [key]))


def test_key_codes_of_many_wide_parts_group_exactly_the_equal_records() -> None:
    # Four parts of ~70,000 values each: their combined code range overflows 64 bits,
    # so the codes are renumbered on the way; the grouping must not change.
    size = 70_000
    rng = np.random.default_rng(11)
    columns = {name: [f"{name}{i}" for i in rng.permutation(size)] for name in "abcd"}
    frame = pd.DataFrame(columns)
    frame.iloc[7] = frame.iloc[3]  # equal on every part: one block
    frame.loc[9, ["a", "b", "c"]] = frame.loc[3, ["a", "b", "c"]]  # differs in "d"
    frame.loc[12, "d"] = None  # a missing part: no code
    prepared = prepare(frame, dict.fromkeys("abcd", "exact"), parallel=False)
    codes = key_codes(prepared, list("abcd"))
    assert codes[12] == -1
    assert codes[3] == codes[7] != codes[9]
    assert len(np.unique(codes[codes >= 0])) == size - 2
    left, right, _, _ = candidate_pairs(prepared, [list("abcd")], max_block_size=10)
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == [(3, 7)]


def test_a_key_no_record_holds_makes_no_pairs() -> None:
    frame = pd.DataFrame({"tax": ["1", "1", "2"], "zip": [None, None, None]})
    prepared = prepare(frame, {"tax": "exact", "zip": "exact"})
    left, _, masks, stats = candidate_pairs(prepared, [["zip"], ["tax"]], max_block_size=10)
    assert stats.keys == {"zip": 0, "tax": 1}
    assert masks.tolist() == [0b10] and len(left) == 1
