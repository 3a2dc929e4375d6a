"""When and how long to wait before retrying an HTTP call."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from pydantic import BaseModel, ConfigDict, Field

RETRIABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
"""Statuses that say "try again later" rather than "this request is wrong"."""


class RetryPolicy(BaseModel):
    """Exponential backoff with full jitter, capped, honouring ``Retry-After``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(6, ge=1, description="Calls per request, the first included.")
    initial_delay: float = Field(0.5, ge=0, description="Seconds before the first retry.")
    max_delay: float = Field(60.0, gt=0, description="Longest single wait in seconds.")
    max_retry_after: float = Field(
        300.0,
        gt=0,
        description="A Retry-After longer than this is not waited for: the call fails as "
        "retriable and the run is retried later (by Airflow) instead of sleeping a task slot.",
    )

    def backoff(self, attempt: int, rng: random.Random | None = None) -> float:
        """Return the wait before retry number ``attempt`` (1-based) without a server hint."""
        ceiling = min(self.max_delay, self.initial_delay * (2 ** (attempt - 1)))
        return (rng or random).uniform(ceiling / 2, ceiling)


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` header asks for (delta-seconds or HTTP date).

    Unparseable values give None (fall back to backoff); dates in the past give 0.
    """
    if not value:
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - (now or datetime.now(UTC))).total_seconds())
