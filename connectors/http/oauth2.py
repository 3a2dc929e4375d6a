"""OAuth 2.0 client-credentials authentication: fetch a token, refresh it before expiry and
once more when the server answers 401.

The token request goes through the same transport as the API calls (it is a request the
auth flow yields), so TLS settings, timeouts and test transports apply to it too. The
client secret is only ever put into the token request body; error messages carry the
token endpoint's ``error``/``error_description``, never the request.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.errors import FatalError, RetriableError

DEFAULT_REFRESH_MARGIN = 60.0
"""Seconds before a token's expiry at which it is refreshed instead of used."""


@dataclass(frozen=True)
class AccessToken:
    """A token from the token endpoint and when it stops being usable (None: unknown)."""

    value: SecretStr
    expires_at: float | None
    extra: dict[str, Any]
    """Other fields of the token response (e.g. Salesforce's ``instance_url``)."""


def _cause(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("error"):
        description = str(body.get("error_description") or "").strip()
        return f"{body['error']}: {description}" if description else str(body["error"])
    return response.reason_phrase or "no reason given"


class OAuth2ClientCredentials(httpx.Auth):
    """httpx auth for the OAuth 2.0 client-credentials grant (RFC 6749 §4.4).

    Args:
        system: System name used in error messages.
        token_url: Absolute URL of the token endpoint.
        client_id: The client (consumer) id.
        client_secret: The client secret.
        scope: Space-separated scopes to ask for; None sends none.
        refresh_margin: Refresh this many seconds before the token's ``expires_in`` runs out.
        default_lifetime: Lifetime assumed when the response has no ``expires_in``
            (Salesforce sends none); None means "until the server answers 401".
        clock: Wall clock in seconds (injectable for tests).
    """

    requires_response_body = True

    def __init__(
        self,
        system: str,
        token_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        scope: str | None = None,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        default_lifetime: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.system = system
        self.token_url = token_url
        self.client_id = client_id
        self._client_secret = client_secret
        self.scope = scope
        self.refresh_margin = refresh_margin
        self.default_lifetime = default_lifetime
        self._clock = clock
        self.token: AccessToken | None = None
        self.tokens_fetched = 0

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials({self.token_url!r}, client_id={self.client_id!r})"

    def _fresh(self) -> bool:
        if self.token is None:
            return False
        expires_at = self.token.expires_at
        return expires_at is None or self._clock() < expires_at - self.refresh_margin

    def _token_request(self) -> httpx.Request:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret.get_secret_value(),
        }
        if self.scope:
            form["scope"] = self.scope
        return httpx.Request(
            "POST", self.token_url, data=form, headers={"Accept": "application/json"}
        )

    def _store(self, response: httpx.Response) -> None:
        where = f"token endpoint {httpx.URL(self.token_url).path}"
        status = response.status_code
        if status == 429 or status >= 500:
            raise RetriableError(self.system, f"{where} answered HTTP {status}: {_cause(response)}")
        if status >= 400:
            raise FatalError(
                self.system,
                f"{where} refused the client credentials (HTTP {status}, {_cause(response)})",
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise FatalError(self.system, f"{where} answered with a body that is not JSON") from exc
        if not isinstance(body, dict) or not body.get("access_token"):
            raise FatalError(self.system, f"{where} answered without an access_token")
        lifetime = body.get("expires_in", self.default_lifetime)
        expires_at = self._clock() + float(lifetime) if lifetime is not None else None
        extra = {k: v for k, v in body.items() if k != "access_token"}
        self.token = AccessToken(SecretStr(str(body["access_token"])), expires_at, extra)
        self.tokens_fetched += 1

    def _sign(self, request: httpx.Request) -> None:
        assert self.token is not None
        request.headers["Authorization"] = f"Bearer {self.token.value.get_secret_value()}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign ``request`` with a valid token; on 401 fetch a new token and send it once more."""
        if not self._fresh():
            self._store((yield self._token_request()))
        self._sign(request)
        response = yield request
        if response.status_code == 401:
            # The token was revoked or expired early: one new token, one more try; a second
            # 401 goes back to the caller, which reports it as fatal.
            self._store((yield self._token_request()))
            self._sign(request)
            yield request
