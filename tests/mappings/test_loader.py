"""Tests of loading mapping files: every problem reported with file and key."""

from __future__ import annotations

import pytest

from mappings.loader import PACKAGED_MAPPINGS, MappingConfigError, find_mapping, load_mapping


def test_every_packaged_mapping_loads():
    files = sorted(PACKAGED_MAPPINGS.glob("*.yaml"))
    assert files
    for file in files:
        spec = load_mapping(file)
        assert file.name == f"{spec.system}_{spec.entity}.yaml"


def test_errors_name_file_and_key(tmp_path):
    bad = tmp_path / "x_customer.yaml"
    bad.write_text(
        "system: x\nentity: customer\nsource: {table: t}\ninbound: {name: {column: a, const: b}}\n",
        encoding="utf-8",
    )
    with pytest.raises(MappingConfigError) as caught:
        load_mapping(bad)
    text = str(caught.value)
    assert "source.primary_key" in text
    assert "inbound.name" in text
    assert str(bad) in text


def test_missing_mapping_says_where_it_looked(tmp_path):
    with pytest.raises(MappingConfigError, match="no mapping nope_customer.yaml"):
        find_mapping([tmp_path], "nope", "customer")
