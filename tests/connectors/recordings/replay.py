"""Replay recorded HTTP exchanges through httpx.MockTransport, checking every request.

A recording is a JSON file ``{"description", "source", "exchanges": [...]}``; each exchange
has a ``request`` the connector must send next (``method``, ``path``, optional ``query``
(exact), ``json`` (exact), ``form`` (these fields), ``body_file`` (exact text), ``headers``
(these headers)) and the ``response`` to give (``status``, ``headers``, ``json`` or
``body_file`` or ``text``). Requests are matched strictly in order: a missing, extra or
different request fails the test with both sides shown.

The recordings under this folder were written by hand from the public API documentation
(cited in each file's ``source``); they were not captured from a live org or portal.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

HERE = Path(__file__).parent


class Replay:
    """A transport serving one recording and asserting the requests match it."""

    def __init__(self, system: str, name: str) -> None:
        self.folder = HERE / system
        data = json.loads((self.folder / f"{name}.json").read_text(encoding="utf-8"))
        assert "documentation" in data["source"], "say where the recording comes from"
        self.exchanges: list[dict[str, Any]] = data["exchanges"]
        self.position = 0
        self.transport = httpx.MockTransport(self._serve)

    def _file(self, name: str) -> str:
        return (self.folder / name).read_text(encoding="utf-8")

    def _serve(self, request: httpx.Request) -> httpx.Response:
        seen = f"{request.method} {request.url}"
        assert self.position < len(self.exchanges), f"unexpected extra request {seen}"
        exchange = self.exchanges[self.position]
        self.position += 1
        expected = exchange["request"]
        where = f"exchange {self.position} ({expected['method']} {expected['path']})"
        assert request.method == expected["method"], f"{where}: got {seen}"
        assert request.url.path == expected["path"], f"{where}: got {seen}"
        query = {
            k: v if len(v) > 1 else v[0] for k, v in parse_qs(request.url.query.decode()).items()
        }
        assert query == expected.get("query", {}), f"{where}: query {query}"
        if "json" in expected:
            assert json.loads(request.content) == expected["json"], (
                f"{where}: body {request.content.decode()}"
            )
        if "form" in expected:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            for key, value in expected["form"].items():
                assert form.get(key) == value, f"{where}: form field {key}={form.get(key)!r}"
        if "body_file" in expected:
            assert request.content.decode() == self._file(expected["body_file"]), (
                f"{where}: body {request.content.decode()!r}"
            )
        for key, value in expected.get("headers", {}).items():
            assert request.headers.get(key) == value, f"{where}: header {key}"
        answer = exchange["response"]
        headers = dict(answer.get("headers", {}))
        if "json" in answer:
            return httpx.Response(answer["status"], headers=headers, json=answer["json"])
        if "body_file" in answer:
            return httpx.Response(
                answer["status"], headers=headers, text=self._file(answer["body_file"])
            )
        return httpx.Response(answer["status"], headers=headers, text=answer.get("text", ""))

    def assert_done(self) -> None:
        """Fail unless every recorded request was made."""
        missing = [
            f"{e['request']['method']} {e['request']['path']}"
            for e in self.exchanges[self.position :]
        ]
        assert not missing, f"requests never made: {missing}"
