"""The BottleCRM API client: JSON calls on ``/api/`` with a bearer token, and its errors.

BottleCRM answers a refused write with ``400 {"error": true, "errors": {field: [msg]}}``
and an unknown record with ``404 {"detail": ...}``; :func:`rejection_message` turns either
into one line for the push's ``rejected`` map. A bad token gets 403 (not 401) on
org-scoped endpoints: the HTTP client makes both fatal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from connectors.bottlecrm.config import BottleCrmConfig
from connectors.errors import RetriableError
from connectors.http import HttpClient
from connectors.http.auth import BearerToken
from connectors.http.client import RejectedError


def rejection_message(error: RejectedError) -> str:
    """Return the server's reason for refusing a write, as one line.

    Field errors come out as ``field: message; other: message``.
    """
    body = error.body
    if isinstance(body, dict):
        errors = body.get("errors")
        if isinstance(errors, dict) and errors:
            parts = []
            for field, messages in sorted(errors.items()):
                text = (
                    " ".join(str(m) for m in messages)
                    if isinstance(messages, list)
                    else str(messages)
                )
                parts.append(f"{field}: {text}")
            return f"HTTP {error.status}: " + "; ".join(parts)
        for key in ("detail", "message", "errors"):
            if body.get(key):
                return f"HTTP {error.status}: {body[key]}"
    return str(error)


class BottleCrmClient:
    """JSON requests to one BottleCRM org's API, through the shared :class:`HttpClient`."""

    def __init__(
        self,
        system: str,
        config: BottleCrmConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.http = HttpClient(
            system,
            config.http_settings(),
            BearerToken(config.token),
            headers={"Accept": "application/json"},
            transport=transport,
            sleep=sleep,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """Send one request to ``/api/<path>`` and return its JSON object.

        Raises:
            FatalError: 401/403 (bad token or missing permission).
            RejectedError: Another 4xx (the record is wrong; the body is attached).
            RetriableError: Transient failures after the retries, or a body that is not a
                JSON object.
        """
        body = self.http.request_json(method, path, params=params, json=json)
        if not isinstance(body, dict):
            raise RetriableError(
                self.system, f"{method} {path}: expected a JSON object, got {type(body).__name__}"
            )
        return body

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
