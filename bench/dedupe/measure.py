"""Run one benchmark side as a child process and measure its wall time, CPU and peak RSS.

Peak RSS is the kernel's high-water mark of that one child: the harness starts it with
:class:`subprocess.Popen` and reaps it with :func:`os.wait4`, whose ``ru_maxrss`` belongs
to that child alone (unlike ``getrusage(RUSAGE_CHILDREN)``, which keeps the maximum over
all children ever reaped). While it runs, ``/proc/<pid>/status`` (``VmRSS``) is polled
twice a second to stop a child that passes the memory cap; the wall-clock cap is checked
in the same loop. Wall time runs from just before the start to the reaping, so it
includes interpreter start-up and imports. CPU time is user + system time of the child
and of its own children (forked workers, reaped before it ends), from the same
``wait4``: on cores shared with other work it moves less than wall time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measured", "run_measured"]

_POLL_SECONDS = 0.5


@dataclass(frozen=True)
class Measured:
    """What one child run cost.

    Attributes:
        returncode: Exit code (negative: killed by that signal).
        wall_seconds: Wall-clock time from start to exit.
        peak_rss_mb: Kernel high-water mark of the child's resident memory (MiB).
        cpu_seconds: User + system CPU time of the child and its reaped children.
        polled_peak_rss_mb: Highest ``VmRSS`` seen while polling (MiB).
        stopped: Why the harness stopped the child (``""`` if it ended by itself).
    """

    returncode: int
    wall_seconds: float
    peak_rss_mb: float
    polled_peak_rss_mb: float
    stopped: str
    cpu_seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the child finished by itself with exit code 0."""
        return self.returncode == 0 and not self.stopped


def _vm_rss_mb(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return 0.0


def run_measured(
    command: Sequence[str],
    log: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout_seconds: float | None = None,
    max_rss_mb: float | None = None,
) -> Measured:
    """Run ``command``, its output to ``log``, and measure it.

    Args:
        command: The child's argv.
        log: File that receives the child's stdout and stderr.
        env: Environment of the child (default: inherited).
        timeout_seconds: Stop (SIGKILL) the child after this many seconds.
        max_rss_mb: Stop the child when its resident memory passes this.

    Returns:
        Exit code, wall time, peak RSS and why it was stopped, if it was.
    """
    stopped = ""
    polled = 0.0
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        child = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.STDOUT, env=dict(env or os.environ)
        )
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            polled = max(polled, _vm_rss_mb(child.pid))
            elapsed = time.perf_counter() - started
            if not stopped and timeout_seconds is not None and elapsed > timeout_seconds:
                stopped = f"timeout after {elapsed:.0f} s"
            if not stopped and max_rss_mb is not None and polled > max_rss_mb:
                stopped = f"memory cap: RSS {polled:.0f} MB > {max_rss_mb:.0f} MB"
            if stopped:
                os.kill(child.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(child.pid, 0)
                break
            time.sleep(_POLL_SECONDS)
        wall = time.perf_counter() - started
    returncode = os.waitstatus_to_exitcode(status)
    child.returncode = returncode  # reaped here, so Popen must not wait again
    return Measured(
        returncode=returncode,
        wall_seconds=round(wall, 2),
        peak_rss_mb=round(usage.ru_maxrss / 1024, 1),
        polled_peak_rss_mb=round(polled, 1),
        stopped=stopped,
        cpu_seconds=round(usage.ru_utime + usage.ru_stime, 2),
    )
