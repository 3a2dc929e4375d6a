from __future__ import annotations

import httpx
import pytest

from connectors.base import PullWindow
from connectors.bottlecrm.client import rejection_message
from connectors.errors import FatalError, RetriableError
from connectors.http.client import RejectedError
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from tests.connectors.bottlecrm.fake import FakeBottleCrm

CUSTOMERS = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_customer.yaml")


def test_rejection_message_lists_the_field_errors() -> None:
    error = RejectedError(
        "bottlecrm",
        400,
        "x",
        {"error": True, "errors": {"name": ["Account already exists"], "email": ["Bad."]}},
    )
    assert rejection_message(error) == "HTTP 400: email: Bad.; name: Account already exists"
    missing = RejectedError("bottlecrm", 404, "x", {"detail": "No Account matches."})
    assert rejection_message(missing) == "HTTP 404: No Account matches."
    assert rejection_message(RejectedError("bottlecrm", 418, "teapot", "<html>")) == (
        "bottlecrm: teapot"
    )


def test_a_refused_token_is_fatal_at_once() -> None:
    fake = FakeBottleCrm()
    fake.fail = lambda request: httpx.Response(403, json={"detail": "Invalid token"})
    connector = fake.connector()
    with pytest.raises(FatalError, match="403"):
        list(connector.pull(CUSTOMERS, PullWindow(None)))
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(503),
        httpx.Response(500),
    ],
    ids=["429", "503", "500"],
)
def test_transient_failures_are_retried(answer: httpx.Response) -> None:
    fake = FakeBottleCrm()
    fake.accounts = [{"id": f"a{i}", "name": f"A{i}"} for i in range(3)]
    failures: list[int] = []

    def once(request: httpx.Request) -> httpx.Response | None:
        if failures:
            return None
        failures.append(1)
        return answer

    fake.fail = once
    records = list(fake.connector().pull(CUSTOMERS, PullWindow(None)))
    assert [r.source_id for r in records] == ["a0", "a1", "a2"]
    assert len(fake.requests) == 2


def test_a_lasting_failure_ends_retriable_after_the_policy() -> None:
    fake = FakeBottleCrm()
    fake.fail = lambda request: httpx.Response(503)
    with pytest.raises(RetriableError, match="3 times"):
        list(fake.connector(max_attempts=3).pull(CUSTOMERS, PullWindow(None)))
    assert len(fake.requests) == 3


def test_a_timeout_is_retried() -> None:
    fake = FakeBottleCrm()
    fake.products = [{"id": "p1", "name": "Bolt", "updated_at": "2026-01-01T00:00:00Z"}]
    timed_out: list[int] = []

    def once(request: httpx.Request) -> httpx.Response | None:
        if not timed_out:
            timed_out.append(1)
            raise httpx.ReadTimeout("slow", request=request)
        return None

    fake.fail = once
    products = load_mapping(PACKAGED_MAPPINGS / "bottlecrm_product.yaml")
    assert [r.source_id for r in fake.connector().pull(products, PullWindow(None))] == ["p1"]
