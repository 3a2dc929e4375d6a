"""Session fixtures starting the real peers: Tryton (ERP) and BottleCRM (CRM).

End-to-end tests are marked ``e2e`` and run only with ``CRMSYNC_E2E=1``; otherwise
they are skipped with the reason. With ``CRMSYNC_E2E=1`` a peer that cannot be set up
fails the tests that need it with a one-line cause.

Each session restores the peers' database snapshots into a fresh temporary folder, so
sessions never see each other's data (the first session ever builds the venvs and
snapshots under ``.state/peers/``; see ``tests/e2e/peers/README.md``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn, Protocol, TypeVar

import pytest

from tests.e2e.peers import bottlecrm, common, tryton

E2E = os.environ.get("CRMSYNC_E2E") == "1"


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``e2e`` marker (harmless if pyproject registers it too)."""
    config.addinivalue_line("markers", "e2e: end-to-end test against real peers (CRMSYNC_E2E=1)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark every test under ``tests/e2e`` as ``e2e``; skip them unless CRMSYNC_E2E=1."""
    skip = pytest.mark.skip(reason="end-to-end test against real peers: set CRMSYNC_E2E=1")
    here = os.path.dirname(__file__)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(pytest.mark.e2e)
            if not E2E:
                item.add_marker(skip)


def _fail(peer: str, exc: BaseException) -> NoReturn:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    pytest.fail(f"{peer} peer could not be set up: {first}", pytrace=False)


class _Server(Protocol):
    url: str
    pid: int

    def stop(self) -> None: ...


ServerT = TypeVar("ServerT", bound=_Server)


def _serve(label: str, start: Callable[[Path], ServerT], folder: Path) -> Iterator[ServerT]:
    """Start one peer (or skip / fail with one line), yield it, stop it at the end."""
    if not E2E:
        pytest.skip("end-to-end test against real peers: set CRMSYNC_E2E=1")
    started = time.monotonic()
    try:
        server = start(folder)
    except (common.PeerError, OSError, ValueError, KeyError) as exc:
        cause: BaseException | None = exc
    else:
        cause = None
    if cause is not None:
        _fail(label, cause)
    common.log(f"{label} up at {server.url} in {time.monotonic() - started:.1f} s")
    try:
        yield server
    finally:
        common.log(f"{label} RSS at teardown: {common.group_rss_mb(server.pid):.0f} MB")
        server.stop()


@pytest.fixture(scope="session")
def tryton_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tryton.TrytonServer]:
    """A running Tryton 8.2 on 127.0.0.1 with the minimal accounting set-up.

    Yields:
        :class:`~tests.e2e.peers.tryton.TrytonServer` (``url``, ``database``, ``login``,
        ``password``; ``client()`` returns a logged-in JSON-RPC client).
    """
    yield from _serve("Tryton", tryton.start, tmp_path_factory.mktemp("tryton"))


@pytest.fixture(scope="session")
def bottlecrm_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[bottlecrm.BottleCrmServer]:
    """A running BottleCRM on 127.0.0.1 with an org and an ADMIN's access token.

    Yields:
        :class:`~tests.e2e.peers.bottlecrm.BottleCrmServer` (``url``, ``token``,
        ``org_id``, ``email``; ``client()`` returns an httpx client on ``/api/``).
    """
    yield from _serve("BottleCRM", bottlecrm.start, tmp_path_factory.mktemp("bottlecrm"))


@pytest.fixture(scope="module")
def fresh_tryton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tryton.TrytonServer]:
    """A Tryton of this test module's own (restored from the snapshot, nobody else's data)."""
    yield from _serve("Tryton", tryton.start, tmp_path_factory.mktemp("tryton-own"))


@pytest.fixture(scope="module")
def fresh_bottlecrm(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[bottlecrm.BottleCrmServer]:
    """A BottleCRM of this test module's own (restored from the snapshot)."""
    yield from _serve("BottleCRM", bottlecrm.start, tmp_path_factory.mktemp("bottlecrm-own"))
