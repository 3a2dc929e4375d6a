"""The crmsync side of the matching benchmark: the Fellegi–Sunter engine, as `crmsync dedupe`.

Usage: ``python -m bench.dedupe.engine_side RECORDS.csv OUT.csv [--config CONFIG.yaml]``
— runs the same code as ``crmsync dedupe RECORDS.csv --config CONFIG.yaml --out OUT.csv``
(default config: ``bench/dedupe/engine_config.yaml``, the generated customers) and
writes ``OUT.json`` naming the engine and config.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from dedupe.engine.command import run_dedupe_command

CONFIG = Path(__file__).with_name("engine_config.yaml")


def main(argv: list[str] | None = None) -> int:
    """Run the engine on a records file and write clusters."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.engine_side")
    parser.add_argument("records", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--config", type=Path, default=CONFIG)
    args = parser.parse_args(argv)
    code = run_dedupe_command(args.records, args.config, args.out, progress=True)
    if code == 0:
        args.out.with_suffix(".json").write_text(
            json.dumps({"engine": "dedupe.engine", "config": str(args.config)}), encoding="utf-8"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
