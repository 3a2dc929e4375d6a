"""Sandbox sync benchmark: wall time, peak memory and matching quality of a full sync.

Seeds the sandbox CRM and ERP at each requested size, runs the customer and product
syncs in-process (pull → … → publish), then a second, no-change run, and prints per size:
records, wall time of each run, peak RSS, and pairwise precision / recall / F1 of the
golden master against the sandbox truth. Usage::

    python -m bench [--companies 1200 5000] [--out bench/out/sandbox.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

CHILD = r"""
import json, sys, time, resource
from pathlib import Path
from sync.context import SyncContext
from sync.runner import run_entity
ctx = SyncContext.open(sys.argv[1])
out = {}
for label in ("first", "second"):
    for entity in ("customer", "product"):
        start = time.perf_counter()
        summary = run_entity(ctx, entity)
        out[f"{entity}_{label}_seconds"] = round(time.perf_counter() - start, 2)
        out[f"{entity}_{label}"] = summary
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
print(json.dumps(out))
"""


def _scores(folder: Path, entity: str, store_url: str) -> dict[str, float]:
    from dedupe.evaluate import golden_clusters, pairwise_scores
    from store.database import open_store
    from store.golden import load_xrefs

    with (folder / "sandbox" / "truth.csv").open(encoding="utf-8", newline="") as handle:
        truth = {
            f"{r['system']}/{entity}/{r['source_id']}": r["entity_id"]
            for r in csv.DictReader(handle)
            if r["entity"] == entity and not r["defect"]
        }
    engine = open_store(store_url)
    with engine.connect() as connection:
        links = load_xrefs(connection, entity)
    engine.dispose()
    s = pairwise_scores(golden_clusters(links, entity).values(), truth)
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4)}


def run_size(companies: int) -> dict[str, Any]:
    """Seed a sandbox of ``companies`` and measure two sync runs in a fresh process."""
    from sync.sandbox import seed_sandboxes

    folder = Path(tempfile.mkdtemp(prefix=f"crmsync-bench-{companies}-"))
    started = time.perf_counter()
    report = seed_sandboxes(folder / "sandbox", companies=companies)
    seed_seconds = time.perf_counter() - started
    store_url = f"sqlite:///{folder / 'store.db'}"
    config = folder / "crmsync.yaml"
    config.write_text(
        json.dumps(
            {
                "store": {"url": store_url},
                "systems": {
                    name: {"connector": "sql", "url": f"sqlite:///{folder / 'sandbox' / db}"}
                    for name, db in (("sandbox_crm", "crm.db"), ("sandbox_erp", "erp.db"))
                },
                "entities": {
                    e: {
                        "sources": ["sandbox_crm", "sandbox_erp"],
                        "targets": ["sandbox_crm", "sandbox_erp"],
                        "survivorship": {"default": ["sandbox_erp", "sandbox_crm"]},
                    }
                    for e in ("customer", "product")
                },
            }
        ),
        encoding="utf-8",
    )
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(config)], capture_output=True, text=True, check=True
    )
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    records = sum(report.counts["sandbox_crm"].get(t, 0) for t in ("accounts", "products"))
    records += sum(
        report.counts["sandbox_erp"].get(t, 0) for t in ("customer_master", "material_master")
    )
    return {
        "companies": companies,
        "customer_and_product_records": records,
        "seed_seconds": round(seed_seconds, 2),
        **{k: v for k, v in measured.items() if k.endswith("seconds") or k == "peak_rss_mb"},
        "customer_quality": _scores(folder, "customer", store_url),
        "product_quality": _scores(folder, "product", store_url),
        "second_run_changes": sum(
            c["created"] + c["updated"]
            for e in ("customer", "product")
            for c in measured[f"{e}_second"]["targets"].values()
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one line per size plus the JSON file."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, nargs="+", default=[1200, 5000])
    parser.add_argument("--out", default="bench/out/sandbox.json")
    args = parser.parse_args(argv)
    results = []
    for companies in args.companies:
        print(f"· sandbox with {companies} companies …", flush=True)
        result = run_size(companies)
        results.append(result)
        print(json.dumps(result), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(
        f"wrote {args.out} (bench peak RSS of this process: "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
