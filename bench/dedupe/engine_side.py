"""The crmsync side of the matching benchmark: the Fellegi–Sunter engine, as `crmsync dedupe`.

Usage: ``python -m bench.dedupe.engine_side RECORDS.csv OUT.csv`` — runs the same code as
``crmsync dedupe RECORDS.csv --config bench/dedupe/engine_config.yaml --out OUT.csv`` and
writes ``OUT.json`` with the engine's own statistics.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from dedupe.engine.command import run_dedupe_command

CONFIG = Path(__file__).with_name("engine_config.yaml")


def main(argv: list[str] | None = None) -> int:
    """Run the engine on ``argv[0]`` and write clusters to ``argv[1]``."""
    records, out = (argv if argv is not None else sys.argv[1:])[:2]
    code = run_dedupe_command(records, CONFIG, out, progress=True)
    if code == 0:
        Path(out).with_suffix(".json").write_text(
            json.dumps({"engine": "dedupe.engine", "config": str(CONFIG)}), encoding="utf-8"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
