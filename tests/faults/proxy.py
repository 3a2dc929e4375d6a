"""A fault-injecting HTTP proxy on loopback, for proving connectors and publish under faults.

It forwards every request to one real upstream server and, at random (seeded), answers
instead with one of the faults a SaaS API or a network produces:

* ``429`` — Too Many Requests with ``Retry-After`` (the request never reached upstream);
* ``500`` — Internal Server Error (never reached upstream);
* ``reset`` — the connection is reset (TCP RST) before forwarding;
* ``reset_after`` — the request *is* forwarded and executed upstream, then the connection
  is reset before the response: the client cannot know its write happened (the case that
  makes non-idempotent retries create duplicates);
* ``timeout`` — no answer until the client gives up (held for ``hang_seconds``).

Usage::

    with FaultProxy("http://127.0.0.1:8000", rate=0.2, seed=7) as proxy:
        client = httpx.Client(base_url=proxy.url)
        ...
    proxy.stats  # Counter of faults injected and requests forwarded
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

FAULTS = ("429", "500", "reset", "reset_after", "timeout")
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailers",
    "transfer-encoding",
    "upgrade",
    "content-length",
}


class FaultProxy:
    """A loopback HTTP proxy that forwards to ``upstream`` and injects faults at random."""

    def __init__(
        self,
        upstream: str,
        *,
        rate: float = 0.2,
        seed: int = 0,
        faults: Sequence[str] = FAULTS,
        retry_after: int = 1,
        hang_seconds: float = 5.0,
        forced: Sequence[str] = (),
    ) -> None:
        """Configure the proxy (it starts on ``start()`` or entering the ``with`` block).

        Args:
            upstream: Base URL of the real server (``http://host:port``).
            rate: Probability that a request gets a fault instead of a plain forward.
            seed: Seed of the fault choice (same seed, same request order: same faults).
            faults: The fault kinds to choose from.
            retry_after: Seconds sent in ``Retry-After`` with a 429.
            hang_seconds: How long a ``timeout`` fault holds the request.
            forced: Faults for the first requests, in order, before random ones (tests).
        """
        unknown = set(faults) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http://host:port URL, not {upstream!r}")
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.rate = rate
        self.faults = tuple(faults)
        self.retry_after = retry_after
        self.hang_seconds = hang_seconds
        self.stats: Counter[str] = Counter()
        self.log: list[tuple[str, str, str]] = []  # (method, path, outcome)
        self._forced = list(forced)
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._enabled = True
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The proxy's base URL (``http://127.0.0.1:<port>``)."""
        if self._server is None:
            raise RuntimeError("the proxy is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def faults_injected(self) -> int:
        """How many requests got a fault."""
        return sum(n for kind, n in self.stats.items() if kind != "forwarded")

    def pause(self) -> None:
        """Forward everything without faults until ``resume()``."""
        self._enabled = False

    def resume(self) -> None:
        """Inject faults again."""
        self._enabled = True

    def choose(self) -> str:
        """Return the outcome of the next request: a fault kind or ``forwarded``."""
        with self._lock:
            if self._forced:
                outcome = self._forced.pop(0)
            elif self._enabled and self._random.random() < self.rate:
                outcome = self._random.choice(self.faults)
            else:
                outcome = "forwarded"
            self.stats[outcome] += 1
            return outcome

    def start(self) -> FaultProxy:
        """Listen on a free loopback port and serve in a background thread."""
        proxy = self

        class Handler(_ProxyHandler):
            owner = proxy

        self._server = _QuietServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A connection we reset on purpose is not an error worth a traceback."""


class _ProxyHandler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Silence the default per-request stderr line."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        outcome = self.owner.choose()
        self.owner.log.append((self.command, self.path, outcome))
        if outcome == "429":
            self._answer(
                429, b'{"detail": "rate limited"}', {"Retry-After": str(self.owner.retry_after)}
            )
        elif outcome == "500":
            self._answer(500, b'{"detail": "injected server error"}')
        elif outcome == "reset":
            self._reset()
        elif outcome == "timeout":
            time.sleep(self.owner.hang_seconds)
            self._reset()
        else:
            status, headers, payload = self._forward(body)
            if outcome == "reset_after":
                self._reset()
                return
            self._answer(status, payload, headers)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle  # noqa: N815

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection(
            self.owner.upstream_host, self.owner.upstream_port, timeout=120
        )
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["Host"] = f"{self.owner.upstream_host}:{self.owner.upstream_port}"
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return response.status, kept, payload
        finally:
            connection.close()

    def _answer(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            if name.lower() not in ("server", "date"):
                self.send_header(name, value)
        if not headers or not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped network does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
