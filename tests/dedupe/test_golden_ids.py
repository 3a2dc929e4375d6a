"""Tests of stable golden id assignment across runs."""

from __future__ import annotations

import itertools

from dedupe.golden_ids import assign_golden_ids


def ids():
    counter = itertools.count(1)
    return lambda prefix: f"{prefix}-new{next(counter)}"


def test_new_clusters_get_new_ids():
    result = assign_golden_ids([["a", "b"], ["c"]], {}, set(), "GC", ids())
    assert result.golden_of == {"a": "GC-new1", "b": "GC-new1", "c": "GC-new2"}
    assert [e.event for e in result.events] == ["create", "create"]


def test_unchanged_clusters_keep_their_ids():
    previous = {"a": "G1", "b": "G1", "c": "G2"}
    result = assign_golden_ids([["a", "b"], ["c"]], previous, {"G1", "G2"}, "GC", ids())
    assert result.golden_of == previous
    assert result.events == []


def test_new_record_joins_existing_cluster():
    previous = {"a": "G1", "b": "G1"}
    result = assign_golden_ids([["a", "b", "d"]], previous, {"G1"}, "GC", ids())
    assert result.golden_of["d"] == "G1"
    assert result.events == []


def test_merge_keeps_majority_id_and_retires_other():
    previous = {"a": "G1", "b": "G1", "c": "G2"}
    result = assign_golden_ids([["a", "b", "c"]], previous, {"G1", "G2"}, "GC", ids())
    assert set(result.golden_of.values()) == {"G1"}
    assert result.retired == {"G2"}
    kinds = sorted(e.event for e in result.events)
    assert kinds == ["merge", "retire"]
    merge = next(e for e in result.events if e.event == "merge")
    assert merge.other_golden_ids == ("G2",)


def test_split_keeps_id_for_bigger_part():
    previous = {"a": "G1", "b": "G1", "c": "G1"}
    result = assign_golden_ids([["a", "b"], ["c"]], previous, {"G1"}, "GC", ids())
    assert result.golden_of["a"] == result.golden_of["b"] == "G1"
    assert result.golden_of["c"] == "GC-new1"
    split = next(e for e in result.events if e.event == "split")
    assert split.other_golden_ids == ("G1",)


def test_vanished_cluster_is_retired():
    result = assign_golden_ids([["a"]], {"a": "G1", "z": "G9"}, {"G1", "G9"}, "GC", ids())
    assert result.retired == {"G9"}


def test_anchored_records_keep_their_link_whatever_the_matcher_says():
    previous = {"a": "G1", "b": "G1", "c": "G2"}
    # The matcher now glues all three; a and c are anchored (unchanged since linked).
    result = assign_golden_ids(
        [["a", "b", "c"]], previous, {"G1", "G2"}, "GC", ids(), anchored={"a", "c"}
    )
    assert result.golden_of == {"a": "G1", "b": "G1", "c": "G2"}
    assert result.events == []


def test_free_record_joins_majority_anchor():
    previous = {"a": "G1", "b": "G1", "c": "G2"}
    result = assign_golden_ids(
        [["a", "b", "c", "new"]], previous, {"G1", "G2"}, "GC", ids(), anchored={"a", "b", "c"}
    )
    assert result.golden_of["new"] == "G1"


def test_anchored_split_off_by_matcher_keeps_id():
    previous = {"a": "G1", "b": "G1"}
    result = assign_golden_ids([["a"], ["b"]], previous, {"G1"}, "GC", ids(), anchored={"a", "b"})
    assert result.golden_of == {"a": "G1", "b": "G1"}
    assert result.retired == set()


def test_record_moving_between_living_golden_records_is_a_move_event():
    previous = {"a": "G1", "b": "G1", "c": "G2", "d": "G2"}
    # b changed at its source and now matches c and d; a stays alone.
    result = assign_golden_ids(
        [["a"], ["b", "c", "d"]], previous, {"G1", "G2"}, "GC", ids(), anchored={"a", "c", "d"}
    )
    assert result.golden_of == {"a": "G1", "b": "G2", "c": "G2", "d": "G2"}
    assert [(e.event, e.golden_id, e.other_golden_ids, e.members) for e in result.events] == [
        ("move", "G2", ("G1",), ("b",))
    ]
