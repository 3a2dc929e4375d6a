"""Work done in a forked second process while this one goes on with other work.

The child is forked after the job is registered, so it reads its (large) arguments from
the parent's memory instead of receiving them pickled; only the result travels back.
Without ``fork`` (or when not wanted) the job runs here, when its result is asked for.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Generic, TypeVar

__all__ = ["Background", "can_fork"]

R = TypeVar("R")

# Jobs a forked child runs: registered before the fork, so the child inherits them.
_JOBS: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}


def can_fork() -> bool:
    """Whether a second process can share the work: two cores and ``fork``."""
    return (os.cpu_count() or 1) >= 2 and "fork" in multiprocessing.get_all_start_methods()


def _run_registered(key: int) -> Any:
    function, args = _JOBS[key]
    return function(*args)


class Background(Generic[R]):
    """``function(*args)`` in a forked process (or later, here); ask :meth:`result`.

    Args:
        function: What to compute.
        *args: Its arguments (read by the child from the fork, never pickled).
        enabled: Fork when possible; otherwise compute here in :meth:`result`.
    """

    def __init__(self, function: Callable[..., R], *args: Any, enabled: bool = True) -> None:
        self._function = function
        self._args = args
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future[R] | None = None
        if enabled and can_fork():
            key = id(self)
            _JOBS[key] = (function, args)
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("fork")
                )
                self._future = self._pool.submit(_run_registered, key)
            finally:
                # The executor forks its worker on submit; the parent no longer needs it.
                _JOBS.pop(key, None)

    @property
    def forked(self) -> bool:
        """Whether the job runs in a second process."""
        return self._future is not None

    def result(self) -> R:
        """The function's value (waits for the child, which is then reaped)."""
        if self._future is None or self._pool is None:
            return self._function(*self._args)
        try:
            return self._future.result()
        finally:
            self._pool.shutdown()
