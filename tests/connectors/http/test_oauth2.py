"""OAuth2 client credentials: token fetched once, refreshed before expiry and on a 401."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from connectors.errors import FatalError, RetriableError
from connectors.http import HttpClient, HttpSettings, OAuth2ClientCredentials

TOKEN_URL = "https://login.example.com/oauth2/token"
SECRET = "s3cr3t-value"


class FakeServer:
    """A token endpoint and an API that accepts only the newest token."""

    def __init__(self, expires_in: int | None = 3600, token_status: int = 200) -> None:
        self.expires_in = expires_in
        self.token_status = token_status
        self.issued = 0
        self.revoked: set[str] = set()
        self.api_calls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            form = parse_qs(request.content.decode())
            assert form["grant_type"] == ["client_credentials"]
            assert form["client_id"] == ["abc"] and form["client_secret"] == [SECRET]
            if self.token_status != 200:
                return httpx.Response(
                    self.token_status,
                    json={"error": "invalid_client", "error_description": "bad client"},
                )
            self.issued += 1
            body: dict[str, object] = {
                "access_token": f"tok{self.issued}",
                "token_type": "Bearer",
                "instance_url": "https://org.example.com",
            }
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body)
        token = request.headers["Authorization"].removeprefix("Bearer ")
        self.api_calls.append(token)
        if token in self.revoked:
            return httpx.Response(401, json=[{"errorCode": "INVALID_SESSION_ID"}])
        return httpx.Response(200, json={"token": token})


class Clock:
    """A settable wall clock."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _client(server: FakeServer, clock: Clock, **kwargs: object) -> HttpClient:
    auth = OAuth2ClientCredentials(
        "crm",
        TOKEN_URL,
        "abc",
        SecretStr(SECRET),
        clock=clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return HttpClient(
        "crm",
        HttpSettings(base_url="https://org.example.com"),
        auth=auth,
        transport=httpx.MockTransport(server),
        sleep=lambda s: None,
    )


def test_token_is_fetched_once_and_reused() -> None:
    server, clock = FakeServer(), Clock()
    client = _client(server, clock)
    for _ in range(3):
        assert client.request_json("GET", "/data") == {"token": "tok1"}
    assert server.issued == 1


def test_token_is_refreshed_before_it_expires() -> None:
    server, clock = FakeServer(expires_in=600), Clock()
    client = _client(server, clock, refresh_margin=60)
    client.request("GET", "/data")
    clock.now += 530  # 70 s left: still used
    client.request("GET", "/data")
    assert server.issued == 1
    clock.now += 20  # 50 s left: inside the margin, refreshed first
    assert client.request_json("GET", "/data") == {"token": "tok2"}
    assert server.api_calls == ["tok1", "tok1", "tok2"]


def test_a_401_refreshes_the_token_once_and_resends() -> None:
    server, clock = FakeServer(expires_in=None), Clock()
    client = _client(server, clock)
    client.request("GET", "/data")
    server.revoked.add("tok1")
    assert client.request_json("GET", "/data") == {"token": "tok2"}
    assert server.api_calls == ["tok1", "tok1", "tok2"]


def test_a_second_401_is_fatal() -> None:
    server, clock = FakeServer(), Clock()
    client = _client(server, clock)
    server.revoked.update({"tok1", "tok2"})
    with pytest.raises(FatalError, match="HTTP 401"):
        client.request("GET", "/data")
    assert server.issued == 2


def test_token_endpoint_refusal_is_fatal_with_its_cause_and_no_secret() -> None:
    server, clock = FakeServer(token_status=400), Clock()
    with pytest.raises(FatalError) as caught:
        _client(server, clock).request("GET", "/data")
    message = str(caught.value)
    assert "invalid_client: bad client" in message and "\n" not in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value.__cause__) if caught.value.__cause__ else True


def test_token_endpoint_outage_is_retriable() -> None:
    server, clock = FakeServer(token_status=503), Clock()
    with pytest.raises(RetriableError):
        _client(server, clock).request("GET", "/data")


def test_auth_repr_hides_the_secret() -> None:
    auth = OAuth2ClientCredentials("crm", TOKEN_URL, "abc", SecretStr(SECRET))
    assert SECRET not in repr(auth)


def test_token_response_extras_are_kept() -> None:
    server, clock = FakeServer(), Clock()
    client = _client(server, clock)
    client.request("GET", "/data")
    auth = client._client.auth
    assert isinstance(auth, OAuth2ClientCredentials) and auth.token is not None
    assert auth.token.extra["instance_url"] == "https://org.example.com"
