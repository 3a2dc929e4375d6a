"""Background: a job in a forked process gives what it gives when run here."""

from __future__ import annotations

import os

import numpy as np
import pytest

from dedupe.engine.background import Background, can_fork


def _square_sum_and_pid(values: np.ndarray, offset: int) -> tuple[int, int]:
    return int((values**2).sum()) + offset, os.getpid()


def _fail(message: str) -> None:
    raise ValueError(message)


@pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")
def test_forked_job_reads_its_arguments_and_returns_its_value() -> None:
    values = np.arange(100_000, dtype=np.int64)
    job = Background(_square_sum_and_pid, values, 5)
    assert job.forked
    total, pid = job.result()
    assert total == int((values**2).sum()) + 5
    assert pid != os.getpid()


def test_disabled_job_runs_here() -> None:
    job = Background(_square_sum_and_pid, np.arange(10, dtype=np.int64), 1, enabled=False)
    assert not job.forked
    assert job.result() == (286, os.getpid())


@pytest.mark.parametrize("enabled", [True, False])
def test_errors_of_the_job_reach_the_caller(enabled: bool) -> None:
    job = Background(_fail, "broken", enabled=enabled)
    with pytest.raises(ValueError, match="broken"):
        job.result()
