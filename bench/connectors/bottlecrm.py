"""Pull throughput of the BottleCRM connector against a local, real BottleCRM.

Starts a BottleCRM peer (``tests/e2e/peers/bottlecrm.py``) in a temporary folder, seeds
``--records`` accounts, contacts and products through BottleCRM's own ORM (the API would
take minutes), then times, on the same data in the same run and with the same page size:

* **connector** — ``BottleCrmConnector.count`` + ``pull`` of each mapping (what the pull
  stage calls): paging with the server-count check, flattening, ordering;
* **baseline** — a plain hand-written httpx loop over the same list endpoint
  (``limit``/``offset`` until a short page), keeping the raw JSON records.

Each side runs ``--repeat`` times alternately; the best run counts. Prints a table and
writes JSON to ``bench/out/connectors/bottlecrm.json``. Usage::

    python -m bench.connectors.bottlecrm [--records 2000] [--page-size 500] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench.connectors._pull import count_and_pull
from connectors.bottlecrm import BottleCrmConfig, BottleCrmConnector
from mappings.loader import PACKAGED_MAPPINGS, load_mapping
from tests.e2e.peers import bottlecrm

OUT = Path(__file__).resolve().parents[1] / "out" / "connectors" / "bottlecrm.json"

SEED = """
import django, random
django.setup()
from decimal import Decimal
from accounts.models import Account
from common.models import Org
from contacts.models import Contact
from invoices.models import Product
org = Org.objects.get(name=%(org)r)
n = %(n)d
rng = random.Random(7)
cities = ["Ghent", "Lyon", "Berlin", "Milan", "Porto", "Utrecht"]
accounts = Account.objects.bulk_create(
    [Account(name=f"Bench Company {i:06d}", org=org, email=f"info{i}@bench.example",
             phone=f"+32 2 555 {i:04d}", city=rng.choice(cities), country="BE",
             address_line=f"{i} Main Street", postcode=f"{1000 + i %% 9000}",
             website=f"https://bench{i}.example", is_active=i %% 10 != 0)
     for i in range(n)], batch_size=500)
Contact.objects.bulk_create(
    [Contact(first_name=f"First{i}", last_name=f"Last{i}", email=f"p{i}@bench.example",
             org=org, account=accounts[i], title="Buyer", city=accounts[i].city)
     for i in range(n)], batch_size=500)
Product.objects.bulk_create(
    [Product(name=f"Bench Product {i:06d}", sku=f"BP-{i:06d}", org=org,
             price=Decimal(rng.randint(100, 99999)) / 100, currency="EUR", category="Bench",
             description=f"size {i %% 7}")
     for i in range(n)], batch_size=500)
print(Account.objects.filter(org=org).count(), Contact.objects.filter(org=org).count(),
      Product.objects.filter(org=org).count())
"""

ENTITIES = {
    "customer": ("accounts/", ("active_accounts.open_accounts", "closed_accounts.close_accounts")),
    "contact": ("contacts/", ("results",)),
    "product": ("invoices/products/", ("results",)),
}


def _dig(body: dict[str, Any], path: str) -> list[dict[str, Any]]:
    value: Any = body
    for part in path.split("."):
        value = value[part]
    return list(value)


def baseline(client: httpx.Client, path: str, lists: tuple[str, ...], page: int) -> int:
    """A hand-written paging loop: the least a client can do to read the whole list."""
    records: list[dict[str, Any]] = []
    offset = 0
    while True:
        response = client.get(path, params={"limit": page, "offset": offset})
        response.raise_for_status()
        body = response.json()
        arrays = [_dig(body, name) for name in lists]
        for array in arrays:
            records.extend(array)
        if all(len(array) < page for array in arrays):
            return len(records)
        offset += page


def through_connector(server: bottlecrm.BottleCrmServer, entity: str, page: int) -> int:
    """What the pull stage does with the connector: count, then pull everything."""
    mapping = load_mapping(PACKAGED_MAPPINGS / f"bottlecrm_{entity}.yaml")
    config = BottleCrmConfig(base_url=server.url, token=server.token, page_size=page)
    connector = BottleCrmConnector("bottlecrm", config)
    return count_and_pull(connector, mapping, f"{entity} records")


def _measure(
    server: bottlecrm.BottleCrmServer,
    client: httpx.Client,
    entity: str,
    page: int,
    repeat: int,
) -> dict[str, dict[str, float]]:
    """Best of ``repeat`` alternating runs of the connector and the baseline."""
    path, lists = ENTITIES[entity]
    sides = {
        "connector": partial(through_connector, server, entity, page),
        "baseline": partial(baseline, client, path, lists, page),
    }
    best: dict[str, tuple[int, float]] = {}
    for _ in range(repeat):
        for side, run in sides.items():
            started = time.perf_counter()
            count = run()
            seconds = time.perf_counter() - started
            if side not in best or seconds < best[side][1]:
                best[side] = (count, seconds)
    return {
        side: {
            "records": count,
            "seconds": round(seconds, 3),
            "records_per_second": round(count / seconds),
        }
        for side, (count, seconds) in best.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="per entity")
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bench-bottlecrm-") as folder:
        run_dir = Path(folder)
        server = bottlecrm.start(run_dir)
        try:
            started = time.perf_counter()
            seeded = bottlecrm.run_django(
                run_dir, SEED % {"org": bottlecrm.ORG_NAME, "n": args.records}
            )
            seed_seconds = time.perf_counter() - started
            with server.client() as client:
                results = {
                    entity: _measure(server, client, entity, args.page_size, args.repeat)
                    for entity in ENTITIES
                }
        finally:
            server.stop()

    report = {
        "records_per_entity": args.records,
        "seeded_counts": seeded.strip(),
        "seed_seconds": round(seed_seconds, 1),
        "page_size": args.page_size,
        "repeat": args.repeat,
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2))
    print(f"BottleCRM pull throughput, {args.records} records per entity, page {args.page_size}")
    print(f"{'entity':<10}{'connector rec/s':>17}{'baseline rec/s':>16}{'ratio':>8}")
    for entity, sides in results.items():
        mine = sides["connector"]["records_per_second"]
        plain = sides["baseline"]["records_per_second"]
        print(f"{entity:<10}{mine:>17}{plain:>16}{mine / plain:>8.2f}")
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
