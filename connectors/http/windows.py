"""Incremental windows for REST pulls: ``[start, end)`` on a (timestamp, key) cursor.

* closed start: records changed *at* the cursor are read again, unless their key is at or
  before the cursor's key (boundary de-duplication by (timestamp, key));
* open end, ``lag`` seconds in the past: a record stamped just now may have siblings with
  the same stamp that the API does not show yet (commit or search-index lag); leaving the
  last seconds to the next run is what makes "never skip a row" hold;
* timestamps are normalised to one sortable text form (:func:`format_timestamp`) so the
  pipeline can compare cursors as strings.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base import PullWindow

_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_timestamp(value: Any) -> datetime:
    """Return an aware UTC datetime from ISO 8601 text (``Z``, ``+0000`` or ``+00:00``),
    epoch milliseconds (int or digits, as HubSpot sends them) or a datetime.

    Raises:
        ValueError: The value is none of these.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
        moment = datetime.fromtimestamp(int(value) / 1000, UTC)
    elif isinstance(value, str):
        text = _OFFSET_NO_COLON.sub(r"\1:\2", value.strip().replace("Z", "+00:00"))
        moment = datetime.fromisoformat(text)
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def format_timestamp(moment: datetime) -> str:
    """Return the cursor text of ``moment``: ``YYYY-MM-DDTHH:MM:SS.mmmZ`` in UTC.

    Fixed width and UTC, so text order is time order.
    """
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def epoch_millis(moment: datetime) -> int:
    """Return ``moment`` as milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class TimeWindow:
    """The time range one pull reads: ``start <= t < end``, minus boundary rows already landed.

    ``start`` None means from the beginning; ``after_key`` (only with ``start``) says records
    stamped exactly ``start`` with a key at or before it were landed by the previous run.
    """

    start: datetime | None
    end: datetime
    after_key: str | None = None

    @property
    def empty(self) -> bool:
        """Whether the range holds no instant at all (the cursor is not behind ``end``)."""
        return self.start is not None and self.start >= self.end

    def split(self) -> tuple[TimeWindow, TimeWindow]:
        """Cut the range in two halves at a whole millisecond (for capped searches).

        Raises:
            ValueError: The range has no start or is one millisecond long.
        """
        if self.start is None:
            raise ValueError("a window without a start cannot be split")
        middle_ms = (epoch_millis(self.start) + epoch_millis(self.end)) // 2
        middle = datetime.fromtimestamp(middle_ms / 1000, UTC)
        if not self.start < middle < self.end:
            raise ValueError("the window is too short to split")
        return TimeWindow(self.start, middle, self.after_key), TimeWindow(middle, self.end)


def plan_window(window: PullWindow, lag_seconds: float, now: datetime | None = None) -> TimeWindow:
    """Turn the pipeline's cursor into the time range to read now.

    A full refresh (or no cursor) reads from the beginning; otherwise from the cursor,
    skipping boundary rows at or before ``since_key``. The end is ``now - lag``.
    """
    end = (now or datetime.now(UTC)) - timedelta(seconds=lag_seconds)
    if window.full_refresh or not window.since:
        return TimeWindow(None, end)
    return TimeWindow(parse_timestamp(window.since), end, window.since_key)


class WindowPlans:
    """The time range each (entity, cursor) reads, planned once for a connector's life.

    ``count()`` and ``pull()`` of one window must read the same range, so the end
    (``now - lag``) is fixed the first time a window is planned.
    """

    def __init__(self, lag_seconds: float, now: Callable[[], datetime]) -> None:
        self._lag_seconds = lag_seconds
        self._now = now
        self._plans: dict[tuple[str, PullWindow], TimeWindow] = {}

    def plan(self, entity: str, window: PullWindow) -> TimeWindow:
        """Return the range ``entity`` reads for ``window`` (planned on the first call)."""
        key = (entity, window)
        if key not in self._plans:
            self._plans[key] = plan_window(window, self._lag_seconds, self._now())
        return self._plans[key]


def after_boundary(
    stamp: datetime,
    key: str,
    window: TimeWindow,
    key_order: Callable[[str], Any] = str,
) -> bool:
    """Whether a record stamped ``stamp`` with ``key`` is new in ``window`` (not landed yet).

    ``key_order`` turns a key into something that sorts like the source orders its keys
    (e.g. ``int`` for numeric ids).
    """
    if window.start is None or window.after_key is None or stamp != window.start:
        return True
    return bool(key_order(key) > key_order(window.after_key))
