"""The fault-injecting proxy against a tiny real HTTP server on loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from tests.faults.proxy import FAULTS, FaultProxy


class ItemStore(BaseHTTPRequestHandler):
    """A minimal JSON API: ``POST /items`` appends, ``GET /items`` lists."""

    items: list[dict] = []
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _send(self, status: int, body: object) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("X-Upstream", "yes")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self):
        self._send(200, {"items": self.items, "path": self.path})

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        item = json.loads(self.rfile.read(length))
        self.items.append(item)
        self._send(201, {"created": item, "count": len(self.items)})


@pytest.fixture
def upstream() -> Iterator[str]:
    class Handler(ItemStore):
        items: list[dict] = []

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.handler_class = Handler  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def items(upstream: str) -> list[dict]:
    return httpx.get(f"{upstream}/items").json()["items"]


def test_forwards_requests_and_responses_unchanged(upstream):
    with FaultProxy(upstream, rate=0.0) as proxy, httpx.Client(base_url=proxy.url) as client:
        created = client.post("/items", json={"name": "Müller & Söhne <GmbH>"})
        listed = client.get("/items?page=2")
    assert created.status_code == 201 and created.headers["X-Upstream"] == "yes"
    assert created.json()["created"] == {"name": "Müller & Söhne <GmbH>"}
    assert listed.json() == {"items": [{"name": "Müller & Söhne <GmbH>"}], "path": "/items?page=2"}
    assert proxy.stats == {"forwarded": 2} and proxy.faults_injected == 0


def test_429_carries_retry_after_and_never_reaches_upstream(upstream):
    with FaultProxy(upstream, forced=["429"], retry_after=3) as proxy:
        response = httpx.post(f"{proxy.url}/items", json={"n": 1})
    assert response.status_code == 429 and response.headers["Retry-After"] == "3"
    assert items(upstream) == []


def test_500_never_reaches_upstream(upstream):
    with FaultProxy(upstream, forced=["500"]) as proxy:
        response = httpx.post(f"{proxy.url}/items", json={"n": 1})
    assert response.status_code == 500
    assert items(upstream) == []


def test_reset_before_forwarding_is_a_connection_error_and_writes_nothing(upstream):
    with FaultProxy(upstream, forced=["reset"]) as proxy, pytest.raises(httpx.TransportError):
        httpx.post(f"{proxy.url}/items", json={"n": 1})
    assert items(upstream) == []


def test_reset_after_forwarding_hides_a_write_that_happened(upstream):
    with FaultProxy(upstream, forced=["reset_after"]) as proxy, pytest.raises(httpx.TransportError):
        httpx.post(f"{proxy.url}/items", json={"n": 1})
    assert items(upstream) == [{"n": 1}]  # the client saw a failure; the write is there


def test_timeout_holds_the_request_until_the_client_gives_up(upstream):
    with FaultProxy(upstream, forced=["timeout"], hang_seconds=2.0) as proxy:
        with pytest.raises(httpx.ReadTimeout):
            httpx.get(f"{proxy.url}/items", timeout=0.3)
        assert proxy.stats["timeout"] == 1


def test_random_faults_follow_the_rate_and_the_seed(upstream):
    def outcomes(seed: int) -> list[str]:
        with FaultProxy(upstream, rate=0.4, seed=seed, faults=("429", "500")) as proxy:
            for n in range(200):
                httpx.get(f"{proxy.url}/items?n={n}")
            return [outcome for _m, _p, outcome in proxy.log]

    first, again = outcomes(11), outcomes(11)
    assert first == again  # reproducible
    faults = sum(1 for o in first if o != "forwarded")
    assert 50 <= faults <= 110  # about 40 % of 200
    assert {o for o in first} == {"forwarded", "429", "500"}


def test_pause_forwards_everything(upstream):
    with FaultProxy(upstream, rate=1.0, faults=("500",)) as proxy:
        proxy.pause()
        assert httpx.get(f"{proxy.url}/items").status_code == 200
        proxy.resume()
        assert httpx.get(f"{proxy.url}/items").status_code == 500
    assert proxy.stats == {"forwarded": 1, "500": 1}


def test_unknown_fault_kind_is_refused():
    with pytest.raises(ValueError, match="unknown fault kinds"):
        FaultProxy("http://127.0.0.1:1", faults=("boom",))
    assert set(FAULTS) == {"429", "500", "reset", "reset_after", "timeout"}
