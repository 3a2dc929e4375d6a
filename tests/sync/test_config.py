"""Tests of loading crmsync.yaml: env references, relative paths, all errors at once."""

from __future__ import annotations

import pytest

from sync.config import ConfigError, load_settings

VALID = """
store: {url: "sqlite:///state/store.db"}
systems:
  crm: {connector: sql, url: "sqlite:///crm.db"}
  erp: {connector: sql, url: "${ERP_URL}"}
entities:
  customer: {sources: [crm, erp], targets: [crm]}
"""


def test_relative_sqlite_paths_resolve_against_config_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_URL", "postgresql+psycopg://u:secret@db/erp")
    file = tmp_path / "crmsync.yaml"
    file.write_text(VALID, encoding="utf-8")
    settings = load_settings(file)
    assert settings.store.url == f"sqlite:///{tmp_path / 'state' / 'store.db'}"
    assert settings.systems["crm"].connector_settings()["url"] == f"sqlite:///{tmp_path / 'crm.db'}"
    assert settings.systems["erp"].connector_settings()["url"].endswith("@db/erp")


def test_store_url_env_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_URL", "sqlite:///erp.db")
    monkeypatch.setenv("CRMSYNC_STORE_URL", "postgresql+psycopg://localhost/x")
    file = tmp_path / "crmsync.yaml"
    file.write_text(VALID, encoding="utf-8")
    assert load_settings(file).store_url() == "postgresql+psycopg://localhost/x"


def test_every_problem_is_reported_with_its_key(tmp_path, monkeypatch):
    monkeypatch.delenv("ERP_URL", raising=False)
    file = tmp_path / "crmsync.yaml"
    file.write_text(
        VALID.replace("targets: [crm]", "targets: [crm], gate: {max_failure_ratio: 7}")
        + "bogus: 1\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(file)
    text = str(caught.value)
    assert "systems.erp.url: environment variable ERP_URL is not set" in text
    assert "entities.customer.gate.max_failure_ratio" in text
    assert "bogus" in text


def test_unknown_system_in_entity(tmp_path, monkeypatch):
    monkeypatch.setenv("ERP_URL", "sqlite:///erp.db")
    file = tmp_path / "crmsync.yaml"
    file.write_text(VALID.replace("targets: [crm]", "targets: [nope]"), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown system 'nope'"):
        load_settings(file)


def test_missing_file_says_how_to_point_at_one(tmp_path):
    with pytest.raises(ConfigError, match="CRMSYNC_CONFIG"):
        load_settings(tmp_path / "absent.yaml")
