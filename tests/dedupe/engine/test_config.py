"""Configuration parsing: errors name the key and what is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.engine.config import ConfigError, load_config, parse_config


def _errors(data: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.errors


def test_minimal_config_has_defaults() -> None:
    config = parse_config({"id_column": "id", "columns": {"name": "company_name"}})
    assert config.thresholds.match == 0.9
    assert config.compared == {"name": "company_name"}


def test_unknown_type_names_the_column_key() -> None:
    errors = _errors({"id_column": "id", "columns": {"name": "company", "tel": "phone"}})
    assert len(errors) == 1
    assert errors[0].startswith("columns.name: unknown type 'company'")


def test_all_problems_are_reported_together() -> None:
    errors = _errors({"columns": {"a": "bogus"}, "thresholds": {"match": 2}, "colour": "red"})
    keys = {line.split(":", 1)[0] for line in errors}
    assert {"id_column", "columns.a", "thresholds.match", "colour"} <= keys


def test_blocking_override_must_name_compared_columns() -> None:
    errors = _errors(
        {
            "id_column": "id",
            "columns": {"name": "company_name", "x": "ignore"},
            "blocking": [["name"], ["x"]],
        }
    )
    assert any("blocking.1: 'x' is not in columns" in line for line in errors)


def test_thresholds_must_be_ordered() -> None:
    errors = _errors(
        {"id_column": "id", "columns": {"n": "text"}, "thresholds": {"match": 0.5, "review": 0.8}}
    )
    assert any(line.startswith("thresholds:") for line in errors)


def test_missing_columns_in_the_data_name_their_key() -> None:
    config = parse_config({"id_column": "id", "columns": {"name": "company_name", "tel": "phone"}})
    with pytest.raises(ConfigError) as caught:
        config.check_columns(["id", "name"])
    assert caught.value.errors[0].startswith("columns.tel: column 'tel' is not in the input")


def test_load_config_reports_yaml_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("id_column: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
