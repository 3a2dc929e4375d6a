"""FEBRL 1–4 under a config set, in one process: accuracy per data set and config.

``python -m bench.dedupe.febrl_eval --config-set reduced`` runs the engine (the code
behind ``crmsync dedupe``) on each FEBRL data set with each config of the set
(:mod:`bench.dedupe.febrl_configs`) and prints pairwise precision / recall / F1,
B-cubed F1, the candidate pairs, the blocking recall (true pairs among the candidates)
and the engine's wall time; ``--json`` writes the rows. The data come from
:func:`bench.dedupe.febrl.load_febrl` (cached in ``bench/out/data``). In-process, so
the times are the engine's, without start-up; the harness measures whole processes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench.dedupe.febrl import FEBRL, load_febrl
from bench.dedupe.febrl_configs import write_config_set
from bench.dedupe.metrics import read_assignment, score
from dedupe.engine.blocking import auto_keys, candidate_pairs
from dedupe.engine.command import read_records
from dedupe.engine.config import EngineConfig, load_config
from dedupe.engine.prepare import prepare
from dedupe.engine.run import deduplicate

__all__ = ["blocking_recall", "evaluate", "main"]

ROOT = Path(__file__).resolve().parents[2]


def blocking_recall(frame: pd.DataFrame, config: EngineConfig, truth: dict[str, str]) -> float:
    """Share of the true pairs (within scope: across sources for linkage) blocking finds.

    Args:
        frame: The records.
        config: The engine config.
        truth: Record id → entity.

    Returns:
        Found true pairs / true pairs.
    """
    prepared = prepare(frame, config.compared, parallel=False)
    sources = None
    if config.source_column:
        sources = pd.factorize(frame[config.source_column].astype(str))[0].astype(np.int64)
    keys = config.blocking or auto_keys(prepared)
    left, right, _, _ = candidate_pairs(
        prepared,
        keys,
        max_block_size=config.max_block_size,
        pair_budget=config.pair_budget,
        sources=sources,
        within_sources=config.dedupe_within_sources,
    )
    entity = pd.factorize(frame[config.id_column].astype(str).map(truth))[0]
    found = int(np.count_nonzero(entity[left] == entity[right]))
    groups = pd.DataFrame({"entity": entity, "source": 0 if sources is None else sources})
    if sources is None or config.dedupe_within_sources:
        sizes = groups.groupby("entity").size().to_numpy()
        wanted = int((sizes * (sizes - 1) // 2).sum())
    else:
        per = groups.groupby(["entity", "source"]).size().unstack(fill_value=0).to_numpy()
        wanted = int(((per.sum(axis=1) ** 2 - (per**2).sum(axis=1)) // 2).sum())
    return found / max(wanted, 1)


def evaluate(dataset: str, config_path: Path, out_root: Path) -> dict[str, Any]:
    """Run the engine on one FEBRL set with one config and score it.

    Args:
        dataset: ``febrl1`` … ``febrl4``.
        config_path: The engine config.
        out_root: Bench output folder (data cache).

    Returns:
        The scores, candidate pairs, blocking recall and engine seconds.
    """
    data = load_febrl(dataset, out_root / "data", Path(sys.executable))
    config = load_config(config_path)
    frame = read_records(data.records)
    truth = read_assignment(data.truth, "entity_id")
    start = time.perf_counter()
    result = deduplicate(frame, config)
    seconds = time.perf_counter() - start
    scores = score(result.clusters.astype(str).to_dict(), truth)
    return {
        "dataset": dataset,
        "config": config_path.stem,
        **scores.as_dict(),
        "candidate_pairs": result.stats["blocking"]["candidate_pairs"],
        "blocking_recall": round(blocking_recall(frame, config, truth), 4),
        "seconds": round(seconds, 2),
    }


def _line(row: dict[str, Any]) -> str:
    return (
        f"{row['dataset']:8} {row['config']:28} {row['pair_precision']:.4f} "
        f"{row['pair_recall']:.4f} {row['pair_f1']:.4f} {row['bcubed_f1']:.4f} "
        f"{row['candidate_pairs']:>9,} {row['blocking_recall']:.4f} {row['seconds']:6.2f}"
    )


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m bench.dedupe.febrl_eval``."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.febrl_eval")
    parser.add_argument("--config-set", default="reduced")
    parser.add_argument("--dataset", choices=("febrl", *FEBRL), default="febrl")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--json", type=Path, help="also write the rows here")
    args = parser.parse_args(argv)
    names = list(FEBRL) if args.dataset == "febrl" else [args.dataset]
    folder = args.out / f"febrl-configs-{args.config_set}"
    print(f"{'dataset':8} {'config':28} {'P':6} {'R':6} {'F1':6} {'B3 F1':6} "
          f"{'cand.':>9} {'blk R':6} {'sec':>6}")  # fmt: skip
    rows = []
    for name in names:
        link = len(FEBRL[name]) > 1
        for path in write_config_set(args.config_set, folder, link=link).values():
            row = evaluate(name, path, args.out)
            rows.append(row)
            print(_line(row), flush=True)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
