"""Incremental windows: closed start, open lagged end, boundary de-duplication."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base import PullWindow
from connectors.http.windows import (
    TimeWindow,
    WindowPlans,
    after_boundary,
    format_timestamp,
    parse_timestamp,
    plan_window,
)

NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2024-05-01T10:00:00.000+0000",
        "2024-05-01T10:00:00Z",
        "2024-05-01T12:00:00+02:00",
        "1714557600000",
        1714557600000,
    ],
)
def test_timestamps_in_every_api_form_parse_to_utc(text: object) -> None:
    assert parse_timestamp(text) == datetime(2024, 5, 1, 10, tzinfo=UTC)


def test_cursor_text_sorts_like_time() -> None:
    early = format_timestamp(parse_timestamp("2024-05-01T09:59:59.999Z"))
    late = format_timestamp(parse_timestamp("2024-05-01T10:00:00Z"))
    assert early == "2024-05-01T09:59:59.999Z" and late == "2024-05-01T10:00:00.000Z"
    assert early < late


def test_plan_window_lags_the_end_and_keeps_the_boundary_key() -> None:
    plan = plan_window(PullWindow("2024-05-01T10:00:00Z", "17"), lag_seconds=30, now=NOW)
    assert plan.start == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert plan.end == datetime(2024, 5, 1, 11, 59, 30, tzinfo=UTC)
    assert plan.after_key == "17"


def test_window_plans_fix_the_end_once_per_entity_and_cursor() -> None:
    clock = iter([NOW, NOW.replace(hour=13), NOW.replace(hour=14)])
    plans = WindowPlans(30, lambda: next(clock))
    window = PullWindow("2024-05-01T10:00:00Z", "17")
    first = plans.plan("customer", window)
    assert plans.plan("customer", window) is first
    assert first.end == datetime(2024, 5, 1, 11, 59, 30, tzinfo=UTC)
    assert plans.plan("contact", window).end == datetime(2024, 5, 1, 12, 59, 30, tzinfo=UTC)


def test_full_refresh_reads_from_the_beginning() -> None:
    plan = plan_window(PullWindow("2024-05-01T10:00:00Z", "17", full_refresh=True), 0, now=NOW)
    assert plan.start is None and plan.after_key is None and plan.end == NOW


def test_boundary_rows_at_or_before_the_key_are_dropped() -> None:
    start = datetime(2024, 5, 1, 10, tzinfo=UTC)
    plan = TimeWindow(start, NOW, after_key="9")
    assert not after_boundary(start, "9", plan, int)
    assert after_boundary(start, "10", plan, int)  # numerically after 9
    assert not after_boundary(start, "10", plan)  # but not as text
    assert after_boundary(datetime(2024, 5, 1, 10, 0, 1, tzinfo=UTC), "1", plan, int)


def test_split_halves_at_a_millisecond_and_keeps_the_key_on_the_first_half() -> None:
    start = datetime(2024, 5, 1, 10, tzinfo=UTC)
    first, second = TimeWindow(start, NOW, "5").split()
    middle = datetime(2024, 5, 1, 11, tzinfo=UTC)
    assert first.start == start and first.end == second.start == middle
    assert first.after_key == "5" and second.after_key is None and second.end == NOW
    tiny = TimeWindow(start, parse_timestamp("2024-05-01T10:00:00.001Z"))
    with pytest.raises(ValueError, match="too short"):
        tiny.split()


def test_a_cursor_ahead_of_the_lagged_end_is_an_empty_window() -> None:
    plan = plan_window(PullWindow("2024-05-01T11:59:50Z"), lag_seconds=30, now=NOW)
    assert plan.empty
