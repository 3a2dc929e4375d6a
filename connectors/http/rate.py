"""A request-rate budget: at most N requests per second, shared by one client."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class RateBudget:
    """Token bucket: ``rate`` requests per second on average, bursts up to ``burst``.

    ``rate`` of None means unlimited. The clock and sleep are injectable for tests.
    """

    def __init__(
        self,
        rate: float | None,
        burst: int = 1,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self._clock = clock
        self._sleep = sleep
        self._tokens = float(self.burst)
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one request from the budget, waiting if it is spent; return seconds waited."""
        if self.rate is None:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
            self._stamp = now
            wait = 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate
            self._tokens -= 1
        if wait:
            self._sleep(wait)
        return wait
