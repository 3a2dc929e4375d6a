"""End to end on a small generated file with known truth."""

from __future__ import annotations

import gc
from pathlib import Path

import pandas as pd
import pytest

import dedupe.engine.run as engine_run
from bench.dedupe.generate import generate
from bench.dedupe.metrics import score
from dedupe.engine import ConfigError, EngineResult, deduplicate, parse_config
from dedupe.engine.csv_columns import CsvColumns

# Measured 0.983 on this file (seed 7, 4,000 records; 0.982 with seed 8); the bound leaves room for
# harmless changes, not for a regression.
_F1_BOUND = 0.95

CONFIG = {
    "id_column": "record_id",
    "source_column": "source",
    "dedupe_within_sources": True,
    "u_sample_pairs": 200_000,
    "columns": {
        "kind": "exact",
        "name": "company_name",
        "first_name": "first_name",
        "last_name": "last_name",
        "street": "street",
        "house_number": "house_number",
        "postcode": "postcode",
        "city": "city",
        "country": "country",
        "phone": "phone",
        "email": "email",
        "tax_id": "tax_id",
        "date_of_birth": "date_of_birth",
        "website": "website",
    },
}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, dict[str, str]]:
    data = generate(4000, tmp_path_factory.mktemp("generated"), seed=7)
    frame = pd.read_csv(data.records, dtype=str, keep_default_na=False)
    truth = pd.read_csv(data.truth, dtype=str).set_index("record_id")["entity_id"]
    return frame, truth.to_dict()


@pytest.fixture(scope="module")
def result(generated: tuple[pd.DataFrame, dict[str, str]]) -> EngineResult:
    return deduplicate(generated[0], parse_config(CONFIG))


def test_f1_on_generated_records(
    generated: tuple[pd.DataFrame, dict[str, str]], result: EngineResult
) -> None:
    scores = score(result.clusters.to_dict(), generated[1])
    assert scores.pair_f1 >= _F1_BOUND, scores.as_dict()
    assert len(result.clusters) == len(generated[0])


def test_pairs_are_explained(result: EngineResult) -> None:
    pairs = result.pairs
    assert {"left_id", "right_id", "probability", "decision", "tax_id_level"} <= set(pairs)
    assert set(pairs["decision"]) <= {"match", "review"}
    assert (pairs["probability"] >= 0.5).all()
    weights = pairs[[column for column in pairs if column.endswith("_weight")]]
    assert len(weights.columns) == len(result.comparisons) + 1
    assert set(pairs["tax_id_level"]) <= {"missing", "different", "1 edit", "exact"}


def test_stats_report_blocking_and_parameters(result: EngineResult) -> None:
    blocking = result.stats["blocking"]
    assert blocking["candidate_pairs"] > 0
    assert blocking["reduction_ratio"] > 0.99
    tax = result.stats["parameters"]["tax_id"]
    assert tax["exact"]["m"] > 0.5 > tax["exact"]["u"]


def test_linkage_only_across_sources(generated: tuple[pd.DataFrame, dict[str, str]]) -> None:
    frame = generated[0].iloc[:1500]
    config = parse_config({**CONFIG, "dedupe_within_sources": False})
    linked = deduplicate(frame, config)
    source = frame.set_index("record_id")["source"]
    pairs = linked.pairs
    assert len(pairs)
    assert (source[pairs["left_id"]].to_numpy() != source[pairs["right_id"]].to_numpy()).all()


def test_u_and_comparisons_in_second_processes_give_the_same_result(
    generated: tuple[pd.DataFrame, dict[str, str]],
    result: EngineResult,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(engine_run, "_BACKGROUND_MIN", 0)
    forked = deduplicate(generated[0], parse_config(CONFIG))
    assert result.model is not None and forked.model is not None
    for here, there in zip(result.model.u_random, forked.model.u_random, strict=True):
        assert here.tolist() == there.tolist()
    assert forked.stats["parameters"] == result.stats["parameters"]
    assert forked.clusters.equals(result.clusters)
    assert forked.pairs.equals(result.pairs)


def test_stats_report_cpu_time_per_phase(result: EngineResult) -> None:
    cpu = result.stats["cpu_timings"]
    assert set(cpu) == set(result.stats["timings"])
    assert all(seconds >= 0 for seconds in cpu.values())
    assert cpu["prepare"] > 0


def test_a_csv_file_read_by_the_engine_gives_the_clusters_of_its_frame(
    generated: tuple[pd.DataFrame, dict[str, str]],
    result: EngineResult,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "records.csv"
    generated[0].to_csv(path, index=False)
    # Small as the file is, both processes read and standardise their share.
    monkeypatch.setattr(engine_run, "_BACKGROUND_MIN_BYTES", 0)
    read = deduplicate(CsvColumns.open(path), parse_config(CONFIG))
    assert read.clusters.equals(result.clusters)
    assert read.stats["parameters"] == result.stats["parameters"]


@pytest.mark.parametrize("enabled", [True, False])
def test_the_garbage_collector_is_paused_during_a_run_and_restored(
    generated: tuple[pd.DataFrame, dict[str, str]], enabled: bool
) -> None:
    seen: list[bool] = []
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        deduplicate(
            generated[0], parse_config(CONFIG), progress=lambda _: seen.append(gc.isenabled())
        )
        assert seen and not any(seen)
        assert gc.isenabled() is enabled
        with pytest.raises(ConfigError):
            deduplicate(generated[0], parse_config({**CONFIG, "id_column": "kind"}))
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()
