"""``python -m bench.connectors``: the SQL benchmark, then (optionally) every peer benchmark.

Each registered benchmark runs in its own process; its table is printed as it is, and
its peak RSS (the benchmark process: connector and hand-written peer side, not the peer
server it starts) is added. Usage::

    python -m bench.connectors [--rows 100000] [--push-rows 10000] [--peers]
        [--records 2000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from bench.connectors import peer_benchmarks


def _run(module: str, arguments: list[str]) -> tuple[int, float]:
    """Run ``python -m bench.connectors.<module>``; return its exit code and peak RSS (MB)."""
    process = subprocess.Popen([sys.executable, "-m", f"bench.connectors.{module}", *arguments])
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, usage.ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; exit non-zero when one failed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="SQL: rows per table")
    parser.add_argument("--push-rows", type=int, default=10_000, help="SQL: upserted rows")
    parser.add_argument(
        "--peers",
        action="store_true",
        default=os.environ.get("CRMSYNC_E2E") == "1",
        help="also run the peer benchmarks (default when CRMSYNC_E2E=1)",
    )
    parser.add_argument("--records", type=int, default=2000, help="peers: records per entity")
    args = parser.parse_args(argv)
    runs = [("sql", ["--rows", str(args.rows), "--push-rows", str(args.push_rows)])]
    if args.peers:
        runs += [(name, ["--records", str(args.records)]) for name in peer_benchmarks()]
    failed = []
    for module, arguments in runs:
        code, peak = _run(module, arguments)
        print(f"[{module}: exit {code}, benchmark process peak RSS {peak:.0f} MB]\n", flush=True)
        if code:
            failed.append(module)
    if not args.peers:
        names = ", ".join(peer_benchmarks()) or "none"
        print(f"peer benchmarks not run ({names}): pass --peers or set CRMSYNC_E2E=1")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
