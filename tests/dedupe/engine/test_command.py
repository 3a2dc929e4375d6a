"""``run_dedupe_command`` on CSV files."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dedupe.engine.command import _write_clusters, run_dedupe_command

_RECORDS = """id,company,zip,tax,mail
1,Acme Pumps GmbH,10115,DE123456789,info@acme-pumps.de
2,ACME PUMPS G.m.b.H.,10115,DE 123 456 789,info@acme-pumps.de
3,Zeta Valves AG,80331,DE987654321,sales@zeta.de
4,Acme Pumpen GmbH,10115,de123456789,
5,Omega Tools Ltd,,GB111222333,
"""

_WORDS = ("North", "Blue", "Delta", "Pine", "Iron", "Star", "Lake", "Gold")
_FILLER = "".join(
    f"{10 + index},{first} {second} Trading Ltd,{20000 + index * 37},GB{100000 + index * 7919},\n"
    for index, (first, second) in enumerate(
        (a, b) for a in _WORDS for b in ("Works", "Tools", "Parts", "Labs", "Foods")
    )
)

_CONFIG = """id_column: id
u_sample_pairs: 1000
columns:
  company: company_name
  zip: postcode
  tax: tax_id
  mail: email
"""


def test_writes_clusters_and_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.csv").write_text(_RECORDS + _FILLER, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(_CONFIG, encoding="utf-8")
    code = run_dedupe_command(
        tmp_path / "in.csv",
        tmp_path / "c.yaml",
        tmp_path / "out.csv",
        scored_pairs_path=tmp_path / "pairs.csv",
    )
    assert code == 0
    out = pd.read_csv(tmp_path / "out.csv", dtype=str)
    assert list(out.columns) == ["record_id", "cluster_id"]
    assert len(out) == 45
    cluster = dict(zip(out["record_id"], out["cluster_id"], strict=True))
    assert cluster["1"] == cluster["2"] == cluster["4"]
    assert len({cluster["1"], cluster["3"], cluster["5"]}) == 3
    assert out["cluster_id"].nunique() == 43
    pairs = pd.read_csv(tmp_path / "pairs.csv")
    assert {"probability", "tax_level", "tax_weight"} <= set(pairs.columns)
    assert "blocking:" in capsys.readouterr().err


def test_config_errors_name_the_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "in.csv").write_text(_RECORDS, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(
        _CONFIG.replace("zip: postcode", "zip: zipcode").replace("mail: email", "phone: phone"),
        encoding="utf-8",
    )
    code = run_dedupe_command(
        tmp_path / "in.csv", tmp_path / "c.yaml", tmp_path / "out.csv", progress=False
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "columns.zip: unknown type 'zipcode'" in err
    assert not (tmp_path / "out.csv").exists()


def test_missing_column_and_parquet_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "in.csv").write_text(_RECORDS, encoding="utf-8")
    (tmp_path / "c.yaml").write_text(_CONFIG + "  phone: phone\n", encoding="utf-8")
    assert run_dedupe_command(tmp_path / "in.csv", tmp_path / "c.yaml", tmp_path / "o.csv") == 2
    assert "columns.phone: column 'phone' is not in the input" in capsys.readouterr().err
    (tmp_path / "ok.yaml").write_text(_CONFIG, encoding="utf-8")
    (tmp_path / "in.parquet").write_bytes(b"PAR1 not really parquet")
    code = run_dedupe_command(tmp_path / "in.parquet", tmp_path / "ok.yaml", tmp_path / "o.csv")
    assert code == 2
    if importlib.util.find_spec("pyarrow") is None:
        assert "Parquet needs pyarrow" in capsys.readouterr().err


def test_the_command_does_not_load_the_pipeline_matcher() -> None:
    """``crmsync dedupe`` start-up skips ``dedupe.matcher``; ``from dedupe import`` still works."""
    script = (
        "import sys\n"
        "import dedupe.engine.command\n"
        "assert 'dedupe.matcher' not in sys.modules, 'matcher loaded eagerly'\n"
        "from dedupe import MatchOptions, match_customers, pairwise_scores\n"
        "import dedupe.matcher, dedupe.evaluate\n"
        "assert match_customers is dedupe.matcher.match_customers\n"
        "assert MatchOptions is dedupe.matcher.MatchOptions\n"
        "assert pairwise_scores is dedupe.evaluate.pairwise_scores\n"
        "assert 'match_products' in dir(dedupe)\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=120)


@pytest.mark.parametrize(
    "ids",
    [
        ["1", "2", "10", "Ä-7 x"],
        ["a,b", "c", "d"],
        ['say "x"', "y", "z"],
        ["line\nbreak", "q", "r"],
        ["cr\rx", "s", "t"],
        ["", "u", "v"],
    ],
)
def test_clusters_file_is_what_pandas_writes(tmp_path: Path, ids: list[str]) -> None:
    index = pd.Index(ids, name="record_id")
    clusters = pd.Series([ids[0], ids[0], ids[2]] + ids[3:], index=index, name="cluster_id")
    fast, slow = tmp_path / "fast.csv", tmp_path / "slow.csv"
    _write_clusters(clusters, fast)
    clusters.reset_index().to_csv(slow, index=False)
    assert fast.read_bytes() == slow.read_bytes()
