"""The review queue end to end: uncertain pairs are stored with their explanation, a
steward decides them through the CLI, and the next run applies the decisions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from store.golden import load_xrefs
from store.review import list_reviews
from store.schema import match_events
from sync.cli import main
from sync.context import SyncContext
from sync.runner import run_entity

from .sandbox_setup import write_sandbox_config


def _set_match(config: Path, **match: object) -> None:
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["entities"]["customer"]["match"] = match
    config.write_text(yaml.safe_dump(data), encoding="utf-8")


def _golden(links: dict[tuple[str, str], str], key: str) -> str:
    system, _entity, source_id = key.split("/", 2)
    return links[(system, source_id)]


@pytest.fixture(scope="module")
def queued(tmp_path_factory):
    """One customer run whose engine merges only near-certain pairs: a full queue."""
    folder = tmp_path_factory.mktemp("review")
    config = write_sandbox_config(folder)
    _set_match(config, method="engine", upper_threshold=0.9999, lower_threshold=0.3)
    ctx = SyncContext.open(config)
    first = run_entity(ctx, "customer")
    yield config, ctx, first
    ctx.close()


def test_uncertain_pairs_are_queued_with_their_explanation(queued):
    _config, ctx, first = queued
    assert first["status"] == "success"
    with ctx.engine.connect() as c:
        items = list_reviews(c, "customer")
        links = load_xrefs(c, "customer")
    assert len(items) >= 5
    for item in items:
        assert 0.3 <= item.probability < 0.9999
        assert item.run_id == first["run_id"] and item.status == "open"
        assert item.left_key < item.right_key
        assert item.left_golden_id == _golden(links, item.left_key)
        assert item.right_golden_id == _golden(links, item.right_key)
        assert item.left_golden_id != item.right_golden_id
        fields = {e["field"] for e in item.explanation}
        assert {"name", "email", "tax_id"} <= fields
        assert all(set(e) == {"field", "level", "agrees", "weight"} for e in item.explanation)
        assert any(e["agrees"] for e in item.explanation)


def test_cli_lists_shows_and_decides(queued, capsys):
    config, ctx, _first = queued
    with ctx.engine.connect() as c:
        items = list_reviews(c, "customer")
    assert main(["--config", str(config), "-q", "review", "list", "customer"]) == 0
    listing = capsys.readouterr().out
    assert all(str(item.id) in listing and item.left_key in listing for item in items)

    top = items[0]
    assert main(["--config", str(config), "-q", "review", "show", str(top.id)]) == 0
    shown = capsys.readouterr().out
    assert top.left_key in shown and top.right_key in shown
    assert "explanation" in shown and "name" in shown

    assert main(["--config", str(config), "-q", "review", "show", "999999"]) == 1
    assert "no review pair" in capsys.readouterr().out


@pytest.fixture(scope="module")
def decided(queued):
    """Merge the most probable pair, reject the next disjoint one, lower the threshold
    so that every open pair would match on its own, and run again."""
    config, ctx, _first = queued
    with ctx.engine.connect() as c:
        items = list_reviews(c, "customer")
    merged = items[0]
    rejected = next(
        item
        for item in items
        if {item.left_golden_id, item.right_golden_id}.isdisjoint(
            {merged.left_golden_id, merged.right_golden_id}
        )
        and item.probability >= 0.5
    )
    assert main(["--config", str(config), "-q", "review", "decide", str(merged.id), "merge",
                 "--by", "alice"]) == 0  # fmt: skip
    assert main(["--config", str(config), "-q", "review", "decide", str(rejected.id), "reject",
                 "--by", "bob"]) == 0  # fmt: skip
    _set_match(config, method="engine", upper_threshold=0.5, lower_threshold=0.3)
    second_ctx = SyncContext.open(config)
    second = run_entity(second_ctx, "customer")
    yield second_ctx, second, merged, rejected
    second_ctx.close()


def test_next_run_applies_a_merge_with_an_identity_event(decided):
    ctx, second, merged, _rejected = decided
    assert second["status"] == "success"
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        events = c.execute(
            select(
                match_events.c.event, match_events.c.golden_id, match_events.c.other_golden_ids
            ).where(match_events.c.run_id == second["run_id"])
        ).all()
        item = next(i for i in list_reviews(c, "customer", None) if i.id == merged.id)
    survivor = _golden(links, merged.left_key)
    assert _golden(links, merged.right_key) == survivor
    before = {merged.left_golden_id, merged.right_golden_id}
    assert survivor in before
    # A merge when the other golden record is left empty, a move when it keeps members.
    other = (before - {survivor}).pop()
    assert any(
        event in ("merge", "move") and golden_id == survivor and other in others
        for event, golden_id, others in events
    ), events
    assert (item.status, item.decided_by, item.applied_run) == (
        "merged",
        "alice",
        second["run_id"],
    )


def test_a_rejected_pair_is_never_matched(decided):
    ctx, second, _merged, rejected = decided
    with ctx.engine.connect() as c:
        links = load_xrefs(c, "customer")
        item = next(i for i in list_reviews(c, "customer", None) if i.id == rejected.id)
    assert _golden(links, rejected.left_key) != _golden(links, rejected.right_key)
    assert (item.status, item.decided_by, item.applied_run) == (
        "rejected",
        "bob",
        second["run_id"],
    )


def test_pairs_no_longer_uncertain_are_superseded(decided):
    ctx, second, _merged, _rejected = decided
    with ctx.engine.connect() as c:
        superseded = list_reviews(c, "customer", "superseded")
        still_open = list_reviews(c, "customer")
    assert superseded
    assert all(item.run_id == second["run_id"] for item in superseded)
    assert all(item.probability < 0.5 for item in still_open)
