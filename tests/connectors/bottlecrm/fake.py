"""A tiny in-memory stand-in for BottleCRM's list/detail/write endpoints, for unit tests.

It answers with BottleCRM's real envelopes (shapes taken from the server's OpenAPI and
checked against the real server in tests/e2e/connectors) so paging, counting and push
logic can be tested fast and with failures injected. Not a replacement for the e2e tests.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from connectors.bottlecrm import BottleCrmConfig, BottleCrmConnector
from connectors.http import RetryPolicy


class FakeBottleCrm:
    """Accounts, contacts and products in memory behind an ``httpx.MockTransport``."""

    def __init__(self) -> None:
        self.accounts: list[dict[str, Any]] = []
        self.contacts: list[dict[str, Any]] = []
        self.products: list[dict[str, Any]] = []
        self.custom_fields: dict[str, set[str]] = {"Account": set(), "Contact": set()}
        self.requests: list[httpx.Request] = []
        self.fail: Callable[[httpx.Request], httpx.Response | None] = lambda request: None

    def transport(self) -> httpx.MockTransport:
        """Return the transport to build a connector on."""
        return httpx.MockTransport(self.handle)

    def connector(self, page_size: int = 500, max_attempts: int = 3) -> BottleCrmConnector:
        """Return a connector on this fake (retries without real sleeps)."""
        config = BottleCrmConfig(
            base_url="https://crm.example.test",
            token="bcrm_pat_unit",  # noqa: S106 - a fake token for a fake server
            page_size=page_size,
            retry=RetryPolicy(max_attempts=max_attempts, initial_delay=0.0),
        )
        return BottleCrmConnector(
            "bottlecrm", config, transport=self.transport(), sleep=lambda _: None
        )

    # ------------------------------------------------------------------ server side

    def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request like BottleCRM does."""
        self.requests.append(request)
        injected = self.fail(request)
        if injected is not None:
            return injected
        if request.headers.get("Authorization") != "Bearer bcrm_pat_unit":
            return httpx.Response(403, json={"detail": "Organization context is required."})
        path = request.url.path.removeprefix("/api/")
        params = request.url.params
        body = json.loads(request.content) if request.content else {}
        if path == "custom-fields/":
            return self._custom_fields(request.method, params, body)
        for prefix, records in (
            ("accounts/", self.accounts),
            ("contacts/", self.contacts),
            ("invoices/products/", self.products),
        ):
            if path == prefix and request.method == "GET":
                return self._list(prefix, records, int(params["limit"]), int(params["offset"]))
            if path == prefix and request.method == "POST":
                return self._create(prefix, records, body)
            if path.startswith(prefix):
                record_id = path[len(prefix) :].strip("/")
                return self._detail(prefix, records, record_id, request.method, body)
        return httpx.Response(404, json={"detail": "Not found."})

    def _custom_fields(self, method: str, params: Any, body: dict[str, Any]) -> httpx.Response:
        if method == "POST":
            self.custom_fields[body["target_model"]].add(body["key"])
            return httpx.Response(201, json={"key": body["key"]})
        keys = self.custom_fields[params["target_model"]]
        return httpx.Response(
            200, json={"definitions": [{"key": k, "is_active": True} for k in sorted(keys)]}
        )

    def _list(
        self, prefix: str, records: list[dict[str, Any]], limit: int, offset: int
    ) -> httpx.Response:
        if prefix == "accounts/":
            open_ = [r for r in records if r.get("is_active", True)]
            closed = [r for r in records if not r.get("is_active", True)]
            return httpx.Response(
                200,
                json={
                    "active_accounts": {
                        "open_accounts": open_[offset : offset + limit],
                        "open_accounts_count": len(open_),
                        "offset": None,
                    },
                    "closed_accounts": {
                        "close_accounts": closed[offset : offset + limit],
                        "close_accounts_count": len(closed),
                        "offset": None,
                    },
                    "contacts": [],
                },
            )
        return httpx.Response(
            200, json={"count": len(records), "results": records[offset : offset + limit]}
        )

    def _validate(self, records: list[dict[str, Any]], body: dict[str, Any], own: str) -> Any:
        email = body.get("email")
        if email is not None and "@" not in str(email):
            return {"email": ["Enter a valid email address."]}
        name = body.get("name")
        if name and any(r["name"].lower() == str(name).lower() and r["id"] != own for r in records):
            return {"name": ["Account already exists with this name"]}
        return None

    def _create(
        self, prefix: str, records: list[dict[str, Any]], body: dict[str, Any]
    ) -> httpx.Response:
        errors = self._validate(records, body, "") if prefix == "accounts/" else None
        if errors:
            return httpx.Response(400, json={"error": True, "errors": errors})
        record = {"id": str(uuid.uuid4()), "is_active": True, **body}
        record["custom_fields"] = dict(body.get("custom_fields") or {})
        records.append(record)
        if prefix == "invoices/products/":
            return httpx.Response(201, json={"error": False, "product": record})
        return httpx.Response(200, json={"error": False, "id": record["id"]})

    def _detail(
        self,
        prefix: str,
        records: list[dict[str, Any]],
        record_id: str,
        method: str,
        body: dict[str, Any],
    ) -> httpx.Response:
        found = next((r for r in records if r["id"] == record_id), None)
        if found is None:
            return httpx.Response(404, json={"detail": "No Account matches the given query."})
        if method == "GET":
            wrapper = {"accounts/": "account_obj", "contacts/": "contact_obj"}.get(prefix)
            return httpx.Response(200, json={wrapper: found} if wrapper else found)
        errors = self._validate(records, body, record_id) if prefix == "accounts/" else None
        if errors:
            return httpx.Response(400, json={"error": True, "errors": errors})
        custom = {**found.get("custom_fields", {}), **body.pop("custom_fields", {})}
        found.update(body, custom_fields=custom)
        return httpx.Response(200, json={"error": False})
