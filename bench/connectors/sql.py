"""Pull (and upsert) throughput of the SQL connector on SQLite, PostgreSQL and MariaDB.

For each backend — SQLite file, PostgreSQL through psycopg, PostgreSQL through pyodbc and
psqlODBC, MariaDB through pyodbc and the MariaDB ODBC driver — seeds a table of
``--rows`` customer-like rows (integer key, texts with non-ASCII letters, a decimal, a
timestamp), then times, on the same table in the same run, each in its own process (so
peak RSS is that side's own):

* **connector** — ``SqlConnector.count`` + ``pull`` of the whole table (what the pull
  stage calls: reflection, the (timestamp, key) ordered query, JSON-safe payloads);
* **cursor loop** — the plain hand-written peer: the driver's own cursor, the same
  ordered ``SELECT``, ``fetchmany(1000)``, one dict per row with the same JSON-safe
  conversion (what a hand-written extract script does);
* **upsert** — ``SqlConnector.push`` of ``--push-rows`` updates and as many creates in
  batches of 1000 (one transaction and one upsert statement per chunk per batch).

A backend whose server or driver is missing is reported as skipped. Usage::

    python -m bench.connectors.sql [--rows 100000] [--push-rows 10000]
        [--backends sqlite postgresql-psycopg postgresql-odbc mariadb-odbc]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "out" / "connectors" / "sql.json"

BACKENDS = {
    "sqlite": "sqlite:///{folder}/source.db",
    "postgresql-psycopg": "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql-odbc": "postgresql+pyodbc://postgres@127.0.0.1:5432/test?driver=PostgreSQL+Unicode",
    "mariadb-odbc": "mariadb+pyodbc://root@127.0.0.1:3306/test?driver=MariaDB+Unicode",
}
RAW = {
    "postgresql-psycopg": "host=127.0.0.1 port=5432 dbname=test user=postgres",
    "postgresql-odbc": "DRIVER={PostgreSQL Unicode};Server=127.0.0.1;Port=5432;Database=test;"
    "UID=postgres;UseServerSidePrepare=0;BoolsAsChar=0",
    "mariadb-odbc": "DRIVER={MariaDB Unicode};Server=127.0.0.1;Port=3306;Database=test;UID=root",
}
CITIES = ("Köln", "Genève", "Zürich", "上海", "Łódź", "Porto", "São Paulo", "Reykjavík")

# The timed sides run in child processes (``python -m bench.connectors.sql --side ...``).


def _spec(table: str) -> Any:
    from mappings.spec import MappingSpec

    return MappingSpec.model_validate(
        {
            "system": "bench_sql",
            "entity": "customer",
            "source": {"table": table, "primary_key": "id", "updated_at": "changed"},
            "inbound": {"name": "name", "email": "email", "bill_to.city": "city"},
            "outbound": {
                "golden_id_column": "gid",
                "updated_at_column": "changed",
                "fields": {"name": "name", "email": "email", "city": "bill_to.city"},
            },
        }
    )


def _connector_side(url: str, table: str) -> int:
    from bench.connectors._pull import count_and_pull
    from connectors.sql import SqlConnector, SqlConnectorConfig

    connector = SqlConnector("bench_sql", SqlConnectorConfig(url=url))
    return count_and_pull(connector, _spec(table), "rows")


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _cursor_side(backend: str, url: str, table: str) -> int:
    if backend == "sqlite":
        connection: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
    elif backend == "postgresql-psycopg":
        import psycopg

        connection = psycopg.connect(RAW[backend])
    else:
        import pyodbc

        connection = pyodbc.connect(RAW[backend])
    count = 0
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT * FROM {table} ORDER BY changed, id")  # noqa: S608
        columns = [d[0] for d in cursor.description]
        while rows := cursor.fetchmany(1000):
            for row in rows:
                record = {c: _plain(v) for c, v in zip(columns, row, strict=True)}
                count += record["id"] is not None
    finally:
        connection.close()
    return count


def _upsert_side(url: str, table: str, rows: int) -> int:
    from connectors.base import PushRow
    from connectors.sql import SqlConnector, SqlConnectorConfig

    connector = SqlConnector("bench_sql", SqlConnectorConfig(url=url))
    spec = _spec(table)
    batch: list[PushRow] = []
    written = 0
    try:
        for i in range(rows):
            values = {"name": f"Updated {i}", "email": f"u{i}@bench.example", "city": "Lyon"}
            batch.append(PushRow(str(i + 1), values, create=False))
            new = {"name": f"New {i}", "email": f"n{i}@bench.example", "city": "Gent"}
            batch.append(PushRow(str(10_000_000 + i), new, create=True))
            if len(batch) >= 1000:
                result = connector.push(spec, batch)
                written += result.created + result.updated
                batch = []
        if batch:
            result = connector.push(spec, batch)
            written += result.created + result.updated
    finally:
        connector.close()
    return written


def _run_side(argv: list[str]) -> None:
    side, backend, url, table, rows = argv
    # Imports are not part of the work timed (the pull stage has them loaded already).
    import connectors.sql  # noqa: F401
    import mappings.spec  # noqa: F401

    if backend == "postgresql-psycopg":
        import psycopg  # noqa: F401
    elif backend != "sqlite":
        import pyodbc  # noqa: F401
    started = time.perf_counter()
    if side == "connector":
        records = _connector_side(url, table)
    elif side == "cursor":
        records = _cursor_side(backend, url, table)
    else:
        records = _upsert_side(url, table, int(rows))
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"records": records, "seconds": seconds, "peak_rss_mb": round(peak, 1)}))


def _timed_child(side: str, backend: str, url: str, table: str, rows: int) -> dict[str, Any]:
    """Run one side in a child process; return its records, seconds and peak RSS."""
    command = [sys.executable, "-m", "bench.connectors.sql", "--side", side, backend, url, table]
    process = subprocess.Popen(
        [*command, str(rows)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    stdout, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{side} on {backend} failed: {stderr.strip().splitlines()[-1:]}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    return result


def _seed(backend: str, url: str, table: str, rows: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    stamp = "TEXT" if backend == "sqlite" else "TIMESTAMP" if "postgres" in backend else "DATETIME"
    with engine.begin() as conn:
        conn.execute(
            text(
                f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, name VARCHAR(200), "
                f"email VARCHAR(200), city VARCHAR(100), country CHAR(2), "
                f"credit_limit DECIMAL(14,2), changed {stamp}, gid VARCHAR(40))"
            )
        )
    start = datetime(2025, 1, 1, tzinfo=UTC).replace(tzinfo=None)
    insert = text(
        f"INSERT INTO {table} (id, name, email, city, country, credit_limit, changed) "  # noqa: S608
        "VALUES (:i, :n, :e, :c, :k, :l, :t)"
    )
    chunk = 5000
    for offset in range(0, rows, chunk):
        values = [
            {
                "i": i + 1,
                "n": f"Bench Kunde {i:07d} GmbH & Co. KG",
                "e": f"info{i}@bench.example",
                "c": CITIES[i % len(CITIES)],
                "k": "DE",
                "l": f"{1000 + i % 90000}.50",
                # Several rows share each timestamp, as in real extracts.
                "t": (start + timedelta(seconds=i // 4)).isoformat(sep=" "),
            }
            for i in range(offset, min(rows, offset + chunk))
        ]
        with engine.begin() as conn:
            conn.execute(insert, values)
    engine.dispose()


def _drop(url: str, table: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
    engine.dispose()


def _available(backend: str, url: str) -> str | None:
    """None when the backend can be used; otherwise why not."""
    from sqlalchemy import create_engine, text

    import connectors.odbc  # noqa: F401 - registers postgresql+pyodbc

    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip and say why
        return " ".join(str(exc).split())[:160]
    return None


def run_benchmark(rows: int, push_rows: int, backends: list[str]) -> dict[str, Any]:
    """Seed, time every side of every backend; return the results by backend."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="crmsync-bench-sql-") as folder:
        sqlite3.connect(Path(folder) / "source.db").close()
        for backend in backends:
            url = BACKENDS[backend].format(folder=folder)
            problem = _available(backend, url)
            if problem:
                results[backend] = {"skipped": problem}
                print(f"{backend}: skipped ({problem})", file=sys.stderr)
                continue
            table = f"crmsync_bench_{secrets.token_hex(4)}"
            started = time.perf_counter()
            _seed(backend, url, table, rows)
            seeded = time.perf_counter() - started
            print(f"{backend}: seeded {rows} rows in {seeded:.1f} s", file=sys.stderr)
            try:
                sides = {}
                for side in ("connector", "cursor", "upsert"):
                    outcome = _timed_child(side, backend, url, table, push_rows)
                    outcome["records_per_second"] = round(outcome["records"] / outcome["seconds"])
                    outcome["seconds"] = round(outcome["seconds"], 2)
                    sides[side] = outcome
                    print(f"{backend} {side}: {outcome}", file=sys.stderr)
                results[backend] = {"seed_seconds": round(seeded, 1), **sides}
            finally:
                _drop(url, table)
    return results


def render(rows: int, results: dict[str, Any]) -> str:
    """The results as a text table."""
    lines = [
        f"SQL connector throughput, {rows} rows per table (pull: whole table; "
        "upsert: batches of 1000)",
        f"{'backend':<20}{'side':<11}{'records':>9}{'seconds':>9}{'records/s':>11}{'peak MB':>9}",
    ]
    for backend, sides in results.items():
        if "skipped" in sides:
            lines.append(f"{backend:<20}skipped: {sides['skipped']}")
            continue
        for side in ("connector", "cursor", "upsert"):
            o = sides[side]
            lines.append(
                f"{backend:<20}{side:<11}{o['records']:>9}{o['seconds']:>9.2f}"
                f"{o['records_per_second']:>11}{o['peak_rss_mb']:>9.0f}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the SQL benchmark (or, with ``--side``, one timed side in this process)."""
    args_list = sys.argv[1:] if argv is None else argv
    if args_list[:1] == ["--side"]:
        _run_side(args_list[1:])
        return 0
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--push-rows", type=int, default=10_000)
    parser.add_argument("--backends", nargs="+", choices=list(BACKENDS), default=list(BACKENDS))
    args = parser.parse_args(args_list)
    results = run_benchmark(args.rows, args.push_rows, args.backends)
    print(render(args.rows, results))
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({"rows": args.rows, "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    raise SystemExit(main())
