"""Tests of the ``crmsync`` command line."""

from __future__ import annotations

import json

import pytest

from sync.cli import main
from tests.sync.sandbox_setup import write_sandbox_config


def test_help_explains_every_command(capsys):
    with pytest.raises(SystemExit) as caught:
        main(["--help"])
    assert caught.value.code == 0
    text = capsys.readouterr().out
    for command in ("demo", "run", "seed", "migrate", "dictionary"):
        assert command in text
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    assert "{customer,contact,product,order,all}" in capsys.readouterr().out


def test_run_json_prints_the_summary_last(tmp_path, capsys):
    config = write_sandbox_config(tmp_path, companies=40)
    assert main(["--config", str(config), "run", "all", "--json"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    assert set(summary) == {"customer", "product"}
    for entity in summary.values():
        assert set(entity["pulled"]) == {"sandbox_crm", "sandbox_erp"}
        assert set(entity["quarantined"]) == {"sandbox_crm", "sandbox_erp"}
        assert entity["golden_records"] > 0
        assert entity["merged_source_records"] >= 0
        for counts in entity["targets"].values():
            assert set(counts) == {"created", "updated", "unchanged"}
        # What the run leaves for people, per target where it is per target.
        assert set(entity["review"]) == {"open", "new"}
        assert entity["review"]["new"] <= entity["review"]["open"]
        assert set(entity["dead_letters"]) == set(entity["deferred"]) == set(entity["targets"])
        assert entity["approvals_pending"] == 0 and entity["golden_held"] >= 0


def test_seed_refuses_to_overwrite(tmp_path, capsys):
    config = write_sandbox_config(tmp_path, companies=20)
    assert main(["--config", str(config), "seed"]) == 2
    assert "exist" in capsys.readouterr().err
    assert main(["--config", str(config), "seed", "--force"]) == 0


def test_bad_config_exits_2_naming_file_and_key(tmp_path, capsys):
    config = tmp_path / "crmsync.yaml"
    config.write_text("systems: {}\nentities: {customer: {sources: [x]}}\n", encoding="utf-8")
    assert main(["--config", str(config), "run", "customer"]) == 2
    err = capsys.readouterr().err
    assert str(config) in err and "unknown system 'x'" in err


def test_dictionary_to_stdout(capsys):
    assert main(["dictionary"]) == 0
    assert "## customer" in capsys.readouterr().out


def test_dedupe_command_on_a_csv(tmp_path, capsys):
    records = tmp_path / "people.csv"
    records.write_text(
        "id,name,city,email\n"
        "1,Acme Pumpen GmbH,Hamburg,info@acme.de\n"
        "2,ACME Pumpen Gesellschaft mit beschränkter Haftung,Hamburg,info@acme.de\n"
        "3,Nordstern Logistik AG,München,kontakt@nordstern.de\n",
        encoding="utf-8",
    )
    config = tmp_path / "dedupe.yaml"
    config.write_text(
        "id_column: id\ncolumns: {name: company_name, city: city, email: email}\n",
        encoding="utf-8",
    )
    out = tmp_path / "clusters.csv"
    assert main(["-q", "dedupe", str(records), "--config", str(config), "--out", str(out)]) == 0
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0] == "record_id,cluster_id" and len(rows) == 4


def test_dedupe_config_errors_name_the_key(tmp_path, capsys):
    records = tmp_path / "r.csv"
    records.write_text("id,name\n1,A\n", encoding="utf-8")
    config = tmp_path / "dedupe.yaml"
    config.write_text("id_column: id\ncolumns: {name: zipcode}\n", encoding="utf-8")
    code = main(["dedupe", str(records), "--config", str(config), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "columns.name" in capsys.readouterr().err


def test_a_missing_source_table_fails_the_run_with_a_one_line_cause(tmp_path, capsys):
    config = write_sandbox_config(tmp_path, companies=20)
    (tmp_path / "sandbox" / "erp.db").unlink()  # the ERP database is gone
    assert main(["-q", "--config", str(config), "run", "customer"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("crmsync: FatalError: sandbox_erp: SQLite database")
    assert err[-1].endswith("does not exist")
    assert not (tmp_path / "sandbox" / "erp.db").exists()  # not silently re-created

    from store.runs import last_run
    from sync.context import SyncContext

    ctx = SyncContext.open(config)
    with ctx.engine.connect() as c:
        run = last_run(c, "customer")
    ctx.close()
    assert run is not None and run["status"] == "failed"
    assert "\n" not in run["cause"] and "erp.db does not exist" in run["cause"]
