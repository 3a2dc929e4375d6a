"""The one error hierarchy of connectors.

* :class:`RetriableError` — try again later (429 with Retry-After, 5xx, timeouts, locks).
* :class:`FatalError` — stop: retrying cannot help (bad credentials, permission, config).
* :class:`RecordError` — one record is bad; quarantine it and go on.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every connector error. ``system`` names the system it happened with."""

    def __init__(self, system: str, message: str) -> None:
        self.system = system
        super().__init__(f"{system}: {message}")


class RetriableError(ConnectorError):
    """A transient failure: the same call may succeed later."""

    def __init__(self, system: str, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(system, message)


class FatalError(ConnectorError):
    """A failure retrying cannot fix: credentials, permissions, a missing table."""


class RecordError(ConnectorError):
    """One record cannot be read or written; it is quarantined and the rest go on."""

    def __init__(self, system: str, source_id: str, message: str) -> None:
        self.source_id = source_id
        super().__init__(system, f"record {source_id}: {message}")
