"""RateBudget: a token bucket that never lets more than the budget through."""

from __future__ import annotations

from connectors.http import RateBudget


class FakeClock:
    """A clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_budget_holds_the_average_rate() -> None:
    clock = FakeClock()
    budget = RateBudget(10, burst=5, clock=clock, sleep=clock.sleep)
    for _ in range(105):
        budget.acquire()
    # 5 free (burst), then 100 at 10 per second
    assert abs(clock.now - 10.0) < 1e-6


def test_unlimited_budget_never_waits() -> None:
    clock = FakeClock()
    budget = RateBudget(None, clock=clock, sleep=clock.sleep)
    assert sum(budget.acquire() for _ in range(1000)) == 0
