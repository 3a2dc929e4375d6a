"""The matching benchmark: crmsync and Splink on the same generated records, side by side.

For each requested size: generate (or reuse from ``bench/out/data``) the records and
their truth; run crmsync's matcher and Splink, each in its own child process measured
by :mod:`bench.dedupe.measure` (wall time, peak RSS); score both clusterings with
:mod:`bench.dedupe.metrics`; print a table with the ratios crmsync / Splink and write
``bench/out/dedupe-<n>.json``. Splink runs in ``.venv-splink``, created here on first use
from ``bench/dedupe/requirements-splink.lock``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.dedupe.febrl import CONFIGS, FEBRL, load_febrl
from bench.dedupe.generate import DEFAULT_SEED, Dataset, load_or_generate
from bench.dedupe.measure import Measured, run_measured
from bench.dedupe.metrics import score_files

__all__ = ["ROOT", "ensure_splink_venv", "main", "run_febrl", "run_size"]

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "bench" / "dedupe" / "requirements-splink.lock"
SPLINK_VENV = ROOT / ".venv-splink"
_ROWS = (
    ("pairwise precision", "pair_precision", "{:.4f}"),
    ("pairwise recall", "pair_recall", "{:.4f}"),
    ("pairwise F1", "pair_f1", "{:.4f}"),
    ("B-cubed precision", "bcubed_precision", "{:.4f}"),
    ("B-cubed recall", "bcubed_recall", "{:.4f}"),
    ("B-cubed F1", "bcubed_f1", "{:.4f}"),
    ("wall time (s)", "wall_seconds", "{:.1f}"),
    ("CPU time (s)", "cpu_seconds", "{:.1f}"),
    ("peak RSS (MB)", "peak_rss_mb", "{:.0f}"),
)


def ensure_splink_venv(venv: Path = SPLINK_VENV, lock: Path = LOCK) -> Path:
    """Create or refresh the Splink virtualenv when the lock file changed.

    Args:
        venv: Where the virtualenv lives.
        lock: The pinned requirements.

    Returns:
        Its Python interpreter.
    """
    python = venv / "bin" / "python"
    marker = venv / ".bench-lock-sha256"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    if python.exists() and marker.exists() and marker.read_text().strip() == digest:
        return python
    print(f"· installing Splink into {venv} …", flush=True)
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "uv"], check=True)
    uv = venv / "bin" / "uv"
    subprocess.run(
        [str(uv), "pip", "install", "--quiet", "--python", str(python), "-r", str(lock)],
        check=True,
    )
    marker.write_text(digest)
    return python


def _side(
    name: str,
    command: list[str],
    folder: Path,
    dataset: Dataset,
    limits: dict[str, float | None],
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run one side, then score its output; failures are recorded, not raised."""
    print(f"· {name} on {dataset.meta['records']:,} records …", flush=True)
    out = folder / f"{name}.csv"
    measured: Measured = run_measured(
        [*command, str(dataset.records), str(out)],
        folder / f"{name}.log",
        env=env,
        timeout_seconds=limits["timeout_seconds"],
        max_rss_mb=limits["max_rss_mb"],
    )
    result: dict[str, Any] = {
        "status": "ok" if measured.ok else "failed",
        **asdict(measured),
        "load_average_at_end": _load(),
    }
    if measured.stopped:
        result["status"] = f"stopped ({measured.stopped})"
    elif not measured.ok:
        result["status"] = f"failed (exit {measured.returncode}, see {name}.log)"
    info = out.with_suffix(".json")
    if measured.ok and info.exists():
        result["details"] = json.loads(info.read_text(encoding="utf-8"))
        result["scores"] = score_files(out, dataset.truth).as_dict()
    print(
        f"  {result['status']}: {measured.wall_seconds:.1f} s, CPU {measured.cpu_seconds:.1f} s, "
        f"{measured.peak_rss_mb:.0f} MB peak RSS, load {result['load_average_at_end']}",
        flush=True,
    )
    return result


def _load() -> str:
    """The 1, 5 and 15 minute load averages, for the record (the cores may be shared)."""
    try:
        return " ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:  # pragma: no cover - no load average on this system
        return "?"


def _value(side: dict[str, Any], key: str) -> float | None:
    if key in ("wall_seconds", "cpu_seconds", "peak_rss_mb"):
        return float(side[key])
    scores = side.get("scores")
    return float(scores[key]) if scores else None


def _table(report: dict[str, Any]) -> str:
    sides = report["sides"]
    names = list(sides)
    header = f"{'':22}" + "".join(f"{name:>12}" for name in names)
    paired = "crmsync" in sides and "splink" in sides
    if paired:
        header += f"{'crmsync/Splink':>16}"
    lines = [header]
    for label, key, fmt in _ROWS:
        values = [_value(sides[name], key) for name in names]
        cells = "".join(f"{fmt.format(v) if v is not None else '—':>12}" for v in values)
        ratio = ""
        if paired:
            left, right = _value(sides["crmsync"], key), _value(sides["splink"], key)
            ratio = f"{left / right:>16.2f}" if left is not None and right else f"{'—':>16}"
        lines.append(f"{label:22}{cells}{ratio}")
    for name in names:
        if sides[name]["status"] != "ok":
            lines.append(f"{name}: {sides[name]['status']}")
    return "\n".join(lines)


def _report(
    label: str,
    dataset: Dataset,
    sides: dict[str, dict[str, Any]],
    out_root: Path,
) -> dict[str, Any]:
    report: dict[str, Any] = {
        "dataset": label,
        "records": dataset.meta["records"],
        "meta": dataset.meta,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "sides": sides,
    }
    if "splink" in sides:
        report["ratios_crmsync_over_splink"] = {
            key: round(left / right, 3)
            for _, key, _ in _ROWS
            if (left := _value(sides["crmsync"], key)) is not None
            and (right := _value(sides["splink"], key))
        }
    report["table"] = _table(report)
    (out_root / f"dedupe-{label}.json").write_text(json.dumps(report, indent=2), "utf-8")
    return report


def run_size(
    records: int,
    *,
    seed: int = DEFAULT_SEED,
    out_root: Path = ROOT / "bench" / "out",
    skip_splink: bool = False,
    with_skeleton: bool = False,
    limits: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    """Benchmark both sides on one generated data set size.

    Args:
        records: Number of generated records.
        seed: Generator seed.
        out_root: Output folder (data cache, run folders, JSON reports).
        skip_splink: Run crmsync only.
        with_skeleton: Also run the skeleton's rule-based matcher.
        limits: ``timeout_seconds`` and ``max_rss_mb`` per side (``None``: no limit).

    Returns:
        The report (also written to ``out_root/dedupe-<records>.json``).
    """
    limits = limits or {"timeout_seconds": None, "max_rss_mb": None}
    dataset = load_or_generate(records, out_root / "data", seed)
    print(f"· data: {dataset.folder} ({json.dumps(dataset.meta)})", flush=True)
    folder = out_root / f"dedupe-{records}"
    folder.mkdir(parents=True, exist_ok=True)
    # "crmsync" is the Fellegi–Sunter engine behind `crmsync dedupe`; "skeleton" is the
    # rule-based matcher the pipeline used first, kept as a baseline on request.
    sides = {
        "crmsync": _side(
            "crmsync",
            [sys.executable, "-m", "bench.dedupe.engine_side"],
            folder,
            dataset,
            limits,
        )
    }
    if not skip_splink:
        python = ensure_splink_venv()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [str(python), "-m", "bench.dedupe.splink_side"]
        sides["splink"] = _side("splink", command, folder, dataset, limits, env)
    if with_skeleton:
        sides["skeleton"] = _side(
            "skeleton", [sys.executable, "-m", "bench.dedupe.crmsync_side"], folder, dataset, limits
        )
    return _report(str(records), dataset, sides, out_root)


def run_febrl(
    name: str,
    *,
    out_root: Path = ROOT / "bench" / "out",
    skip_splink: bool = False,
    limits: dict[str, float | None] | None = None,
) -> dict[str, Any]:
    """Benchmark both sides on one FEBRL data set (:mod:`bench.dedupe.febrl`).

    Args:
        name: ``febrl1`` … ``febrl4``.
        out_root: Output folder.
        skip_splink: Run crmsync only.
        limits: ``timeout_seconds`` and ``max_rss_mb`` per side.

    Returns:
        The report (also written to ``out_root/dedupe-<name>.json``).
    """
    limits = limits or {"timeout_seconds": None, "max_rss_mb": None}
    python = ensure_splink_venv()
    dataset = load_febrl(name, out_root / "data", python)
    link = bool(dataset.meta["link"])
    folder = out_root / f"dedupe-{name}"
    folder.mkdir(parents=True, exist_ok=True)
    config = CONFIGS["link" if link else "dedupe"]
    engine = [sys.executable, "-m", "bench.dedupe.engine_side", "--config", str(config)]
    sides = {"crmsync": _side("crmsync", engine, folder, dataset, limits)}
    if not skip_splink:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [str(python), "-m", "bench.dedupe.splink_febrl_side"]
        if link:
            command.append("--link")
        sides["splink"] = _side("splink", command, folder, dataset, limits, env)
    return _report(name, dataset, sides, out_root)


def main(argv: list[str] | None = None) -> int:
    """Command line of ``python -m bench.dedupe``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.dedupe", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--records", type=int, nargs="+", default=[100_000])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument(
        "--with-skeleton", action="store_true", help="also run the first rule-based matcher"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--timeout-minutes", type=float, default=25.0, help="per side")
    parser.add_argument("--max-rss-gb", type=float, default=12.0, help="per side")
    parser.add_argument(
        "--dataset",
        choices=("customers", "febrl", *FEBRL),
        default="customers",
        help="generated customers (sizes from --records), or the FEBRL sets (all or one)",
    )
    args = parser.parse_args(argv)
    limits: dict[str, float | None] = {
        "timeout_seconds": args.timeout_minutes * 60,
        "max_rss_mb": args.max_rss_gb * 1024,
    }
    if args.dataset != "customers":
        names = list(FEBRL) if args.dataset == "febrl" else [args.dataset]
        for name in names:
            report = run_febrl(name, out_root=args.out, skip_splink=args.skip_splink, limits=limits)
            meta = report["meta"]
            kind = "linkage of two sources" if meta["link"] else "dedup"
            print(f"\n{name}: {meta['records']:,} records, {meta['entities']:,} entities ({kind})")
            print(report["table"])
        return 0
    for records in args.records:
        report = run_size(
            records, seed=args.seed, out_root=args.out, skip_splink=args.skip_splink,
            with_skeleton=args.with_skeleton, limits=limits,
        )  # fmt: skip
        print(f"\n{records:,} records, {report['meta']['entities']:,} true entities")
        print(report["table"])
        print(f"wrote {args.out / f'dedupe-{records}.json'}\n", flush=True)
    return 0
