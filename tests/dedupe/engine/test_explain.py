"""Explanations, labelled pairs and edge cases through ``deduplicate``."""

from __future__ import annotations

import numpy as np
import pandas as pd

from dedupe.engine import deduplicate, parse_config
from dedupe.engine.explain import explain_pair

_CONFIG = {
    "id_column": "id",
    "u_sample_pairs": 5_000,
    "columns": {"n": "company_name", "t": "tax_id"},
}


def _frame(size: int = 60) -> pd.DataFrame:
    names = [f"Company {chr(65 + index % 26)}{index} Ltd" for index in range(size)]
    taxes = [f"GB{100000 + index * 7}" for index in range(size)]
    frame = pd.DataFrame({"id": [str(index) for index in range(size)], "n": names, "t": taxes})
    duplicates = frame.iloc[:10].assign(id=lambda f: "d" + f["id"], n=lambda f: f["n"].str.upper())
    return pd.concat([frame, duplicates], ignore_index=True)


def test_explain_pair_orders_contributions() -> None:
    result = deduplicate(_frame(), parse_config(_CONFIG))
    assert result.model is not None
    row = result.pairs.iloc[0]
    levels = np.array(
        [
            result.comparisons[i].labels.index(row[f"{c.name}_level"])
            for i, c in enumerate(result.comparisons)
        ],
        dtype=np.int8,
    )
    rows = explain_pair(result.comparisons, result.model, levels, np.zeros(len(levels)))
    assert [name for name, _, _ in rows][0] in {"n", "t"}
    assert abs(rows[0][2]) >= abs(rows[-1][2])


def test_labelled_pairs_are_accepted() -> None:
    labels = pd.DataFrame(
        {"left_id": ["0", "1"], "right_id": ["d0", "2"], "is_match": [True, False]}
    )
    result = deduplicate(_frame(), parse_config(_CONFIG), labels=labels)
    assert result.clusters["0"] == result.clusters["d0"]
    assert result.clusters["1"] != result.clusters["2"]


def test_no_candidate_pairs_gives_singletons() -> None:
    frame = pd.DataFrame(
        {"id": ["a", "b", "c"], "n": ["Alpha", "Beta", "Gamma"], "t": ["", "", ""]}
    )
    result = deduplicate(frame, parse_config(_CONFIG))
    assert result.clusters.to_dict() == {"a": "a", "b": "b", "c": "c"}
    assert result.pairs.empty
