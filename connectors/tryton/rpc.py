"""A JSON-RPC session on one Tryton database, over :class:`connectors.http.HttpClient`.

* Login (``common.db.login``) happens inside an httpx auth flow: the first call logs in,
  and a call answered 401 (the session expired or the server restarted) logs in again
  once and is re-sent (the server refused it, so re-sending cannot duplicate anything). A
  refused login is a :class:`~connectors.errors.FatalError`.
* Reads are sent as idempotent (retried after timeouts); writes are not re-sent after an
  unclear failure (the HTTP client's rule).
* Tryton answers errors with HTTP 200 and ``{"error": [kind, details]}``. ``UserError``,
  ``UserWarning`` and access errors become :class:`TrytonUserError` (the record was
  refused: a push rejects that record and goes on; a read fails), a concurrency error is
  retriable, anything else (a server fault) is fatal.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Generator, Iterator
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from connectors.errors import FatalError, RetriableError
from connectors.http import HttpClient
from connectors.tryton.codec import dumps, encode, loads
from connectors.tryton.config import TrytonConfig

USER_ERRORS = frozenset({"UserError", "UserWarning", "AccessError", "ValidationError"})
"""Error kinds that mean "this request is refused as wrong", not "the server failed"."""
RETRIABLE_ERRORS = frozenset({"ConcurrencyException", "TooManyRequests"})
MESSAGE_CHARS = 300


class TrytonUserError(FatalError):
    """Tryton refused a call with a user-level error (validation, warning, access)."""

    def __init__(self, system: str, kind: str, message: str) -> None:
        self.kind = kind
        self.message = message
        super().__init__(system, f"{kind}: {message}")


def error_message(details: Any) -> str:
    """Return the human message of an error's details (``[message, description, ...]``)."""
    if isinstance(details, list | tuple):
        parts = [str(p) for p in details if isinstance(p, str) and p.strip()]
        # UserWarning puts its key first: the message is the longest part.
        text = max(parts, key=len) if parts else ""
    else:
        text = str(details or "")
    text = " ".join(text.split())
    return text[:MESSAGE_CHARS] + ("…" if len(text) > MESSAGE_CHARS else "")


class TrytonSession(httpx.Auth):
    """Logs in with ``common.db.login`` and sends ``Authorization: Session ...``.

    A 401 on a call with an existing session triggers one fresh login and one re-send.
    The password never appears in a repr or log.
    """

    requires_response_body = True

    def __init__(
        self, system: str, login_path: str, login: str, password: SecretStr, language: str
    ) -> None:
        self.system = system
        self._login_path = login_path
        self._login = login
        self._password = password
        self._language = language
        self._header: str | None = None
        self.logins = 0

    def __repr__(self) -> str:
        return f"TrytonSession({self._login!r}, **********)"

    def _login_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, bool]:
        """Log in; return whether a session was opened.

        A login answered with an HTTP error ends the flow with that answer, so the HTTP
        client treats it like any other (401/403 fatal, 429/5xx retried).
        """
        body = dumps(
            {
                "id": 0,
                "method": "common.db.login",
                "params": [
                    self._login,
                    {"password": self._password.get_secret_value()},
                    self._language,
                ],
            }
        )
        response = yield httpx.Request(
            "POST",
            request.url.copy_with(path=self._login_path, query=None),
            content=body.encode(),
            headers={"Content-Type": "application/json"},
        )
        self.logins += 1
        if response.status_code >= 400:
            return False
        try:
            payload = loads(response.content)
        except ValueError as exc:
            raise RetriableError(self.system, "login answer is not JSON") from exc
        result = payload.get("result") if isinstance(payload, dict) else None
        if not result:
            error = payload.get("error") if isinstance(payload, dict) else None
            raise FatalError(
                self.system, f"login of {self._login!r} refused: {error_message(error)}"
            )
        user_id, session = result[0], result[1]
        token = base64.b64encode(f"{self._login}:{user_id}:{session}".encode()).decode()
        self._header = f"Session {token}"
        return True

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Log in when needed, send ``request``; on 401 log in again once and re-send."""
        fresh = self._header is None
        if fresh and not (yield from self._login_flow(request)):
            return
        request.headers["Authorization"] = str(self._header)
        response = yield request
        if response.status_code == 401 and not fresh:
            self._header = None
            if not (yield from self._login_flow(request)):
                return
            request.headers["Authorization"] = str(self._header)
            yield request


class TrytonRpc:
    """Calls on one Tryton database: ``model.<model>.<method>`` with the user's context.

    Args:
        system: The system's name (for errors).
        config: Connection settings.
        transport: An httpx transport (tests); default: the network.
        sleep: Wait function of the retry loop (tests).
    """

    def __init__(
        self,
        system: str,
        config: TrytonConfig,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        self.system = system
        self.config = config
        self.path = f"/{quote(config.database, safe='')}/rpc/"
        self.session = TrytonSession(
            system, self.path, config.login, config.password, config.language
        )
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        self.http = HttpClient(
            system,
            config.http_settings(),
            auth=self.session,
            headers={"Content-Type": "application/json"},
            transport=transport,
            **extra,
        )
        self._ids = itertools.count(1)
        self._context: dict[str, Any] | None = None

    def call(self, method: str, *params: Any, write: bool = False) -> Any:
        """Call ``method`` (full name, e.g. ``model.party.party.read``) with ``params``.

        Args:
            write: Whether the call changes data (then it is never re-sent blindly).

        Raises:
            TrytonUserError: Tryton refused the call (validation, warning, access).
            RetriableError: Transient failure (network, 5xx, concurrent update).
            FatalError: Credentials, or a server fault.
        """
        body = {"id": next(self._ids), "method": method, "params": encode(list(params))}
        response = self.http.request("POST", self.path, json=body, idempotent=not write)
        try:
            payload = loads(response.content)
        except ValueError as exc:
            raise RetriableError(self.system, f"{method}: answer is not JSON") from exc
        if not isinstance(payload, dict):
            raise RetriableError(self.system, f"{method}: unexpected answer {type(payload)}")
        error = payload.get("error")
        if error:
            kind, details = (
                (str(error[0]), error[1])
                if isinstance(error, list) and len(error) == 2
                else ("Error", error)
            )
            message = error_message(details)
            if kind in USER_ERRORS:
                raise TrytonUserError(self.system, kind, message)
            if kind in RETRIABLE_ERRORS:
                raise RetriableError(self.system, f"{method}: {kind}: {message}")
            raise FatalError(self.system, f"{method} failed on the server: {kind} {message}")
        return payload.get("result")

    @property
    def context(self) -> dict[str, Any]:
        """The user's context (from ``get_preferences``), with the configured company."""
        if self._context is None:
            context = dict(self.call("model.res.user.get_preferences", True, {}))
            if self.config.company is not None:
                context["company"] = self._company_id(context)
            self._context = context
        return self._context

    def _company_id(self, context: dict[str, Any]) -> int:
        wanted = self.config.company
        if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
            return int(wanted)
        found = self.call(
            "model.company.company.search", [["party.name", "=", wanted]], 0, 2, None, context
        )
        if len(found) != 1:
            raise FatalError(self.system, f"company {wanted!r}: {len(found)} companies match")
        return int(found[0])

    def model(
        self,
        model: str,
        method: str,
        *args: Any,
        write: bool = False,
        context: dict[str, Any] | None = None,
    ) -> Any:
        """Call ``model.<model>.<method>(*args, <context>)``; ``context`` overrides keys."""
        ctx = {**self.context, **(context or {})}
        return self.call(f"model.{model}.{method}", *args, ctx, write=write)

    def read(self, model: str, ids: list[int], fields: list[str]) -> list[dict[str, Any]]:
        """Read ``fields`` of ``ids`` in chunks of the page size (the order is kept)."""
        rows: dict[int, dict[str, Any]] = {}
        size = self.config.page_size
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            for row in self.model(model, "read", chunk, fields):
                rows[int(row["id"])] = row
        return [rows[i] for i in ids if i in rows]

    def search_read(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        order: list[list[str]] | None = None,
        limit: int | None = None,
        context: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Return ``search_read(domain, 0, limit, order, fields)`` on ``model``."""
        result = self.model(model, "search_read", domain, 0, limit, order, fields, context=context)
        return list(result)

    def scan(
        self,
        model: str,
        domain: list[Any],
        fields: list[str],
        *,
        context: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Yield every record of ``domain`` in id order, a page at a time (keyset on id)."""
        last = 0
        while True:
            page = self.search_read(
                model,
                # Nested, not appended: the domain may be an "OR" list.
                [domain, ["id", ">", last]] if domain else [["id", ">", last]],
                fields,
                order=[["id", "ASC"]],
                limit=self.config.page_size,
                context=context,
            )
            yield from page
            if len(page) < self.config.page_size:
                return
            last = int(page[-1]["id"])

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()
