"""The connector side every connector benchmark times: count, then pull everything."""

from __future__ import annotations

from connectors.base import Connector, PullWindow
from mappings.spec import MappingSpec

__all__ = ["count_and_pull"]


def count_and_pull(connector: Connector, mapping: MappingSpec, what: str) -> int:
    """Do what the pull stage does with ``connector``: count, then pull every record.

    Closes the connector. Returns the records pulled.

    Raises:
        RuntimeError: The pull did not return as many records as the count promised
            (``what`` names them in the message).
    """
    try:
        expected = connector.count(mapping, PullWindow(None))
        pulled = sum(1 for _ in connector.pull(mapping, PullWindow(None)))
    finally:
        connector.close()
    if pulled != expected:
        raise RuntimeError(f"connector pulled {pulled} {what}, counted {expected}")
    return pulled
