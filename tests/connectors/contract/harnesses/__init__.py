"""One module per connector kind, each defining ``HARNESSES: list[ContractHarness]``."""

from __future__ import annotations

import importlib
import pkgutil

from tests.connectors.contract.harness import ContractHarness


def all_harnesses() -> list[ContractHarness]:
    """Return the harnesses of every module in this package, in module order."""
    found: list[ContractHarness] = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        loaded = importlib.import_module(f"{__name__}.{module.name}")
        found.extend(getattr(loaded, "HARNESSES", []))
    return found
