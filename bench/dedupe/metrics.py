"""Quality of a clustering against the truth: pairwise and B-cubed precision/recall/F1.

Both measures come from the contingency table ``n[c, e]`` = records in predicted cluster
``c`` whose true entity is ``e``, with cluster sizes ``a[c]`` and entity sizes ``b[e]``:

* pairwise: true positives ``sum C(n, 2)``, predicted pairs ``sum C(a, 2)``, true pairs
  ``sum C(b, 2)`` (the same definition as :func:`dedupe.evaluate.pairwise_scores`);
* B-cubed (Bagga & Baldwin): per record, precision = share of its cluster that is its
  entity, recall = share of its entity that is in its cluster; averaged over records:
  ``P = sum(n**2 / a) / N``, ``R = sum(n**2 / b) / N``.

Only records in the truth count. A truth record missing from the prediction counts as a
singleton cluster (a matcher that drops records loses recall, it does not gain
precision). Uses only the standard library, so it runs in either virtualenv.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["Scores", "read_assignment", "score", "score_files"]


@dataclass(frozen=True)
class Scores:
    """Pairwise and B-cubed quality of one clustering.

    Attributes:
        pair_precision: True predicted pairs / predicted pairs (1.0 if none predicted).
        pair_recall: True predicted pairs / true pairs (1.0 if there are none).
        pair_f1: Harmonic mean of the two.
        bcubed_precision: Mean over records of the pure share of its cluster.
        bcubed_recall: Mean over records of the found share of its entity.
        bcubed_f1: Harmonic mean of the two.
        records: Records scored (those in the truth).
        predicted_pairs: Pairs implied by the clustering.
        true_pairs: Pairs implied by the truth.
        true_positives: Predicted pairs that are true.
        clusters: Predicted clusters (singletons included).
        entities: True entities.
    """

    pair_precision: float
    pair_recall: float
    pair_f1: float
    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    records: int
    predicted_pairs: int
    true_pairs: int
    true_positives: int
    clusters: int
    entities: int

    def as_dict(self, digits: int = 4) -> dict[str, float | int]:
        """Return the scores as a dict, ratios rounded to ``digits``."""
        return {
            key: round(value, digits) if isinstance(value, float) else value
            for key, value in asdict(self).items()
        }


def _pairs(count: int) -> int:
    return count * (count - 1) // 2


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def score(predicted: Mapping[str, str], truth: Mapping[str, str]) -> Scores:
    """Score a clustering against the truth.

    Args:
        predicted: Record id → predicted cluster id.
        truth: Record id → true entity id.

    Returns:
        Pairwise and B-cubed scores.
    """
    cell: Counter[tuple[str, str]] = Counter()
    for record, entity in truth.items():
        # A record the matcher did not return is its own cluster (NUL never is an id).
        cell[predicted.get(record, "\0" + record), entity] += 1
    cluster_size: Counter[str] = Counter()
    for (cluster, _), count in cell.items():
        cluster_size[cluster] += count
    entity_size = Counter(truth.values())
    records = len(truth)

    true_positives = sum(_pairs(count) for count in cell.values())
    predicted_pairs = sum(_pairs(count) for count in cluster_size.values())
    true_pairs = sum(_pairs(count) for count in entity_size.values())
    pair_precision = true_positives / predicted_pairs if predicted_pairs else 1.0
    pair_recall = true_positives / true_pairs if true_pairs else 1.0

    b3_precision = b3_recall = 0.0
    for (cluster, entity), count in cell.items():
        b3_precision += count * count / cluster_size[cluster]
        b3_recall += count * count / entity_size[entity]
    b3_precision = b3_precision / records if records else 1.0
    b3_recall = b3_recall / records if records else 1.0
    return Scores(
        pair_precision=pair_precision,
        pair_recall=pair_recall,
        pair_f1=_f1(pair_precision, pair_recall),
        bcubed_precision=b3_precision,
        bcubed_recall=b3_recall,
        bcubed_f1=_f1(b3_precision, b3_recall),
        records=records,
        predicted_pairs=predicted_pairs,
        true_pairs=true_pairs,
        true_positives=true_positives,
        clusters=len(cluster_size),
        entities=len(entity_size),
    )


def read_assignment(path: Path, value_column: str) -> dict[str, str]:
    """Read a ``record_id,<value_column>`` CSV file into a dict.

    Args:
        path: The CSV file (a header row naming ``record_id`` and ``value_column``).
        value_column: ``cluster_id`` for a prediction, ``entity_id`` for the truth.

    Returns:
        Record id → value.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        return {row["record_id"]: row[value_column] for row in csv.DictReader(handle)}


def score_files(predicted: Path, truth: Path) -> Scores:
    """Score a ``record_id,cluster_id`` file against a ``record_id,entity_id`` file."""
    return score(read_assignment(predicted, "cluster_id"), read_assignment(truth, "entity_id"))
