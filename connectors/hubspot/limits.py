"""HubSpot's rate-limit headers, honoured before they turn into 429s.

Responses carry ``X-HubSpot-RateLimit-Remaining`` (calls left in the current interval of
``X-HubSpot-RateLimit-Interval-Milliseconds``) and ``X-HubSpot-RateLimit-Secondly-
Remaining``; when either reaches 0 the next call waits for the interval to pass. A spent
``X-HubSpot-RateLimit-Daily-Remaining`` stops the run with a clear error instead of a
stream of 429s.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx

from connectors.errors import RetriableError


def _int(headers: httpx.Headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class RateLimitHeaders:
    """Reads the rate-limit headers of each response and waits when a window is spent."""

    def __init__(self, system: str, sleep: Callable[[float], None]) -> None:
        self.system = system
        self._sleep = sleep
        self.waited = 0.0
        self.daily_remaining: int | None = None

    def observe(self, response: httpx.Response) -> None:
        """Wait out a spent interval; fail when the daily allocation is spent."""
        headers = response.headers
        daily = _int(headers, "X-HubSpot-RateLimit-Daily-Remaining")
        if daily is not None:
            self.daily_remaining = daily
            if daily <= 0:
                raise RetriableError(
                    self.system,
                    "the account's daily API allocation is spent "
                    "(X-HubSpot-RateLimit-Daily-Remaining: 0); run again after midnight "
                    "in the account's time zone",
                )
        wait = 0.0
        if _int(headers, "X-HubSpot-RateLimit-Remaining") == 0:
            interval = _int(headers, "X-HubSpot-RateLimit-Interval-Milliseconds") or 10_000
            wait = interval / 1000
        if _int(headers, "X-HubSpot-RateLimit-Secondly-Remaining") == 0:
            wait = max(wait, 1.0)
        if wait:
            self.waited += wait
            self._sleep(wait)
