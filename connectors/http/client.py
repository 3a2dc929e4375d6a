"""One HTTP client for every REST/JSON-RPC connector: timeouts, retries, rate budget, errors.

Every call goes through :meth:`HttpClient.request`, which turns the ways a remote system
fails into the connector error hierarchy (:mod:`connectors.errors`):

* 401/403 → :class:`~connectors.errors.FatalError` (retrying cannot fix credentials);
* 408/425/429/5xx, timeouts, resets → retried with backoff honouring ``Retry-After``,
  then :class:`~connectors.errors.RetriableError` (Airflow retries the task later);
* other 4xx → :class:`RejectedError` carrying the status and the server's message, so a
  connector can quarantine the one record instead of failing the batch.

A request that is not idempotent (POST, PATCH) is only retried when the server cannot
have acted on it (connection refused, 429, 503); after a timeout or reset it fails as
retriable and the connector decides (e.g. look up before creating again), because
blindly re-sending a create is how duplicates are made.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import FatalError, RetriableError
from connectors.http.rate import RateBudget
from connectors.http.retry import RETRIABLE_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
NOT_PROCESSED_STATUSES = frozenset({429, 503})
"""Statuses after which the server has not acted on the request: safe to re-send."""
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
MESSAGE_CHARS = 300


class HttpSettings(BaseModel):
    """Transport settings shared by the HTTP connectors (one block per system)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base_url: str = Field(
        description="Root URL of the system's API, e.g. `https://crm.example.com`."
    )
    timeout_seconds: float = Field(30.0, gt=0, description="Connect/read/write timeout per call.")
    requests_per_second: float | None = Field(
        None, gt=0, description="Request-rate budget; empty: unlimited."
    )
    ca_bundle: str | None = Field(
        None, description="CA bundle file for a private certificate authority (TLS stays verified)."
    )
    retry: RetryPolicy = Field(default_factory=RetryPolicy)


class RejectedError(FatalError):
    """The server refused this request as wrong (a 4xx other than auth and rate limits)."""

    def __init__(self, system: str, status: int, message: str, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(system, message)


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:MESSAGE_CHARS] + ("…" if len(text) > MESSAGE_CHARS else "")


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


class HttpClient:
    """An httpx client bound to one system, with retries, a rate budget and clear errors."""

    def __init__(
        self,
        system: str,
        settings: HttpSettings,
        auth: httpx.Auth | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.settings = settings
        self._sleep = sleep
        self.budget = RateBudget(settings.requests_per_second, sleep=sleep)
        self.requests_sent = 0
        self.retries = 0
        self._client = httpx.Client(
            base_url=settings.base_url,
            auth=auth,
            headers=dict(headers or {}),
            timeout=settings.timeout_seconds,
            verify=settings.ca_bundle or True,
            transport=transport,
            follow_redirects=False,
        )

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send one request and return its 2xx/3xx response, retrying what is transient.

        Args:
            content: A raw body (e.g. CSV), sent as given.
            data: A form body (``application/x-www-form-urlencoded``).
            idempotent: Whether re-sending after an unclear failure is safe; defaults to
                the method's semantics (JSON-RPC reads over POST pass True).

        Raises:
            FatalError: 401 or 403.
            RejectedError: Another 4xx (the server's message and body attached).
            RetriableError: Still failing after the retry policy's attempts.
        """
        method = method.upper()
        safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        policy = self.settings.retry
        where = f"{method} {httpx.URL(url).path or url}"
        for attempt in range(1, policy.max_attempts + 1):
            self.budget.acquire()
            self.requests_sent += 1
            try:
                response = self._client.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    content=content,
                    data=data,
                    headers=headers,
                )
            except _NOT_SENT as exc:
                failure, retry_after, may_resend = f"cannot connect ({exc})", None, True
            except _TRANSIENT as exc:
                failure, retry_after, may_resend = f"{type(exc).__name__} ({exc})", None, safe
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status in (401, 403):
                    raise FatalError(
                        self.system,
                        f"{where} refused with HTTP {status}: check the credentials and their "
                        f"permissions ({_short(response)})",
                    )
                if status not in RETRIABLE_STATUSES:
                    raise RejectedError(
                        self.system,
                        status,
                        f"{where} rejected with HTTP {status}: {_short(response)}",
                        _body(response),
                    )
                failure = f"HTTP {status}"
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                may_resend = safe or status in NOT_PROCESSED_STATUSES
            if not may_resend:
                raise RetriableError(
                    self.system, f"{where} failed: {failure}; not re-sent (not idempotent)"
                )
            if retry_after is not None and retry_after > policy.max_retry_after:
                raise RetriableError(
                    self.system,
                    f"{where} failed: {failure}; the server asks to wait {retry_after:.0f} s",
                    retry_after=retry_after,
                )
            if attempt == policy.max_attempts:
                raise RetriableError(
                    self.system,
                    f"{where} failed {attempt} times, last: {failure}",
                    retry_after=retry_after,
                )
            wait = retry_after if retry_after is not None else policy.backoff(attempt)
            self.retries += 1
            log.warning(
                "%s: %s failed (%s); retry %d/%d in %.1f s",
                self.system,
                where,
                failure,
                attempt,
                policy.max_attempts - 1,
                wait,
            )
            self._sleep(wait)
        raise AssertionError("unreachable")  # pragma: no cover

    def request_json(self, method: str, url: str, **kwargs: Any) -> Any:
        """Send a request and return its decoded JSON body.

        Raises:
            RetriableError: The body is not JSON (a truncated or garbled response).
        """
        response = self.request(method, url, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise RetriableError(
                self.system, f"{method} {url}: response is not valid JSON ({_short(response)})"
            ) from exc

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
