"""Match and survivorship settings: parsing, validation, and their documentation."""

from __future__ import annotations

from pathlib import Path

import pytest

from dedupe.survive import FieldRule
from sync.config import ConfigError, MatchSettings, SurvivorshipRule, load_settings
from sync.stages.survive import field_rules

ROOT = Path(__file__).resolve().parents[2]
CONFIG = """
systems:
  crm: {connector: sql, url: "sqlite:///crm.db"}
  erp: {connector: sql, url: "sqlite:///erp.db"}
entities:
  customer:
    sources: [crm, erp]
    survivorship:
      default: [erp, crm]
      phone: {rule: most_recent}
      bill_to: {rule: most_complete, sources: [crm, erp]}
    match: {method: engine, upper_threshold: 0.95, lower_threshold: 0.6, detect_deletes: true}
"""


def test_match_and_survivorship_settings_load(tmp_path):
    file = tmp_path / "crmsync.yaml"
    file.write_text(CONFIG, encoding="utf-8")
    settings = load_settings(file).entity("customer")
    assert (settings.match.method, settings.match.upper_threshold) == ("engine", 0.95)
    assert settings.match.detect_deletes and settings.match.steward_labels
    assert field_rules(settings.survivorship) == {
        "default": FieldRule("source_priority", ("erp", "crm")),
        "phone": FieldRule("most_recent", ()),
        "bill_to": FieldRule("most_complete", ("crm", "erp")),
    }


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("lower_threshold: 0.6", "lower_threshold: 0.99"),
        ("method: engine", "method: magic"),
    ],
)
def test_bad_match_settings_are_reported_with_their_key(tmp_path, change, message):
    file = tmp_path / "crmsync.yaml"
    file.write_text(CONFIG.replace(change, message), encoding="utf-8")
    with pytest.raises(ConfigError, match="entities.customer.match"):
        load_settings(file)


def test_bad_survivorship_rule_is_reported(tmp_path):
    file = tmp_path / "crmsync.yaml"
    file.write_text(CONFIG.replace("rule: most_recent", "rule: loudest"), encoding="utf-8")
    with pytest.raises(ConfigError, match="entities.customer.survivorship.phone"):
        load_settings(file)


def test_every_match_and_survivorship_key_is_documented():
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for name in MatchSettings.model_fields:
        assert f"`match.{name}`" in text, name
    for name in SurvivorshipRule.model_fields:
        assert f"`survivorship.<field>.{name}`" in text, name


def test_packaged_config_loads_with_match_settings():
    settings = load_settings(ROOT / "crmsync.yaml")
    assert settings.entity("customer").match.method == "combined"
