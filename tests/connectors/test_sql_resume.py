"""A pull whose connection dies mid-stream resumes after the last record it yielded.

PostgreSQL behind a loopback proxy that cuts the first connection once it has carried a
few hundred kilobytes of rows: the connector must reconnect and continue from its
(timestamp, key) position — every row exactly once, in order.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from connectors.base import PullWindow
from connectors.sql import SqlConnector, SqlConnectorConfig
from mappings.spec import MappingSpec
from tests.conftest import need_service

ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROWS = 20_000

pytestmark = pytest.mark.postgres


class CuttingProxy:
    """Forwards to PostgreSQL; the first connection is cut after ``limit`` bytes from
    the server."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.cuts = 0
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            upstream = socket.create_connection(("127.0.0.1", 5432))
            cut = self.limit if self.connections == 1 else None
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, cut), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, cut: int | None) -> None:
        carried = 0
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
                carried += len(data)
                if cut is not None and carried >= cut:
                    self.cuts += 1
                    for end in (source, sink):
                        end.shutdown(socket.SHUT_RDWR)
                        end.close()
                    return
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def big_table() -> Iterator[str]:
    """``ROWS`` rows, four per timestamp, in a fresh PostgreSQL table."""
    engine = create_engine(ADMIN)
    name = f"crmsync_resume_{secrets.token_hex(4)}"
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(200), "
                    "changed TIMESTAMP)"
                )
            )
            conn.execute(
                text(
                    f"INSERT INTO {name} SELECT i, 'Kunde ' || i || ' Müller GmbH', "  # noqa: S608
                    "TIMESTAMP '2025-01-01' + (i / 4) * INTERVAL '1 second' "
                    "FROM generate_series(1, :n) AS i"
                ),
                {"n": ROWS},
            )
    except DBAPIError as exc:
        need_service("PostgreSQL on 127.0.0.1:5432", str(exc.orig).splitlines()[0])
    yield name
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    engine.dispose()


def test_a_connection_cut_mid_stream_resumes_after_the_last_record(big_table: str):
    proxy = CuttingProxy(limit=300_000)
    spec = MappingSpec.model_validate(
        {
            "system": "erp",
            "entity": "customer",
            "source": {"table": big_table, "primary_key": "id", "updated_at": "changed"},
            "inbound": {"name": "name"},
        }
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:{proxy.port}/test"
    config = SqlConnectorConfig(url=url, batch_size=500, retry_backoff_seconds=0.1)
    connector = SqlConnector("erp", config)
    try:
        ids = [int(r.source_id) for r in connector.pull(spec, PullWindow(None))]
    finally:
        connector.close()
        proxy.close()
    assert proxy.cuts == 1, "the stream was cut once"
    assert proxy.connections >= 2, "the connector reconnected"
    assert ids == list(range(1, ROWS + 1)), "every row exactly once, in order"
