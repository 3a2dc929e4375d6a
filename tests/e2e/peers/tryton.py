"""A real Tryton 8.2 ERP on loopback for the end-to-end tests, and a JSON-RPC helper.

First use (about half a minute): build the venv ``.state/peers/tryton-venv`` from
``requirements-tryton.lock``, create a SQLite database with the sales modules, do the
minimal company / chart of accounts / fiscal year / product category set-up over
JSON-RPC, and snapshot the file under ``.state/peers/tryton-snapshot/``. Every later
start restores that snapshot (well under a second) and boots ``trytond`` on a free port.

By hand::

    python -m tests.e2e.peers.tryton start    # prints URL and credentials as JSON
    python -m tests.e2e.peers.tryton status
    python -m tests.e2e.peers.tryton stop
"""

from __future__ import annotations

import base64
import datetime as dt
import itertools
import json
import os
import shutil
import sys
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from connectors.tryton.codec import decode, encode
from tests.e2e.peers import common

DATABASE = "crmsync"
ADMIN_LOGIN = "admin"
ADMIN_PASSWORD = "crmsync-e2e-admin"  # noqa: S105 - a throwaway local test database
MODULES = [
    "party",
    "company",
    "currency",
    "product",
    "account",
    "account_invoice",
    "stock",
    "sale",
    "sale_opportunity",
    "sale_credit_limit",
    "product_cost_history",
]
SETUP_VERSION = "1"
"""Bump when :func:`seed_minimal` changes, so old snapshots are rebuilt."""

LOCK = common.PEERS_DIR / "requirements-tryton.lock"
VENV = common.STATE / "tryton-venv"
SNAPSHOT_DIR = common.STATE / "tryton-snapshot"
SNAPSHOT = SNAPSHOT_DIR / f"{DATABASE}.sqlite"
SNAPSHOT_META = SNAPSHOT_DIR / "meta.json"
RUN_DIR = common.STATE / "tryton-run"
"""Default runtime folder (database copy, config, pid file, log) for the CLI."""


# --------------------------------------------------------------------------- JSON-RPC


class TrytonError(RuntimeError):
    """An error answered by the server (HTTP 200 with an ``error`` member).

    Attributes:
        kind: Tryton's exception name, e.g. ``"UserError"`` or ``"UserWarning"``.
        details: the exception arguments as sent (for ``UserWarning`` the key first).
    """

    def __init__(self, kind: str, details: list[Any]) -> None:
        self.kind = kind
        self.details = details
        super().__init__(f"{kind}: {details}")


class TrytonClient:
    """A logged-in JSON-RPC session on one Tryton database.

    Args:
        base_url: server root, e.g. ``http://127.0.0.1:8000``.
        database: database name (the ``<db>`` of ``/<db>/rpc/``).
        login: user login.
        password: user password.
        timeout: seconds per HTTP request.

    Raises:
        TrytonError: the login was refused.
    """

    def __init__(
        self, base_url: str, database: str, login: str, password: str, timeout: float = 60
    ) -> None:
        self.url = f"{base_url.rstrip('/')}/{database}/rpc/"
        self._ids = itertools.count(1)
        self.http = httpx.Client(timeout=timeout)
        result = self.rpc("common.db.login", login, {"password": password}, "en")
        if not result:
            raise TrytonError("LoginError", [login])
        self.user_id, session = int(result[0]), str(result[1])
        token = base64.b64encode(f"{login}:{self.user_id}:{session}".encode()).decode()
        self.http.headers["Authorization"] = f"Session {token}"
        self.context: dict[str, Any] = {}
        self.refresh_context()

    def __enter__(self) -> TrytonClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.http.close()

    def rpc(self, method: str, *params: Any) -> Any:
        """Call a database method by its full name; params are sent as given.

        Raises:
            TrytonError: the server answered an ``error``.
            httpx.HTTPStatusError: non-2xx answer (401 for a bad session).
        """
        body = json.dumps({"id": next(self._ids), "method": method, "params": encode(params)})
        response = self.http.post(
            self.url, content=body, headers={"Content-Type": "application/json"}
        )
        response.raise_for_status()
        payload = json.loads(response.content, object_hook=decode)
        error = payload.get("error")
        if error:
            if isinstance(error, list) and len(error) == 2:
                raise TrytonError(str(error[0]), list(error[1] or []))
            raise TrytonError("Error", [error])
        return payload.get("result")

    def call(
        self, model: str, method: str, *args: Any, context: dict[str, Any] | None = None
    ) -> Any:
        """Call ``model.<model>.<method>(*args, <context>)``.

        Args:
            model: e.g. ``"party.party"``.
            method: e.g. ``"create"``, ``"search_read"``, ``"write"`` or a button.
            *args: positional arguments, without the context.
            context: keys merged over the user's context.
        """
        return self.rpc(f"model.{model}.{method}", *args, {**self.context, **(context or {})})

    def refresh_context(self) -> dict[str, Any]:
        """Reload the user's context (``company`` etc.) from ``get_preferences``."""
        self.context = dict(self.rpc("model.res.user.get_preferences", True, {}))
        return self.context

    def wizard(
        self,
        name: str,
        steps: list[tuple[str, dict[str, Any], str]],
        context: dict[str, Any] | None = None,
    ) -> list[Any]:
        """Run a wizard: create, ``execute`` each step, delete.

        Args:
            name: wizard name, e.g. ``"account.create_chart"``.
            steps: ``(state, values, button)`` triples: ``values`` are submitted as the
                view of ``state`` (``state`` may be ``""`` to submit nothing) and
                ``button`` is the state to go to.
            context: keys merged over the user's context.

        Returns:
            Each ``execute`` result (they carry the next view's defaults).
        """
        ctx = {**self.context, **(context or {})}
        sid = self.rpc(f"wizard.{name}.create", ctx)[0]
        results = []
        try:
            for state, values, button in steps:
                data = {state: values} if state else {}
                results.append(self.rpc(f"wizard.{name}.execute", sid, data, button, ctx))
        finally:
            self.rpc(f"wizard.{name}.delete", sid, ctx)
        return results

    def find_one(self, model: str, domain: list[Any]) -> int:
        """Return the id of the single record of ``model`` matching ``domain``.

        Raises:
            TrytonError: no record matches.
        """
        ids = self.call(model, "search", domain, 0, 1, None)
        if not ids:
            raise TrytonError("NotFound", [model, domain])
        return int(ids[0])


def server_version(base_url: str, timeout: float = 5) -> str:
    """Return ``common.server.version`` of the server at ``base_url``."""
    response = httpx.post(
        f"{base_url.rstrip('/')}/rpc/",
        json={"id": 0, "method": "common.server.version", "params": []},
        timeout=timeout,
    )
    response.raise_for_status()
    return str(response.json()["result"])


# --------------------------------------------------------------------------- set-up


def seed_minimal(rpc: TrytonClient, today: dt.date | None = None) -> dict[str, int]:
    """Make an empty database able to take sales: currency, company, chart, years, category.

    Args:
        rpc: a client logged in as admin.
        today: the date whose year (and the next) get fiscal years.

    Returns:
        Ids of what was created: ``currency``, ``company``, ``category``, ``receivable``,
        ``payable``, ``revenue``, ``expense``.
    """
    today = today or dt.date.today()
    currency = rpc.call(
        "currency.currency",
        "create",
        [
            {
                "name": "Euro",
                "code": "EUR",
                "symbol": "€",
                "numeric_code": "978",
                "rounding": Decimal("0.01"),
                "digits": 2,
                "rates": [["create", [{"date": dt.date(2000, 1, 1), "rate": Decimal(1)}]]],
            }
        ],
    )[0]
    party = rpc.call("party.party", "create", [{"name": "Crmsync E2E Company"}])[0]
    company = rpc.call("company.company", "create", [{"party": party, "currency": currency}])[0]
    rpc.call(
        "res.user", "write", [rpc.user_id], {"companies": [["add", [company]]], "company": company}
    )
    rpc.refresh_context()
    if rpc.context.get("company") != company:
        raise common.PeerError(f"admin context has no company after set-up: {rpc.context}")

    # ir.model.data is not readable over RPC (403): find the records by name.
    template = rpc.find_one(
        "account.account.template",
        [["name", "=", "Universal Chart of Accounts"], ["parent", "=", None]],
    )
    accounts = _chart(rpc, company, template)

    move_type = rpc.find_one("ir.sequence.type", [["name", "=", "Account Move"]])
    invoice_type = rpc.find_one("ir.sequence.type", [["name", "=", "Invoice"]])
    for year in (today.year - 1, today.year, today.year + 1):
        move_seq, invoice_seq = rpc.call(
            "ir.sequence.strict",
            "create",
            [
                {"name": f"Moves {year}", "sequence_type": move_type, "company": company},
                {"name": f"Invoices {year}", "sequence_type": invoice_type, "company": company},
            ],
        )
        fiscalyear = rpc.call(
            "account.fiscalyear",
            "create",
            [
                {
                    "name": str(year),
                    "company": company,
                    "move_sequence": move_seq,
                    "start_date": dt.date(year, 1, 1),
                    "end_date": dt.date(year, 12, 31),
                    "invoice_sequences": [
                        [
                            "create",
                            [
                                {
                                    "company": company,
                                    "out_invoice_sequence": invoice_seq,
                                    "out_credit_note_sequence": invoice_seq,
                                    "in_invoice_sequence": invoice_seq,
                                    "in_credit_note_sequence": invoice_seq,
                                }
                            ],
                        ]
                    ],
                }
            ],
        )[0]
        rpc.call("account.fiscalyear", "create_period", [fiscalyear])

    category = rpc.call(
        "product.category",
        "create",
        [
            {
                "name": "Goods",
                "accounting": True,
                "account_revenue": accounts["revenue"],
                "account_expense": accounts["expense"],
            }
        ],
    )[0]
    return {"currency": currency, "company": company, "category": category, **accounts}


def _first_account(rpc: TrytonClient, company: int, *domain: list[Any]) -> int:
    ids = rpc.call(
        "account.account",
        "search",
        [["company", "=", company], ["closed", "!=", True], *domain],
        0,
        1,
        [["code", "ASC"], ["id", "ASC"]],
    )
    if not ids:
        raise common.PeerError(f"no account matching {domain} in the new chart")
    return int(ids[0])


def _chart(rpc: TrytonClient, company: int, template: int) -> dict[str, int]:
    """Create the chart of accounts and its default accounts; return their ids."""
    sid = rpc.rpc("wizard.account.create_chart.create", rpc.context)[0]
    try:
        rpc.rpc("wizard.account.create_chart.execute", sid, {}, "account", rpc.context)
        rpc.rpc(
            "wizard.account.create_chart.execute",
            sid,
            {"account": {"company": company, "account_template": template}},
            "create_account",
            rpc.context,
        )
        accounts = {
            "receivable": _first_account(
                rpc, company, ["type.receivable", "=", True], ["party_required", "=", True]
            ),
            "payable": _first_account(
                rpc, company, ["type.payable", "=", True], ["party_required", "=", True]
            ),
            "revenue": _first_account(rpc, company, ["type.revenue", "=", True]),
            "expense": _first_account(rpc, company, ["type.expense", "=", True]),
        }
        rpc.rpc(
            "wizard.account.create_chart.execute",
            sid,
            {
                "properties": {
                    "company": company,
                    "account_receivable": accounts["receivable"],
                    "account_payable": accounts["payable"],
                    "category_account_revenue": accounts["revenue"],
                    "category_account_expense": accounts["expense"],
                }
            },
            "create_properties",
            rpc.context,
        )
    finally:
        rpc.rpc("wizard.account.create_chart.delete", sid, rpc.context)
    return accounts


# --------------------------------------------------------------------------- server


@dataclass
class TrytonServer:
    """A running Tryton: where it is and how to log in.

    Attributes:
        url: server root, e.g. ``http://127.0.0.1:41234``.
        database: database name.
        login: admin login.
        password: admin password.
        pid: process-group id of ``trytond``.
        run_dir: folder with the database copy, config, pid file and log.
    """

    url: str
    database: str
    login: str
    password: str
    pid: int
    run_dir: Path

    @property
    def rpc_url(self) -> str:
        """The database's JSON-RPC endpoint."""
        return f"{self.url}/{self.database}/rpc/"

    def client(self) -> TrytonClient:
        """Log in as admin and return a JSON-RPC client (close it after use)."""
        return TrytonClient(self.url, self.database, self.login, self.password)

    def stop(self) -> None:
        """Stop the server's process group."""
        common.stop_process(self.run_dir / "trytond.pid")


def _write_config(run_dir: Path, port: int) -> Path:
    data = run_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    config = run_dir / "trytond.conf"
    config.write_text(
        f"[database]\nuri = sqlite://\npath = {data}\n\n"
        f"[web]\nlisten = 127.0.0.1:{port}\n\n"
        "[session]\ntimeout = 86400\n"
    )
    return config


def _env(config: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYTON")}
    env["TRYTOND_CONFIG"] = str(config)
    env.pop("PYTHONPATH", None)
    return env


def _boot(run_dir: Path, bin_dir: Path) -> TrytonServer:
    port = common.free_port()
    config = _write_config(run_dir, port)
    proc = common.start_process(
        [str(bin_dir / "trytond"), "-c", str(config), "-d", DATABASE],
        env=_env(config),
        pid_file=run_dir / "trytond.pid",
        log_file=run_dir / "trytond.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        common.wait_http(
            f"{url}/rpc/",
            method="POST",
            proc=proc.popen,
            timeout=60,
            json_body={"id": 0, "method": "common.server.version", "params": []},
        )
    except common.PeerError as exc:
        common.stop_process(proc.pid_file)
        raise common.PeerError(f"trytond did not start: {exc}; see {proc.log_file}") from exc
    return TrytonServer(url, DATABASE, ADMIN_LOGIN, ADMIN_PASSWORD, proc.pid, run_dir)


def _snapshot_key() -> dict[str, str]:
    return {"lock": common.sha256_file(LOCK), "setup": SETUP_VERSION}


def ensure_snapshot() -> None:
    """Build the venv and the seeded database snapshot unless both are current."""
    with common.file_lock(common.STATE / "tryton.lock"):
        bin_dir = common.ensure_venv(VENV, "3.11", LOCK)
        if (
            SNAPSHOT.exists()
            and SNAPSHOT_META.exists()
            and json.loads(SNAPSHOT_META.read_text()) == _snapshot_key()
        ):
            return
        started = time.monotonic()
        build = common.STATE / "tryton-build"
        if build.exists():
            shutil.rmtree(build)
        config = _write_config(build, common.free_port())
        db_file = build / "data" / f"{DATABASE}.sqlite"
        db_file.touch()
        pass_file = build / "admin.pass"
        pass_file.write_text(ADMIN_PASSWORD + "\n")
        common.log("initialising the Tryton database (trytond-admin, ~20 s)")
        common.run(
            [
                str(bin_dir / "trytond-admin"),
                "-c",
                str(config),
                "-d",
                DATABASE,
                "--email",
                "admin@example.com",
                "-u",
                *MODULES,
                "--activate-dependencies",
            ],
            env={**_env(config), "TRYTONPASSFILE": str(pass_file)},
        )
        server = _boot(build, bin_dir)
        try:
            with server.client() as rpc:
                seed_minimal(rpc)
        except (TrytonError, httpx.HTTPError) as exc:
            raise common.PeerError(f"Tryton set-up over JSON-RPC failed: {exc}") from exc
        finally:
            server.stop()
        common.snapshot(db_file, SNAPSHOT)
        SNAPSHOT_META.write_text(json.dumps(_snapshot_key()))
        shutil.rmtree(build)
        common.log(f"Tryton snapshot ready in {time.monotonic() - started:.1f} s")


def start(run_dir: Path = RUN_DIR) -> TrytonServer:
    """Restore the snapshot into ``run_dir`` and start ``trytond`` on a free port.

    Any server still recorded in ``run_dir`` is stopped first.

    Raises:
        common.PeerError: set-up or start failed (the message says why).
    """
    ensure_snapshot()
    common.stop_process(run_dir / "trytond.pid")
    common.restore(SNAPSHOT, run_dir / "data" / f"{DATABASE}.sqlite")
    server = _boot(run_dir, VENV / "bin")
    (run_dir / "server.json").write_text(json.dumps(asdict(server), default=str))
    return server


def status(run_dir: Path = RUN_DIR) -> dict[str, Any] | None:
    """Describe the server recorded in ``run_dir`` (with RSS), or None if not running."""
    return common.describe_server(
        run_dir, "trytond.pid", lambda url: {"version": server_version(url)}
    )


def main(argv: list[str] | None = None) -> int:
    """CLI: ``python -m tests.e2e.peers.tryton start|stop|status|init``."""
    return common.peer_cli(
        "tryton",
        argv if argv is not None else sys.argv[1:],
        init=ensure_snapshot,
        start=start,
        pid_file=RUN_DIR / "trytond.pid",
        status=status,
    )


if __name__ == "__main__":
    sys.exit(main())
