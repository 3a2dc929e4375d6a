"""Crash safety of publish: ``crmsync run customer`` killed with SIGKILL again and again
while it writes to the sandbox CRM and ERP, then rerun to completion, ends with exactly
the target records of a fault-free run on an identical copy — no duplicates, nothing
missing, no wrong values.

Kills come two ways, alternating at random: the publish stage's kill hook
(``CRMSYNC_PUBLISH_KILL_AT=<phase>:<n>``: right after enqueueing, after a batch reached
the target but before its bookkeeping, or after the bookkeeping) and a timer that kills
the process at a random moment after publishing started (anywhere: inside a target's
transaction, inside the store's). ``CRMSYNC_KILL_TEST_KILLS`` sets how many (default 24).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select

from store.dead_letters import open_dead_letters
from store.schema import outbox
from sync.context import SyncContext
from sync.stages.publish import KILL_AT_ENV

from .sandbox_setup import write_sandbox_config

ROOT = Path(__file__).resolve().parents[2]
KILLS = int(os.environ.get("CRMSYNC_KILL_TEST_KILLS", "24"))
SEED = 20261125
PHASES = ("enqueued", "pushed", "recorded")
TABLES = {
    "crm": ("accounts", "account_id", "ACC-GC-", {"modified_at", "created_at"}),
    "erp": ("customer_master", "kunnr", "MDM-GC-", {"aedat", "erdat"}),
}


def prepare(folder: Path) -> Path:
    """A seeded sandbox whose customer publish goes out one record per batch (many
    points to kill at: publish must outlast ten kills)."""
    config = write_sandbox_config(folder, companies=150)
    text = config.read_text(encoding="utf-8")
    marker = "    gate: {max_failure_ratio: 0.2}\n"
    assert marker in text
    config.write_text(
        text.replace(marker, marker + "    publish: {batch_size: 1}\n", 1), encoding="utf-8"
    )
    return config


def run_cli(config: Path, *, env: dict[str, str] | None = None, kill_after: float | None = None):
    """Run ``crmsync run customer``; with ``kill_after``, SIGKILL it that many seconds after
    the first publish progress line. Returns the exit code (-9: killed)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sync.cli", "--config", str(config), "run", "customer"],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    stderr = process.stderr

    def watch() -> None:
        armed = False
        for line in stderr:
            if kill_after is not None and not armed and "publish customer" in line:
                armed = True
                threading.Timer(kill_after, _kill, (process,)).start()

    reader = threading.Thread(target=watch, daemon=True)
    reader.start()
    code = process.wait(timeout=600)
    reader.join(timeout=10)
    return code


def _kill(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)


def normalised(folder: Path) -> dict[str, Counter]:
    """Each target table as a multiset of rows, without what differs by design between two
    runs: change timestamps, golden ids (random) and the keys of created records (derived
    from the golden id)."""
    out: dict[str, Counter] = {}
    for db, (table, key, created_prefix, stamps) in TABLES.items():
        with sqlite3.connect(folder / "sandbox" / f"{db}.db") as conn:
            cursor = conn.execute(f"SELECT * FROM {table}")  # noqa: S608
            columns = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
        keep = [i for i, c in enumerate(columns) if c not in stamps and c != "mdm_golden_id"]
        key_at = columns.index(key)
        counter: Counter = Counter()
        for row in rows:
            values = list(row)
            if str(values[key_at]).startswith(created_prefix):
                values[key_at] = "<created>"
            counter[tuple(values[i] for i in keep)] += 1
        out[table] = counter
    return out


def identities(folder: Path) -> Counter:
    """The grouping the golden ids make: per golden id, the pre-existing records it links in
    both systems and how many records crmsync created for it."""
    groups: dict[str, list[str]] = {}
    for db, (table, key, created_prefix, _stamps) in TABLES.items():
        with sqlite3.connect(folder / "sandbox" / f"{db}.db") as conn:
            rows = conn.execute(
                f"SELECT {key}, mdm_golden_id FROM {table} WHERE mdm_golden_id IS NOT NULL"  # noqa: S608
            ).fetchall()
        for record, golden_id in rows:
            label = f"{table}:<created>" if record.startswith(created_prefix) else record
            groups.setdefault(golden_id, []).append(label)
    return Counter(tuple(sorted(members)) for members in groups.values())


def created_per_golden(folder: Path) -> Counter:
    """How many records crmsync created per (table, golden id): more than one is a duplicate."""
    counts: Counter = Counter()
    for db, (table, key, created_prefix, _stamps) in TABLES.items():
        with sqlite3.connect(folder / "sandbox" / f"{db}.db") as conn:
            rows = conn.execute(
                f"SELECT mdm_golden_id FROM {table} WHERE {key} LIKE ?",  # noqa: S608
                (created_prefix + "%",),
            ).fetchall()
        counts.update((table, r[0]) for r in rows)
    return counts


@pytest.mark.slow
def test_sigkill_during_publish_loses_and_duplicates_nothing(tmp_path):
    faulty, clean = tmp_path / "faulty", tmp_path / "clean"
    config = prepare(faulty)
    shutil.copytree(faulty, clean)
    clean_config = clean / "crmsync.yaml"
    assert run_cli(clean_config) == 0

    rng = random.Random(SEED)
    kills = runs = 0
    by_kind: Counter = Counter()
    started = time.monotonic()
    while kills < KILLS and runs < KILLS * 3:
        runs += 1
        if rng.random() < 0.5:
            phase, nth = rng.choice(PHASES), rng.randint(1, 3)
            code = run_cli(config, env={KILL_AT_ENV: f"{phase}:{nth}"})
            kind = f"hook:{phase}"
        else:
            code = run_cli(config, kill_after=rng.uniform(0.0, 0.6))
            kind = "timer"
        if code == -signal.SIGKILL:
            kills += 1
            by_kind[kind] += 1
        else:
            assert code == 0, f"run {runs} ended {code}"
            break  # publish finished before the kill point: nothing left to interrupt
    assert run_cli(config) == 0  # the rerun to completion

    faulty_rows, clean_rows = normalised(faulty), normalised(clean)
    extra = {t: sum((faulty_rows[t] - clean_rows[t]).values()) for t in clean_rows}
    missing = {t: sum((clean_rows[t] - faulty_rows[t]).values()) for t in clean_rows}
    duplicates = sum(n - 1 for n in created_per_golden(faulty).values() if n > 1)
    print(
        f"\nSIGKILL test: {kills} kills in {runs} runs ({dict(by_kind)}), "
        f"{time.monotonic() - started:.0f}s; extra rows {extra}, missing rows {missing}, "
        f"duplicate creates {duplicates}; rows per table "
        f"{ {t: sum(c.values()) for t, c in clean_rows.items()} }"
    )
    assert kills >= min(KILLS, 10), f"only {kills} kills landed in publish"
    assert duplicates == 0
    assert extra == {t: 0 for t in clean_rows} and missing == {t: 0 for t in clean_rows}
    assert faulty_rows == clean_rows
    assert identities(faulty) == identities(clean)
    ctx = SyncContext.open(config)
    try:
        with ctx.engine.connect() as c:
            unsent = c.execute(
                select(func.count()).select_from(outbox).where(outbox.c.status != "sent")
            ).scalar_one()
            assert open_dead_letters(c) == []
    finally:
        ctx.close()
    assert unsent == 0
