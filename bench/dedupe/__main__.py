"""``python -m bench.dedupe --records 100000 [1000000] [--skip-splink] [--with-skeleton]``."""

from __future__ import annotations

import sys

from bench.dedupe.harness import main

if __name__ == "__main__":
    sys.exit(main())
