"""The connector benchmark runs end to end on a small SQLite table (no server needed)."""

from __future__ import annotations

from bench.connectors import peer_benchmarks
from bench.connectors.sql import render, run_benchmark


def test_sql_benchmark_on_sqlite():
    results = run_benchmark(rows=300, push_rows=50, backends=["sqlite"])
    sides = results["sqlite"]
    assert sides["connector"]["records"] == sides["cursor"]["records"] == 300
    assert sides["upsert"]["records"] == 100  # 50 updates + 50 creates
    assert all(sides[s]["peak_rss_mb"] > 0 for s in ("connector", "cursor", "upsert"))
    assert "sqlite" in render(300, results)


def test_peer_benchmarks_are_registered_by_module():
    assert {"bottlecrm", "tryton"} <= set(peer_benchmarks())
    assert "sql" not in peer_benchmarks()
