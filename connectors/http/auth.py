"""Authentication for HTTP connectors: static bearer tokens (more schemes live beside it)."""

from __future__ import annotations

from collections.abc import Generator

import httpx
from pydantic import SecretStr


class BearerToken(httpx.Auth):
    """Sends ``Authorization: Bearer <token>``; the token never appears in logs or reprs."""

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Add the bearer header to ``request``."""
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        yield request

    def __repr__(self) -> str:
        return "BearerToken(**********)"
