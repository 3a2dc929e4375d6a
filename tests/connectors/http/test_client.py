"""HttpClient: retries honouring Retry-After, no blind re-send of a POST, error mapping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from connectors.errors import FatalError, RetriableError
from connectors.http import HttpClient, HttpSettings, RejectedError, RetryPolicy
from connectors.http.retry import parse_retry_after

Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, sleeps: list[float], **retry: float) -> HttpClient:
    settings = HttpSettings(
        base_url="https://api.example.com",
        retry=RetryPolicy(initial_delay=0.01, **retry),
    )
    return HttpClient("crm", settings, transport=httpx.MockTransport(handler), sleep=sleeps.append)


def _sequence(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    return handler, seen


def test_retry_after_seconds_is_honoured() -> None:
    handler, seen = _sequence(
        httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200, json={"ok": 1})
    )
    sleeps: list[float] = []
    assert _client(handler, sleeps).request_json("GET", "/x") == {"ok": 1}
    assert sleeps == [7.0]
    assert len(seen) == 2


def test_retry_after_http_date_is_honoured() -> None:
    when = datetime.now(UTC) + timedelta(seconds=30)
    handler, _ = _sequence(
        httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}),
        httpx.Response(200, json=[]),
    )
    sleeps: list[float] = []
    _client(handler, sleeps).request("GET", "/x")
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 30


def test_parse_retry_after_forms() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120") == 120
    assert parse_retry_after("Mon, 01 Jan 2024 00:01:00 GMT", now=now) == 60
    assert parse_retry_after("Sun, 31 Dec 2023 00:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_retry_after_above_the_maximum_fails_without_sleeping() -> None:
    handler, seen = _sequence(httpx.Response(429, headers={"Retry-After": "3600"}))
    sleeps: list[float] = []
    with pytest.raises(RetriableError) as caught:
        _client(handler, sleeps, max_retry_after=300).request("GET", "/x")
    assert caught.value.retry_after == 3600
    assert sleeps == [] and len(seen) == 1


def test_5xx_gives_up_after_max_attempts_with_backoff() -> None:
    handler, seen = _sequence(*(httpx.Response(502) for _ in range(3)))
    sleeps: list[float] = []
    with pytest.raises(RetriableError, match="failed 3 times"):
        _client(handler, sleeps, max_attempts=3).request("GET", "/x")
    assert len(seen) == 3 and len(sleeps) == 2
    assert all(0 < s <= 0.02 for s in sleeps)


def test_get_is_retried_after_a_read_timeout() -> None:
    handler, seen = _sequence(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    _client(handler, []).request("GET", "/x")
    assert len(seen) == 2


def test_post_is_not_resent_after_a_read_timeout() -> None:
    handler, seen = _sequence(httpx.ReadTimeout("slow"), httpx.Response(201, json={}))
    with pytest.raises(RetriableError, match="not re-sent"):
        _client(handler, []).request("POST", "/x", json={"name": "ACME"})
    assert len(seen) == 1


def test_post_is_resent_after_429_and_when_marked_idempotent() -> None:
    handler, seen = _sequence(httpx.Response(429), httpx.Response(201, json={}))
    _client(handler, []).request("POST", "/x", json={})
    assert len(seen) == 2
    handler, seen = _sequence(httpx.ReadTimeout("slow"), httpx.Response(200, json={}))
    _client(handler, []).request("POST", "/search", json={}, idempotent=True)
    assert len(seen) == 2


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_fatal_and_not_retried(status: int) -> None:
    handler, seen = _sequence(httpx.Response(status, json=[{"errorCode": "X"}]))
    with pytest.raises(FatalError) as caught:
        _client(handler, []).request("GET", "/x")
    assert not isinstance(caught.value, RejectedError)
    assert len(seen) == 1


def test_other_4xx_is_a_rejection_with_the_body() -> None:
    handler, _ = _sequence(httpx.Response(400, json=[{"message": "bad email"}]))
    with pytest.raises(RejectedError) as caught:
        _client(handler, []).request("PATCH", "/x", json={})
    assert caught.value.status == 400
    assert caught.value.body == [{"message": "bad email"}]


def test_raw_and_form_bodies_are_sent() -> None:
    handler, seen = _sequence(httpx.Response(201), httpx.Response(200))
    client = _client(handler, [])
    client.request("PUT", "/csv", content="a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    client.request("POST", "/form", data={"k": "v"})
    assert seen[0].content == b"a,b\n1,2\n"
    assert seen[1].content == b"k=v"


def test_rate_budget_spaces_requests() -> None:
    sleeps: list[float] = []
    settings = HttpSettings(base_url="https://api.example.com", requests_per_second=2)
    client = HttpClient(
        "crm",
        settings,
        transport=httpx.MockTransport(lambda r: httpx.Response(200)),
        sleep=sleeps.append,
    )
    for _ in range(3):
        client.request("GET", "/x")
    # the first call spends the burst; the next two are booked half a second apart (the
    # injected sleep does not move the clock, so the second waits for both slots)
    assert [round(s, 1) for s in sleeps] == [0.5, 1.0]
