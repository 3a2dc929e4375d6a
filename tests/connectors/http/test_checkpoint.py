"""Checkpoints: file round trip, atomic replace, resume tokens bound to their window."""

from __future__ import annotations

from pathlib import Path

from connectors.base import PullWindow
from connectors.http import JsonFileCheckpoint, MemoryCheckpoint
from connectors.http.checkpoint import ResumePoint, read_resume_token, resume_token


def test_file_checkpoint_round_trip_and_clear(tmp_path: Path) -> None:
    checkpoint = JsonFileCheckpoint.under(tmp_path, "sf", "customer")
    assert checkpoint.load() is None
    checkpoint.save("token-1")
    checkpoint.save("token-2")
    assert JsonFileCheckpoint.under(tmp_path, "sf", "customer").load() == "token-2"
    assert list(checkpoint.path.parent.iterdir()) == [checkpoint.path]  # no temp file left
    checkpoint.clear()
    assert checkpoint.load() is None


def test_garbled_file_reads_as_no_checkpoint(tmp_path: Path) -> None:
    checkpoint = JsonFileCheckpoint(tmp_path / "c.json")
    checkpoint.path.write_text("{not json")
    assert checkpoint.load() is None


def test_resume_token_only_resumes_the_same_window() -> None:
    window = PullWindow("2024-05-01T10:00:00.000Z", "7")
    token = resume_token("customer", window, ResumePoint("2024-05-01T11:00:00.000Z", "42"))
    assert read_resume_token(token, "customer", window) == ResumePoint(
        "2024-05-01T11:00:00.000Z", "42"
    )
    assert read_resume_token(token, "customer", PullWindow("2024-05-02T00:00:00.000Z")) is None
    assert read_resume_token(token, "product", window) is None
    assert read_resume_token("garbage", "customer", window) is None
    memory = MemoryCheckpoint()
    memory.save(token)
    assert memory.load() == token and memory.saves == 1
