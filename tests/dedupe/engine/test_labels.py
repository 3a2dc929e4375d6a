"""Labelled pairs: reading, deciding their own pairs, and teaching similar ones."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dedupe.engine import ConfigError, deduplicate, parse_config
from dedupe.engine.command import run_dedupe_command
from dedupe.engine.labels import decided, read_labels

_LETTERS = np.array(list("abcdefghijklmnopqrstuvwxyz"))


def _households(seed: int = 3, count: int = 150) -> tuple[pd.DataFrame, np.ndarray]:
    """People in households: members share surname, street, postcode and phone.

    Half the people have a second record (a typo in the first name now and then).
    Fellegi–Sunter alone adds up the shared household fields and merges members.
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, str]] = []
    truth: list[str] = []
    for household in range(count):
        surname = "".join(rng.choice(_LETTERS, 8))
        shared = {
            "last": surname,
            "street": f"{rng.integers(1, 200)} {''.join(rng.choice(_LETTERS, 7))} road",
            "postcode": str(rng.integers(10000, 99999)),
            "phone": f"0{rng.integers(10**8, 10**9)}",
        }
        for member in range(int(rng.integers(2, 4))):
            first = "".join(rng.choice(_LETTERS, 6))
            born = f"19{rng.integers(40, 99)}-0{rng.integers(1, 9)}-1{rng.integers(0, 9)}"
            for copy in range(2 if rng.random() < 0.5 else 1):
                written = first
                if copy and rng.random() < 0.5:
                    written = first[:2] + first[3] + first[2] + first[4:]
                dob = born if rng.random() < 0.6 else ""
                rows.append({"id": f"r{len(rows)}", "first": written, "dob": dob, **shared})
                truth.append(f"{household}-{member}")
    return pd.DataFrame(rows), np.array(truth)


_COLUMNS = {
    "first": "first_name",
    "last": "last_name",
    "street": "street",
    "postcode": "postcode",
    "phone": "phone",
    "dob": "date_of_birth",
}
_CONFIG = {"id_column": "id", "columns": _COLUMNS}


def _pair_f1(clusters: pd.Series, truth: np.ndarray, skip: set[frozenset[str]]) -> float:
    ids = clusters.index.to_numpy()
    labels = clusters.to_numpy()
    found = same = both = 0
    for a, b in combinations(range(len(ids)), 2):
        if frozenset((ids[a], ids[b])) in skip:
            continue
        predicted, true = labels[a] == labels[b], truth[a] == truth[b]
        found += predicted
        same += true
        both += predicted and true
    precision, recall = both / max(found, 1), both / max(same, 1)
    return 2 * precision * recall / max(precision + recall, 1e-9)


def _labels(frame: pd.DataFrame, truth: np.ndarray, count: int) -> pd.DataFrame:
    rng = np.random.default_rng(9)
    ids = frame["id"].to_numpy()
    groups = pd.Series(range(len(ids))).groupby(truth).apply(list)
    matches = [(ids[g[0]], ids[g[1]], True) for g in groups if len(g) == 2]
    members = [
        (ids[a], ids[b], False)
        for indices in frame.groupby("last").indices.values()
        for a, b in combinations(indices, 2)
        if truth[a] != truth[b]
    ]
    chosen = [matches[i] for i in rng.choice(len(matches), count, replace=False)]
    chosen += [members[i] for i in rng.choice(len(members), count, replace=False)]
    return pd.DataFrame(chosen, columns=["left_id", "right_id", "is_match"])


def test_labels_teach_unlabelled_pairs_what_em_alone_gets_wrong() -> None:
    frame, truth = _households()
    config = parse_config(_CONFIG)
    labels = _labels(frame, truth, 15)
    skip = {frozenset(pair) for pair in zip(labels["left_id"], labels["right_id"], strict=True)}
    alone = deduplicate(frame, config)
    taught = deduplicate(frame, config, labels=labels)
    f1_alone = _pair_f1(alone.clusters, truth, skip)
    f1_taught = _pair_f1(taught.clusters, truth, skip)
    assert f1_alone < 0.8
    assert f1_taught > f1_alone + 0.1
    # The labelled matches moved m: a different first name is rarer among matches.
    before = alone.stats["parameters"]["first"]["different"]["m"]
    after = taught.stats["parameters"]["first"]["different"]["m"]
    assert after < before
    assert taught.stats["labels"] == {"pairs": 30, "matches": 15}


def test_labelled_pairs_are_decided_as_labelled() -> None:
    frame, truth = _households(count=40)
    config = parse_config(_CONFIG)
    labels = _labels(frame, truth, 5)
    result = deduplicate(frame, config, labels=labels)
    clusters = result.clusters
    for left, right, is_match in labels.itertuples(index=False):
        assert (clusters[left] == clusters[right]) == is_match


def test_decided_finds_candidates_and_labelled_matches_outside_them() -> None:
    left, right = np.array([0, 0, 2]), np.array([1, 3, 3])
    where, flags, extra_left, extra_right = decided(
        left, right, 5, np.array([3, 1, 4]), np.array([0, 4, 2]), np.array([False, True, True])
    )
    assert where.tolist() == [1] and flags.tolist() == [False]
    assert extra_left.tolist() == [1, 2] and extra_right.tolist() == [4, 4]


def test_read_labels_accepts_flags_and_names_bad_lines(tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("left_id,right_id,match\na,b,1\nc,d,no\ne,f,TRUE\n", encoding="utf-8")
    assert read_labels(good)["is_match"].tolist() == [True, False, True]
    bad = tmp_path / "bad.csv"
    bad.write_text("left_id,right_id,is_match\na,b,maybe\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="lines \\[2\\]"):
        read_labels(bad)
    with pytest.raises(ConfigError, match="missing"):
        (tmp_path / "cols.csv").write_text("a,b\n1,2\n", encoding="utf-8")
        read_labels(tmp_path / "cols.csv")


def test_command_reads_labels_from_config_and_option(tmp_path: Path) -> None:
    frame, truth = _households(count=40)
    frame.to_csv(tmp_path / "in.csv", index=False)
    labels = _labels(frame, truth, 5)
    labels.assign(is_match=labels["is_match"].astype(int)).to_csv(
        tmp_path / "labels.csv", index=False
    )
    columns = "".join(f"  {name}: {kind}\n" for name, kind in _COLUMNS.items())
    (tmp_path / "c.yaml").write_text(
        f"id_column: id\nlabels: labels.csv\ncolumns:\n{columns}", encoding="utf-8"
    )
    assert run_dedupe_command(tmp_path / "in.csv", tmp_path / "c.yaml", tmp_path / "a.csv") == 0
    out = pd.read_csv(tmp_path / "a.csv", dtype=str).set_index("record_id")["cluster_id"]
    for left, right, is_match in labels.itertuples(index=False):
        assert (out[left] == out[right]) == is_match
    missing = tmp_path / "none.csv"
    code = run_dedupe_command(
        tmp_path / "in.csv", tmp_path / "c.yaml", tmp_path / "b.csv", labels_path=missing
    )
    assert code == 2
