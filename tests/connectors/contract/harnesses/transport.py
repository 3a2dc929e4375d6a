"""A transport that puts a :class:`Fault` in front of a real HTTP peer for the contract suite."""

from __future__ import annotations

from collections.abc import Collection, Mapping

import httpx

from tests.connectors.contract.harness import Fault

__all__ = ["FaultTransport"]


class FaultTransport(httpx.BaseTransport):
    """Replaces the first answers of the real server by a fault, counting failing answers.

    Args:
        fault: The fault to inject.
        transient: Fail once (else every time).
        statuses: The HTTP status answering each fault (503 for the others; 429 comes
            with ``Retry-After: 0``). A timeout is raised, not answered.
        real: Faults the real server is made to answer itself (e.g. a wrong token): their
            requests are forwarded and every refusal (status >= 400) counts as a failure.
    """

    def __init__(
        self,
        fault: Fault,
        transient: bool,
        *,
        statuses: Mapping[Fault, int],
        real: Collection[Fault] = (),
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.fault = fault
        self.statuses = statuses
        self.real = real
        self.remaining = 1 if transient else 10**6
        self.failures = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Fail while the fault lasts, then forward to the real server."""
        if self.fault in self.real:
            response = self.inner.handle_request(request)
            self.failures += response.status_code >= 400
            return response
        if self.remaining > 0:
            self.remaining -= 1
            self.failures += 1
            if self.fault is Fault.TIMEOUT:
                raise httpx.ReadTimeout("injected read timeout", request=request)
            status = self.statuses.get(self.fault, 503)
            headers = {"Retry-After": "0"} if status == 429 else {}
            return httpx.Response(status, headers=headers, request=request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        """Close the real transport."""
        self.inner.close()
