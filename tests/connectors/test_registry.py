"""The connector registry: entry-point discovery, settings, Airflow Connections, the CLI."""

from __future__ import annotations

import json
import sqlite3
import textwrap
from pathlib import Path

import pytest

from connectors.errors import FatalError
from connectors.registry import ENTRY_POINT_GROUP, build_connector, connector_kinds
from connectors.sql import SqlConnector, SqlConnectorConfig
from sync.cli import main

PLUGIN = textwrap.dedent(
    '''
    """A third-party connector kind, installed only as package metadata on sys.path."""
    from pydantic import BaseModel, SecretStr

    from connectors.sql import SqlConnector, SqlConnectorConfig


    class AcmeConfig(BaseModel):
        database: str
        api_key: SecretStr


    def create(system: str, settings: dict) -> SqlConnector:
        config = AcmeConfig.model_validate(settings)
        return SqlConnector(system, SqlConnectorConfig(url=f"sqlite:///{config.database}"))


    create.config_model = AcmeConfig
    '''
)


@pytest.fixture
def acme_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A distribution ``acme-connector`` declaring kind ``acme`` in its entry points."""
    (tmp_path / "acme_connector.py").write_text(PLUGIN, encoding="utf-8")
    info = tmp_path / "acme_connector-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: acme-connector\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nacme = acme_connector:create\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


@pytest.fixture
def shop_db(tmp_path: Path) -> Path:
    path = tmp_path / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id TEXT PRIMARY KEY)")
    return path


def test_builtin_kind_comes_from_the_installed_entry_point():
    kinds = connector_kinds()
    assert kinds["sql"].target == "connectors.sql:create_connector"
    assert kinds["sql"].config_model() is SqlConnectorConfig


def test_a_third_party_package_adds_a_kind(acme_plugin: Path, shop_db: Path):
    kinds = connector_kinds()
    assert kinds["acme"].origin == "acme-connector"
    model = kinds["acme"].config_model()
    assert model is not None and model.__name__ == "AcmeConfig"
    connector = build_connector("acme_erp", "acme", {"database": str(shop_db), "api_key": "k"})
    assert isinstance(connector, SqlConnector)
    connector.close()


def test_unknown_kind_is_fatal_and_lists_the_known_ones():
    with pytest.raises(FatalError, match=r"'salesfarce' is not installed \(known: .*sql"):
        build_connector("crm", "salesfarce", {})


def test_invalid_settings_are_reported_without_their_values(shop_db: Path):
    with pytest.raises(FatalError) as failure:
        build_connector("erp", "sql", {"url": f"sqlite:///{shop_db}", "pasword": "hunter2x"})
    assert "pasword" in str(failure.value)
    assert "hunter2x" not in str(failure.value)
    assert failure.value.__cause__ is None and failure.value.__suppress_context__


def test_settings_from_an_airflow_connection(shop_db: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_SHOP_DB", json.dumps({"conn_type": "sqlite", "host": str(shop_db)})
    )
    connector = build_connector("shop", "sql", {"airflow_conn_id": "shop_db", "batch_size": 7})
    assert isinstance(connector, SqlConnector)
    assert connector.config.url.get_secret_value() == f"sqlite:///{shop_db}"
    assert connector.config.batch_size == 7
    connector.close()


def test_a_postgres_connection_becomes_a_sqlalchemy_url(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(
        "AIRFLOW_CONN_ERP_PG",
        json.dumps(
            {
                "conn_type": "postgres",
                "host": "db.internal",
                "port": 5433,
                "login": "erp",
                "password": "s3cret/p@ss",
                "schema": "erp",
            }
        ),
    )
    connector = build_connector("erp", "sql", {"airflow_conn_id": "erp_pg"})
    assert isinstance(connector, SqlConnector)
    url = connector.config.url.get_secret_value()
    assert url == "postgresql+psycopg://erp:s3cret%2Fp%40ss@db.internal:5433/erp"
    assert "s3cret" not in repr(connector.config)


def test_a_missing_airflow_connection_is_fatal():
    with pytest.raises(FatalError, match="'no_such_conn' cannot be read"):
        build_connector("erp", "sql", {"airflow_conn_id": "no_such_conn"})


def test_cli_lists_kinds_with_their_keys(capsys: pytest.CaptureFixture[str]):
    assert main(["connectors", "--json"]) == 0
    listing = {k["kind"]: k for k in json.loads(capsys.readouterr().out)}
    keys = {key["name"]: key for key in listing["sql"]["keys"]}
    assert keys["url"]["secret"] and keys["url"]["required"]
    assert keys["batch_size"]["default"] == 1000
    assert main(["connectors"]) == 0
    assert "airflow_conn_id" in capsys.readouterr().out


def test_settings_model_is_strict():
    with pytest.raises(ValueError, match="Extra inputs"):
        SqlConnectorConfig.model_validate({"url": "sqlite://", "nope": 1})


def test_an_http_connection_fills_a_rest_connectors_url_and_token(
    monkeypatch: pytest.MonkeyPatch,
):
    from connectors.bottlecrm import BottleCrmConnector

    monkeypatch.setenv(
        "AIRFLOW_CONN_CRM_API",
        json.dumps(
            {"conn_type": "http", "host": "crm.example", "schema": "https", "password": "pat-x1"}
        ),
    )
    connector = build_connector("crm", "bottlecrm", {"airflow_conn_id": "crm_api"})
    assert isinstance(connector, BottleCrmConnector)
    assert connector.config.base_url == "https://crm.example"
    assert connector.config.token.get_secret_value() == "pat-x1"
    connector.close()
