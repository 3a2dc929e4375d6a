"""Pull-throughput benchmarks of the connectors, one module per connector kind.

Registration point: a module ``bench/connectors/<kind>.py`` with ``main(argv) -> int``
that accepts ``--records N`` (records seeded per entity), times its connector beside a
plain hand-written peer on the same data in the same run, prints a table and writes
``bench/out/connectors/<kind>.json``. ``python -m bench.connectors`` (``make
bench-connectors``) always runs the SQL benchmark (:mod:`bench.connectors.sql`, local
databases) and, with ``--peers`` or ``CRMSYNC_E2E=1``, every other registered module
against its local peer server (Tryton, BottleCRM, ...).
"""

from __future__ import annotations

import pkgutil
from pathlib import Path

ALWAYS = ("sql",)
"""Benchmarks that need no peer server."""


def peer_benchmarks() -> list[str]:
    """Names of the registered benchmarks that start a peer server (module names)."""
    here = [str(Path(__file__).resolve().parent)]
    return sorted(
        m.name
        for m in pkgutil.iter_modules(here)
        if not m.name.startswith("_") and m.name not in ALWAYS
    )
