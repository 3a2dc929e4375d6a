"""The JSON-RPC session: login, re-login on 401, error classes, retries (mock transport)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.errors import FatalError, RetriableError
from connectors.http import RetryPolicy
from connectors.tryton.codec import dumps
from connectors.tryton.config import TrytonConfig
from connectors.tryton.rpc import TrytonRpc, TrytonUserError

CONFIG = TrytonConfig(
    url="http://tryton.test",
    database="db",
    login="admin",
    password=SecretStr("s3cret"),
    retry=RetryPolicy(max_attempts=3, initial_delay=0.01),
)


class FakeTryton:
    """Answers login and calls; ``script`` can replace the answer of the next calls."""

    def __init__(self) -> None:
        self.sessions = 0
        self.valid: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.script: list[Callable[[dict[str, Any]], httpx.Response]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        assert request.url.path == "/db/rpc/"
        if body["method"] == "common.db.login":
            if body["params"][1]["password"] != "s3cret":
                return httpx.Response(401)
            self.sessions += 1
            session = f"session-{self.sessions}"
            self.valid = {session}
            return httpx.Response(200, json={"id": body["id"], "result": [1, session, None]})
        header = request.headers.get("Authorization", "")
        session = base64.b64decode(header.removeprefix("Session ")).decode().split(":")[-1]
        if session not in self.valid:
            return httpx.Response(401)
        if self.script:
            return self.script.pop(0)(body)
        if body["method"] == "model.res.user.get_preferences":
            return httpx.Response(200, json={"id": body["id"], "result": {"company": 1}})
        return httpx.Response(
            200, content=dumps({"id": body["id"], "result": [{"price": Decimal("2.50")}]})
        )


def _rpc(server: FakeTryton, config: TrytonConfig = CONFIG) -> TrytonRpc:
    return TrytonRpc("tryton", config, transport=httpx.MockTransport(server), sleep=lambda _: None)


def test_logs_in_once_and_sends_context_last() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    assert rpc.model("product.template", "read", [1], ["price"]) == [{"price": Decimal("2.50")}]
    assert rpc.model("product.template", "read", [2], ["price"]) == [{"price": Decimal("2.50")}]
    assert server.sessions == 1
    assert server.requests[-1]["params"][-1] == {"company": 1}


def test_expired_session_logs_in_again_once() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    rpc.model("party.party", "search", [])
    server.valid = set()  # the server restarted: the session is gone
    rpc.model("party.party", "search", [])
    assert server.sessions == 2
    assert rpc.session.logins == 2


def test_wrong_password_is_fatal_and_never_shown() -> None:
    server = FakeTryton()
    config = CONFIG.model_copy(update={"password": SecretStr("wrong-pw")})
    rpc = _rpc(server, config)
    with pytest.raises(FatalError) as caught:
        rpc.model("party.party", "search", [])
    assert "wrong-pw" not in str(caught.value) and "wrong-pw" not in repr(rpc.session)
    assert sum(r["method"] == "common.db.login" for r in server.requests) == 1


def _error(kind: str, details: list[Any]) -> Callable[[dict[str, Any]], httpx.Response]:
    return lambda body: httpx.Response(200, json={"id": body["id"], "error": [kind, details]})


def test_user_error_is_a_refusal_with_the_message() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    rpc.context  # noqa: B018 - log in and load the context first
    server.script = [_error("UserError", ['The VAT number "DE1" is not valid.', "", None])]
    with pytest.raises(TrytonUserError) as caught:
        rpc.model("party.identifier", "create", [{}], write=True)
    assert caught.value.kind == "UserError"
    assert caught.value.message == 'The VAT number "DE1" is not valid.'


def test_concurrency_error_is_retriable_and_server_faults_fatal() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    rpc.context  # noqa: B018
    server.script = [_error("ConcurrencyException", ["Records were modified"])]
    with pytest.raises(RetriableError):
        rpc.model("party.party", "write", [1], {}, write=True)
    server.script = [_error("'nonexist'", [])]
    with pytest.raises(FatalError) as caught:
        rpc.model("party.party", "search", [["nonexist", "=", 1]])
    assert not isinstance(caught.value, TrytonUserError)


def test_reads_are_retried_after_503_and_timeouts() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    rpc.context  # noqa: B018

    def timeout(body: dict[str, Any]) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    server.script = [lambda body: httpx.Response(503), timeout]
    assert rpc.model("party.party", "read", [1], ["price"]) == [{"price": Decimal("2.50")}]
    assert rpc.http.retries == 2


def test_a_write_is_not_re_sent_after_a_timeout() -> None:
    server = FakeTryton()
    rpc = _rpc(server)
    rpc.context  # noqa: B018

    def timeout(body: dict[str, Any]) -> httpx.Response:
        raise httpx.ReadTimeout("slow")

    server.script = [timeout]
    sent = len(server.requests)
    with pytest.raises(RetriableError):
        rpc.model("party.party", "create", [{"name": "x"}], write=True)
    assert len(server.requests) == sent + 1


def test_scan_pages_by_id_and_nests_or_domains() -> None:
    server = FakeTryton()
    config = CONFIG.model_copy(update={"page_size": 2})
    rpc = _rpc(server, config)
    rpc.context  # noqa: B018
    pages = [[{"id": 1}, {"id": 2}], [{"id": 5}]]
    server.script = [
        (lambda page: lambda body: httpx.Response(200, json={"id": body["id"], "result": page}))(p)
        for p in pages
    ]
    domain = ["OR", ["write_date", ">=", 1], ["create_date", ">=", 1]]
    assert [r["id"] for r in rpc.scan("party.party", domain, [])] == [1, 2, 5]
    second = server.requests[-1]["params"]
    assert second[0] == [domain, ["id", ">", 2]]
    assert second[2] == 2
