"""Pull throughput of the Tryton connector against a local, real Tryton 8.2, beside proteus.

Starts a Tryton peer (``tests/e2e/peers/tryton.py``) in a temporary folder, seeds
``--records`` parties (an address, two contact mechanisms and an identifier each) and as
many products (a template with one variant) over JSON-RPC, then times, on the same data
in the same run:

* **connector** — ``TrytonConnector.count`` + ``pull`` of the customer and product
  mappings (what the pull stage calls): change tracking over the related models,
  paging, flattening, ordering by (timestamp, id);
* **proteus** — Tryton's official client library (``proteus``, same version, installed
  into the peer's venv on first use) reading the same records and the same fields with
  its idiomatic ``Model.find`` and attribute access, in the peer's own interpreter.

The connector runs ``--repeat`` times (the best run counts); proteus, some 50 times
slower, runs once. Prints a table and
writes JSON to ``bench/out/connectors/tryton.json``. Usage::

    python -m bench.connectors.tryton [--records 2000] [--page-size 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bench.connectors._pull import count_and_pull
from connectors.tryton import TrytonConfig, TrytonConnector
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from tests.e2e.peers import common, tryton

OUT = Path(__file__).resolve().parents[1] / "out" / "connectors" / "tryton.json"
PROTEUS = "proteus==8.2.*"
BATCH = 50

PROTEUS_READ = r"""
import json, sys, time
from proteus import config, Model
url, login, password, entity = sys.argv[1:5]
started = time.perf_counter()
rows = []
with config.set_xmlrpc_session(url, login, password):
    if entity == "customer":
        for party in Model.get("party.party").find([]):
            address = party.addresses[0] if party.addresses else None
            rows.append({
                "id": party.id, "code": party.code, "name": party.name,
                "street": address.street if address else None,
                "postal_code": address.postal_code if address else None,
                "city": address.city if address else None,
                "country": address.country.code if address and address.country else None,
                "mechanisms": [(m.type, m.value) for m in party.contact_mechanisms],
                "identifiers": [(i.type, i.code) for i in party.identifiers],
                "changed": str(party.write_date or party.create_date),
            })
    else:
        for product in Model.get("product.product").find([]):
            template = product.template
            rows.append({
                "id": product.id, "code": product.code, "name": template.name,
                "description": product.description, "list_price": str(template.list_price),
                "cost_price": str(product.cost_price), "unit": template.default_uom.symbol,
                "category": template.account_category.name if template.account_category else None,
                "identifiers": [i.code for i in product.identifiers],
                "changed": str(product.write_date or product.create_date),
            })
print(json.dumps({"records": len(rows), "seconds": time.perf_counter() - started}))
"""


def ensure_proteus() -> Path:
    """Install proteus into the Tryton peer's venv when missing; return its python."""
    python = tryton.VENV / "bin" / "python"
    probe = subprocess.run([str(python), "-c", "import proteus"], capture_output=True)
    if probe.returncode != 0:
        common.log(f"installing {PROTEUS} into {tryton.VENV}")
        uv = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "uv"
        subprocess.run([str(uv), "pip", "install", "--python", str(python), PROTEUS], check=True)
    return python


def seed(server: tryton.TrytonServer, records: int) -> None:
    """Create ``records`` parties and ``records`` products in batches over JSON-RPC."""
    with server.client() as rpc:
        country = rpc.call("country.country", "create", [{"code": "BE", "name": "Belgium"}])[0]
        unit = rpc.call("product.uom", "search", [["symbol", "=", "u"]], 0, 1, None)[0]
        category = rpc.call("product.category", "search", [["name", "=", "Goods"]], 0, 1, None)[0]
        for start in range(0, records, BATCH):
            numbers = range(start, min(records, start + BATCH))
            rpc.call(
                "party.party",
                "create",
                [
                    {
                        "name": f"Bench Company {i:06d}",
                        "addresses": [
                            [
                                "create",
                                [
                                    {
                                        "street": f"{i} Main Street",
                                        "postal_code": f"{1000 + i % 9000}",
                                        "city": "Ghent",
                                        "country": country,
                                    }
                                ],
                            ]
                        ],
                        "contact_mechanisms": [
                            [
                                "create",
                                [
                                    {"type": "email", "value": f"info{i}@bench.example"},
                                    {"type": "phone", "value": f"+32 2 555 {i:04d}"},
                                ],
                            ]
                        ],
                        "identifiers": [["create", [{"code": f"crmsync:GC-{i:016x}"}]]],
                    }
                    for i in numbers
                ],
            )
            rpc.call(
                "product.template",
                "create",
                [
                    {
                        "name": f"Bench Product {i:06d}",
                        "code": f"BP-{i:06d}",
                        "type": "goods",
                        "default_uom": unit,
                        "account_category": category,
                        "list_price": Decimal(f"{1 + i % 500}.50"),
                        "products": [["create", [{"description": f"size {i % 7}"}]]],
                    }
                    for i in numbers
                ],
            )


def time_connector(server: tryton.TrytonServer, entity: str, page_size: int) -> dict[str, Any]:
    """Count + pull one entity through the connector; return records and seconds."""
    mapping = load_mapping(PACKAGED_MAPPINGS / f"tryton_{entity}.yaml")
    config = TrytonConfig(
        url=server.url,
        database=server.database,
        login=server.login,
        password=SecretStr(server.password),
        page_size=page_size,
        lag_seconds=0,
    )
    connector = TrytonConnector("tryton", config)
    started = time.perf_counter()
    pulled = count_and_pull(connector, mapping, f"{entity} records")
    seconds = time.perf_counter() - started
    return {"records": pulled, "seconds": seconds, "requests": connector.rpc.http.requests_sent}


def time_proteus(python: Path, server: tryton.TrytonServer, entity: str) -> dict[str, Any]:
    """Read one entity with proteus in the peer's interpreter; return records and seconds."""
    answer = subprocess.run(
        [
            str(python),
            "-c",
            PROTEUS_READ,
            f"{server.url}/{server.database}/rpc/",
            server.login,
            server.password,
            entity,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    # Stopped from outside (timeout, make): still stop the Tryton this run started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory(prefix="crmsync-bench-tryton-") as folder:
        server = tryton.start(Path(folder))
        try:
            python = ensure_proteus()
            started = time.perf_counter()
            seed(server, args.records)
            seed_seconds = time.perf_counter() - started
            common.log(f"seeded {args.records} parties and products in {seed_seconds:.1f} s")
            results: dict[str, dict[str, Any]] = {}
            for entity in ("customer", "product"):
                best: dict[str, dict[str, Any]] = {}
                for attempt in range(args.repeat):
                    runs = [("connector", partial(time_connector, server, entity, args.page_size))]
                    if attempt == 0:  # ~50x slower: one run, its noise does not matter
                        runs.append(("proteus", partial(time_proteus, python, server, entity)))
                    for side, run in runs:
                        outcome = run()
                        common.log(f"{entity} {side}: {outcome['seconds']:.2f} s")
                        if side not in best or outcome["seconds"] < best[side]["seconds"]:
                            best[side] = outcome
                for outcome in best.values():
                    outcome["records_per_second"] = round(
                        outcome["records"] / outcome["seconds"], 1
                    )
                    outcome["seconds"] = round(outcome["seconds"], 3)
                results[entity] = best
        finally:
            server.stop()

    print(
        f"Tryton pull throughput, {args.records} seeded per entity (seeding {seed_seconds:.1f} s)"
    )
    print(f"{'entity':<10}{'side':<11}{'records':>8}{'seconds':>9}{'records/s':>11}")
    for entity, sides in results.items():
        for side, outcome in sides.items():
            print(
                f"{entity:<10}{side:<11}{outcome['records']:>8}{outcome['seconds']:>9.2f}"
                f"{outcome['records_per_second']:>11.1f}"
            )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "records": args.records,
                "page_size": args.page_size,
                "repeat": args.repeat,
                "seed_seconds": round(seed_seconds, 1),
                "results": results,
            },
            indent=2,
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
