"""Standardisation per column type over distinct values."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.dedupe.generate import generate
from dedupe.engine.csv_columns import CsvColumns
from dedupe.engine.prepare import _split, prepare, prepare_read, standardise_column


def test_company_names_fold_legal_forms_and_width() -> None:
    series = pd.Series(["ACME GmbH", "Acme Gesellschaft mit beschränkter Haftung", "", "ＡＣＭＥ"])
    feature = standardise_column(series, "company_name")[""]
    assert feature.codes[0] == feature.codes[1] == feature.codes[3]
    assert feature.codes[2] == -1
    assert list(feature.values) == ["acme"]
    assert list(feature.counts) == [3]


def test_phones_become_e164_with_the_records_country_as_region() -> None:
    series = pd.Series(["+49 30 1234567"] * 1000 + ["030 1234567", None, "030 1234567"])
    countries = pd.Series(["DE"] * 1001 + ["DE", "Germany"])
    feature = standardise_column(series, "phone", regions=countries)[""]
    assert feature.values.tolist() == ["+49301234567"]
    assert (feature.codes[:1001] == 0).all()
    assert feature.codes[1001] == -1
    assert feature.codes[1002] == 0


def test_phones_without_region_keep_their_digits() -> None:
    feature = standardise_column(pd.Series(["030 1234567", "+1 404 616 6543"]), "phone")[""]
    assert feature.strings().tolist() == ["0301234567", "+14046166543"]


def test_dates_become_iso_and_names_fold_umlaut_spellings() -> None:
    dates = standardise_column(pd.Series(["1980-02-01", "not a date", ""]), "date_of_birth")[""]
    assert dates.strings().tolist() == ["1980-02-01", "", ""]
    last = standardise_column(pd.Series(["TRÖST", "Troest"]), "last_name")[""]
    assert last.codes[0] == last.codes[1]


def test_prepare_builds_variants() -> None:
    frame = pd.DataFrame(
        {
            "name": ["Acme Pumps Ltd - Leeds Plant", "Pumps Acme Limited"],
            "mail": ["Info@Acme.co.uk", "sales@acme.co.uk"],
        }
    )
    prepared = prepare(frame, {"name": "company_name", "mail": "email"})
    assert {"name", "name:sorted", "name:site", "name:first", "mail", "mail:local"} <= set(
        prepared.features
    )
    assert prepared.features["name:site"].strings().tolist() == ["leeds", ""]
    assert prepared.features["mail:local"].strings().tolist() == ["info", "sales"]
    assert np.array_equal(prepared.features["mail"].codes, [0, 1])


# Shared out so that the country is read by the other process than the phones.
_TYPES = {
    "name": "company_name",
    "street": "street",
    "postcode": "postcode",
    "country": "country",
    "phone": "phone",
    "email": "email",
    "date_of_birth": "date_of_birth",
}


@pytest.mark.parametrize("parallel", [True, False])
def test_reading_while_standardising_gives_the_features_of_the_frame(
    tmp_path: Path, parallel: bool
) -> None:
    data = generate(3000, tmp_path / "data", seed=11)
    frame = pd.read_csv(data.records, dtype=str, keep_default_na=False)
    # The phones' process must read the country as well when it is in the other group.
    columns = dict(_TYPES) if parallel else {"phone": "phone", "country": "country"}
    expected = prepare(frame, columns, parallel=False)
    if parallel:
        forked, here = _split(columns, read=True, head_start=0.6)
        assert ("phone" in forked) != ("country" in forked)
    prepared, kept = prepare_read(
        CsvColumns.open(data.records).read, columns, keep=["record_id"], parallel=parallel
    )
    assert kept.columns.tolist() == ["record_id"]
    assert kept["record_id"].tolist() == frame["record_id"].tolist()
    assert prepared.size == expected.size == len(frame)
    assert list(prepared.features) == list(expected.features)
    for name, feature in expected.features.items():
        assert prepared.features[name].codes.tolist() == feature.codes.tolist(), name
        assert prepared.features[name].values.tolist() == feature.values.tolist(), name
