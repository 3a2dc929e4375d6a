"""Generator of noisy CRM and ERP customer records with known truth.

One seed always gives the same files. :func:`generate` draws the real customers
(:mod:`bench.dedupe.population`), decides with numpy how many records each has (about a
fifth have two to four) and in which system each record lives (so duplicates arise
within and across sources), renders every record with the sandbox generator's noise
(name variants: legal forms, abbreviations, swapped words, typos, case, punctuation,
full-width and spacing in Chinese names; address variants; phone formats; tax id
formats; e-mail and web variants) plus the systems' habits (the ERP upper-cases names,
splits the house number off the street, often keeps Chinese companies' English names and
has no web site), shuffles the records and writes:

* ``records.csv`` — ``record_id, source, kind, name, first_name, last_name, street,
  house_number, postcode, city, country, phone, email, tax_id, date_of_birth, website``
  (CSV because the main virtualenv has no pyarrow; empty cell = missing);
* ``truth.csv`` — ``record_id, entity_id``;
* ``meta.json`` — seed, sizes and the generator version.

Usage: ``python -m bench.dedupe.generate --records 100000 --out bench/out/data/x``.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.dedupe.pools import build_pools
from bench.dedupe.population import Entity, draw_population
from sync.sandbox.generator import (
    _PHONE_STYLES,
    _Address,
    _ascii_fold,
    _ChineseName,
    _format_phone,
    _name_op_count,
    _PersonName,
    _postal_code,
    _typo,
    _vary_address,
    _vary_name,
    _vary_tax_id,
    _website_variant,
)

__all__ = ["COLUMNS", "GENERATOR_VERSION", "Dataset", "generate", "load_or_generate"]

GENERATOR_VERSION = 2
COLUMNS = (
    "record_id",
    "source",
    "kind",
    "name",
    "first_name",
    "last_name",
    "street",
    "house_number",
    "postcode",
    "city",
    "country",
    "phone",
    "email",
    "tax_id",
    "date_of_birth",
    "website",
)
TRUTH_COLUMNS = ("record_id", "entity_id")
DEFAULT_SEED = 20250101

# Records per entity: 80 % one, else two to four; the mean is about 1.3.
_EXTRA_RECORDS = np.array([0, 1, 2, 3])
_EXTRA_WEIGHTS = np.array([0.80, 0.20 * 0.60, 0.20 * 0.28, 0.20 * 0.12])
_CRM_SHARE = 0.55


@dataclass(frozen=True)
class Dataset:
    """A generated data set on disk.

    Attributes:
        folder: Its folder.
        records: ``records.csv`` (the input of both matchers).
        truth: ``truth.csv`` (record id → true entity id).
        meta: The content of ``meta.json``.
    """

    folder: Path
    records: Path
    truth: Path
    meta: dict[str, object]


# ------------------------------------------------------------------------------ fields


def _street_line(country_code: str, street: str, house: str, rng: random.Random) -> str:
    """Street and house number as one line, in the country's order."""
    if country_code == "CN":
        return f"{street}{house}号"
    if country_code == "FR":
        return f"{house}{rng.choice((', ', ' '))}{street}"
    if country_code in ("GB", "US"):
        return f"{house} {street}"
    return f"{street} {house}"


def _address(entity: Entity, rng: random.Random, *, duplicate: bool, erp: bool) -> _Address:
    """The record's address: the entity's, written differently, or another one (a move or
    a delivery site). The ERP keeps the street without house number (that goes apart)."""
    country = entity.pools.country
    city, street, house, postcode = entity.city, entity.street, entity.house, entity.postcode
    if duplicate and rng.random() < 0.2:
        city = rng.choice(country.cities)
        street, house = rng.choice(entity.pools.streets), str(rng.randint(1, 250))
        postcode = _postal_code(country, city, rng)
    line = street if erp else _street_line(country.code, street, house, rng)
    city_name = city.name
    if country.code == "CN" and (erp or rng.random() < 0.1) and rng.random() < 0.3:
        city_name = city.romanized
    address = _Address(line, city_name, postcode, city.region, city.region_code, country.code)
    if rng.random() < (0.35 if duplicate else 0.1):
        address = _vary_address(address, rng)
    return address


def _name(entity: Entity, rng: random.Random, *, duplicate: bool, erp: bool) -> str:
    parts = entity.name
    if erp and isinstance(parts, _ChineseName) and rng.random() < 0.1:
        name = parts.render_english()  # only the English name in this ERP record
    else:
        name = _vary_name(parts, rng, _name_op_count(rng, duplicate=duplicate, erp=erp))
    if erp and rng.random() < 0.5:
        name = (_ascii_fold(name) if rng.random() < 0.5 else name).upper()
    return name


def _person_parts(
    parts: _PersonName, rng: random.Random, *, duplicate: bool, upper: bool
) -> tuple[str, str]:
    """First and last name columns: pinyin now and then, a typo or a swap in duplicates."""
    first, last = parts.first, parts.last
    if parts.is_chinese and rng.random() < 0.2:
        first, last = parts.first_pinyin, parts.last_pinyin
    if duplicate and not parts.is_chinese and rng.random() < 0.1:
        if rng.random() < 0.5:
            first = _typo(first, rng)
        else:
            last = _typo(last, rng)
    if duplicate and rng.random() < 0.03:
        first, last = last, first
    return (first.upper(), last.upper()) if upper else (first, last)


def _email(entity: Entity, rng: random.Random, *, duplicate: bool, erp: bool) -> str:
    if rng.random() < (0.3 if erp else 0.05) + (0.15 if duplicate else 0.0):
        return ""
    email = entity.email
    if duplicate and rng.random() < 0.25:
        local, domain = email.split("@", 1)
        if entity.domain:
            email = f"{rng.choice(entity.pools.country.mailboxes)}@{domain}"
        else:
            email = f"{local}@{rng.choice(entity.pools.country.free_mail)}"
    return email.upper() if rng.random() < 0.08 else email


def _tax(entity: Entity, rng: random.Random, *, duplicate: bool, erp: bool) -> str:
    if entity.tax_id is None or rng.random() < (0.1 if erp else 0.4):
        return ""
    if rng.random() < (0.2 if duplicate else 0.05):
        return _vary_tax_id(entity.tax_id, rng)
    return entity.tax_id


def _dob(entity: Entity, rng: random.Random, *, duplicate: bool, erp: bool) -> str:
    if entity.dob is None or rng.random() < (0.05 if erp else 0.25):
        return ""
    year, month, day = entity.dob.split("-")
    if duplicate and int(day) <= 12 and rng.random() < 0.05:
        return f"{year}-{day}-{month}"  # day and month swapped
    if duplicate and rng.random() < 0.03:
        return f"{year[:3]}{rng.randrange(10)}-{month}-{day}"  # a wrong year digit
    return entity.dob


def _record(entity: Entity, source: str, rng: random.Random, *, duplicate: bool) -> list[str]:
    """Render one record of ``entity`` (without its record id)."""
    erp = source == "erp"
    name = _name(entity, rng, duplicate=duplicate, erp=erp)
    first = last = ""
    if isinstance(entity.name, _PersonName):
        upper = name.isupper()
        first, last = _person_parts(entity.name, rng, duplicate=duplicate, upper=upper)
    address = _address(entity, rng, duplicate=duplicate, erp=erp)
    house = entity.house if erp and rng.random() < 0.9 else ""
    drop = 0.25 if duplicate else 0.08
    phone = "" if rng.random() < drop else _format_phone(entity.phone, rng.choice(_PHONE_STYLES))
    website = ""
    if entity.domain and not erp:
        web = f"www.{entity.domain}"
        website = (_website_variant(web, rng) if duplicate else web) or ""
    country = address.country if rng.random() > 0.02 else ""
    return [
        source,
        entity.kind,
        name,
        first,
        last,
        address.street or "",
        house,
        address.postal_code or "",
        address.city or "",
        country.lower() if rng.random() < 0.03 else country,
        phone,
        _email(entity, rng, duplicate=duplicate, erp=erp),
        _tax(entity, rng, duplicate=duplicate, erp=erp),
        _dob(entity, rng, duplicate=duplicate, erp=erp),
        website,
    ]


# ------------------------------------------------------------------------------ layout


def _record_plan(count: int, entities: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Entity index and source (True = CRM) of each of ``count`` records, drawn with numpy.

    Args:
        count: Number of records wanted.
        entities: Number of entities drawn (enough for ``count`` records).
        seed: The generator seed.

    Returns:
        ``(owner, crm)`` arrays of length ``count``; an entity's records are adjacent.
    """
    gen = np.random.default_rng([seed, 1])
    per_entity = 1 + gen.choice(_EXTRA_RECORDS, size=entities, p=_EXTRA_WEIGHTS)
    owner = np.repeat(np.arange(entities), per_entity)[:count]
    crm = gen.random(len(owner)) < _CRM_SHARE
    return owner, crm


def _entity_count(count: int) -> int:
    mean = 1 + float(_EXTRA_RECORDS @ _EXTRA_WEIGHTS)
    return int(count / mean * 1.02) + 10


def _rows(count: int, seed: int) -> Iterator[tuple[list[str], str]]:
    """Every record (shuffled, with its record id) and its true entity id."""
    rng = random.Random(f"crmsync-bench-dedupe:{seed}")
    population = draw_population(_entity_count(count), build_pools(seed), rng)
    owner, crm = _record_plan(count, len(population), seed)
    if len(owner) < count:
        raise ValueError(f"{len(population)} entities give only {len(owner)} records")
    first = np.r_[True, owner[1:] != owner[:-1]]
    order = np.random.default_rng([seed, 2]).permutation(count)
    counters = {"crm": 0, "erp": 0}
    for position in order:
        entity = population[owner[position]]
        source = "crm" if crm[position] else "erp"
        counters[source] += 1
        record_id = f"{source.upper()}{counters[source]:07d}"
        row = _record(entity, source, rng, duplicate=not first[position])
        yield [record_id, *row], entity.entity_id


# ------------------------------------------------------------------------------ files


def generate(count: int, folder: Path, seed: int = DEFAULT_SEED) -> Dataset:
    """Write ``count`` noisy customer records and their truth into ``folder``.

    Args:
        count: Number of records (CRM and ERP together).
        folder: Output folder (created).
        seed: Random seed; one seed always gives the same files.

    Returns:
        The written data set.
    """
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    entities: set[str] = set()
    sources = {"crm": 0, "erp": 0}
    kinds = {"company": 0, "person": 0}
    records_path, truth_path = folder / "records.csv", folder / "truth.csv"
    with (
        records_path.open("w", encoding="utf-8", newline="") as records_file,
        truth_path.open("w", encoding="utf-8", newline="") as truth_file,
    ):
        records, truth = csv.writer(records_file), csv.writer(truth_file)
        records.writerow(COLUMNS)
        truth.writerow(TRUTH_COLUMNS)
        for row, entity_id in _rows(count, seed):
            records.writerow(row)
            truth.writerow((row[0], entity_id))
            entities.add(entity_id)
            sources[row[1]] += 1
            kinds[row[2]] += 1
    meta: dict[str, object] = {
        "generator_version": GENERATOR_VERSION,
        "seed": seed,
        "records": count,
        "entities": len(entities),
        "sources": sources,
        "kinds": kinds,
        "seconds": round(time.perf_counter() - started, 1),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return Dataset(folder, records_path, truth_path, meta)


def load_or_generate(count: int, root: Path, seed: int = DEFAULT_SEED) -> Dataset:
    """Return the cached data set of this size and seed, generating it when missing.

    Args:
        count: Number of records.
        root: Cache folder (e.g. ``bench/out/data``).
        seed: Random seed.

    Returns:
        The data set in ``root/customers-<count>-seed<seed>``.
    """
    folder = root / f"customers-{count}-seed{seed}"
    meta_path = folder / "meta.json"
    if meta_path.exists():
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("generator_version") == GENERATOR_VERSION:
            return Dataset(folder, folder / "records.csv", folder / "truth.csv", meta)
    return generate(count, folder, seed)


def main(argv: list[str] | None = None) -> int:
    """Generate one data set from the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.dedupe.generate")
    parser.add_argument("--records", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    dataset = generate(args.records, args.out, args.seed)
    print(json.dumps(dataset.meta))
    return 0


if __name__ == "__main__":
    sys.exit(main())
