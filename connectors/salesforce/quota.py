"""The org's daily API request allocation, read before and watched during a pull.

Salesforce counts every REST call against ``DailyApiRequests``; when it runs out, every
integration of the org stops until the 24-hour window frees calls. A pull that would eat
into the reserve kept for others stops with a :class:`~connectors.errors.FatalError`
naming the numbers, instead of ending early and looking like a success.
"""

from __future__ import annotations

import re

from connectors.errors import FatalError

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


class ApiQuota:
    """Remaining daily API requests as last reported by the org."""

    def __init__(self, system: str, reserve: int) -> None:
        self.system = system
        self.reserve = reserve
        self.remaining: int | None = None
        self.maximum: int | None = None

    def set_from_limits(self, limits: dict[str, object]) -> None:
        """Take the numbers from a ``/limits`` response."""
        daily = limits.get("DailyApiRequests")
        if isinstance(daily, dict):
            self.maximum = int(daily["Max"])
            self.remaining = int(daily["Remaining"])

    def observe(self, header: str | None) -> None:
        """Update from a ``Sforce-Limit-Info: api-usage=used/max`` response header."""
        match = _USAGE.search(header or "")
        if match:
            used, maximum = int(match.group(1)), int(match.group(2))
            self.maximum, self.remaining = maximum, maximum - used

    def require(self, calls: int, purpose: str) -> None:
        """Fail unless ``calls`` more requests leave the reserve intact.

        Raises:
            FatalError: The remaining allocation minus ``calls`` is below the reserve.
        """
        if self.remaining is None:
            return
        if self.remaining - calls < self.reserve:
            raise FatalError(
                self.system,
                f"stopped before {purpose}: the org has {self.remaining} of "
                f"{self.maximum} daily API requests left, this needs about {calls} and "
                f"{self.reserve} are reserved (quota_reserve); rerun when the 24-hour "
                "window frees requests",
            )
