"""Plumbing shared by the peer scripts: venvs, ports, processes, snapshots.

Everything here is deliberately small and synchronous: the peers are started once per
test session, so clarity beats cleverness.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[3]
"""The repository root (``/work/main``)."""

PEERS_DIR = Path(__file__).resolve().parent
"""This package's folder: requirement files and locks live here."""

STATE = Path(os.environ.get("CRMSYNC_PEERS_STATE", ROOT / ".state" / "peers"))
"""Where venvs, snapshots, databases, logs and pid files of the peers go."""

UV = ROOT / ".venv" / "bin" / "uv"
"""The project's uv, used to create the peers' venvs quickly."""


class PeerError(RuntimeError):
    """A peer could not be installed, initialised, started or reached."""


def log(message: str) -> None:
    """Print a progress line to stderr (pytest shows it with ``-s`` or on failure)."""
    print(f"[peers] {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) while in the block.

    Serialises first-time set-ups when two test sessions start at once.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sha256_file(path: Path) -> str:
    """Return the hex SHA-256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_python(version: str) -> Path:
    """Find an interpreter for ``version`` (e.g. ``"3.12"``).

    Looks at pyenv's installs first (``~/.pyenv/versions/<version>.*``, newest first),
    then on ``PATH``; the pyenv shims are skipped because they depend on the shell.

    Raises:
        PeerError: no such interpreter on this machine.
    """
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates = sorted(
        (pyenv_root / "versions").glob(f"{version}.*"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in p.name.split(".")],
        reverse=True,
    )
    for folder in candidates:
        exe = folder / "bin" / f"python{version}"
        if exe.exists():
            return exe
    found = shutil.which(f"python{version}")
    if found and "shims" not in found:
        return Path(found)
    raise PeerError(f"no python{version} found (looked in {pyenv_root}/versions and PATH)")


def ensure_venv(venv: Path, python_version: str, lock: Path) -> Path:
    """Create (or re-create) ``venv`` from a lock file; return its ``bin`` folder.

    The lock's hash is stored in ``venv/.lock-sha256``; when it differs the venv is
    rebuilt from scratch, so a changed lock never leaves stale packages behind.

    Raises:
        PeerError: the venv could not be created or the install failed.
    """
    marker = venv / ".lock-sha256"
    digest = sha256_file(lock)
    if marker.exists() and marker.read_text().strip() == digest:
        return venv / "bin"
    started = time.monotonic()
    log(f"building {venv.name} from {lock.name}")
    if venv.exists():
        shutil.rmtree(venv)
    python = find_python(python_version)
    if UV.exists():
        run([str(UV), "venv", "--quiet", "--python", str(python), str(venv)])
        run(
            [
                str(UV),
                "pip",
                "install",
                "--quiet",
                "--python",
                str(venv / "bin" / "python"),
                "-r",
                str(lock),
            ]
        )
    else:  # pragma: no cover - the project venv always has uv
        run([str(python), "-m", "venv", str(venv)])
        run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(lock)])
    marker.write_text(digest + "\n")
    log(f"{venv.name} ready in {time.monotonic() - started:.1f} s")
    return venv / "bin"


def run(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 900,
) -> str:
    """Run a command to completion and return its stdout.

    Raises:
        PeerError: non-zero exit (the message carries the tail of stderr), timeout,
            or a missing executable.
    """
    try:
        proc = subprocess.run(
            list(args),
            env=dict(env) if env is not None else None,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PeerError(f"{Path(args[0]).name} timed out after {timeout:.0f} s") from exc
    except OSError as exc:
        raise PeerError(f"cannot run {args[0]}: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise PeerError(f"{Path(args[0]).name} exited {proc.returncode}: {' | '.join(tail)}")
    return proc.stdout


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(
    url: str,
    *,
    method: str = "GET",
    json_body: object = None,
    timeout: float = 60,
    proc: subprocess.Popen[bytes] | None = None,
) -> httpx.Response:
    """Poll ``url`` until it answers with a 2xx status; return that response.

    Args:
        url: the URL to poll.
        method: HTTP method (``POST`` for JSON-RPC probes).
        json_body: JSON payload to send, if any.
        timeout: seconds before giving up.
        proc: the server process; if it exits meanwhile, fail at once.

    Raises:
        PeerError: the process died or the URL did not answer in time.
    """
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise PeerError(f"server exited with code {proc.returncode} before {url} answered")
        try:
            response = httpx.request(method, url, json=json_body, timeout=2)
        except httpx.HTTPError as exc:
            last = type(exc).__name__
        else:
            if response.is_success:
                return response
            last = f"HTTP {response.status_code}"
        time.sleep(0.1)
    raise PeerError(f"{url} did not answer within {timeout:.0f} s ({last})")


@dataclass
class Process:
    """A server started in its own process group, with its pid file and log."""

    pid: int
    pid_file: Path
    log_file: Path
    popen: subprocess.Popen[bytes] | None = None


def start_process(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    pid_file: Path,
    log_file: Path,
    cwd: Path | None = None,
) -> Process:
    """Start a server in a new session (its own process group); record its pid.

    The pid file holds JSON ``{"pid": ..., "cmd": [...]}`` so ``stop`` and ``status``
    work from another Python process too.
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        popen = subprocess.Popen(
            list(args),
            env=dict(env),
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    pid_file.write_text(json.dumps({"pid": popen.pid, "cmd": list(args)}))
    return Process(popen.pid, pid_file, log_file, popen)


def read_pid(pid_file: Path) -> int | None:
    """Return the pid recorded in ``pid_file`` if that process group is alive."""
    try:
        pid = int(json.loads(pid_file.read_text())["pid"])
    except (OSError, ValueError, KeyError):
        return None
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # pragma: no cover - someone else's process
        return None
    return pid


def stop_process(pid_file: Path, timeout: float = 10) -> bool:
    """Stop the process group recorded in ``pid_file`` (TERM, then KILL).

    Returns:
        True when a running group was stopped, False when none was running.
    """
    pid = read_pid(pid_file)
    pid_file.unlink(missing_ok=True)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our child
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    os.killpg(pid, signal.SIGKILL)
    return True


def group_rss_mb(pid: int) -> float:
    """Return the summed RSS (MB) of every process in the process group ``pid``."""
    total_kb = 0
    for status in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = status.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pid:  # field 5 of stat: pgrp
                continue
            for line in (status.parent / "status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
    return total_kb / 1024


def _sidecars(db_file: Path) -> list[Path]:
    return [db_file.with_name(db_file.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


def snapshot(db_file: Path, snapshot_file: Path) -> None:
    """Copy a SQLite file to ``snapshot_file`` (the server must be stopped).

    Any ``-wal``/``-shm`` file is folded into the main file first by a checkpoint, so
    the snapshot is one self-contained file.
    """
    import sqlite3

    with sqlite3.connect(db_file) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for extra in _sidecars(db_file):
        extra.unlink(missing_ok=True)
    snapshot_file.parent.mkdir(parents=True, exist_ok=True)
    tmp = snapshot_file.with_name(snapshot_file.name + ".tmp")
    shutil.copy2(db_file, tmp)
    tmp.replace(snapshot_file)


def restore(snapshot_file: Path, db_file: Path) -> None:
    """Replace ``db_file`` by the snapshot, deleting stale ``-wal``/``-shm`` first."""
    for extra in _sidecars(db_file):
        extra.unlink(missing_ok=True)
    db_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(snapshot_file, db_file)


def peer_cli(
    name: str,
    argv: Sequence[str],
    *,
    init: Any,
    start: Any,
    pid_file: Path,
    status: Any,
) -> int:
    """Run ``python -m tests.e2e.peers.<name> start|stop|status|init`` for one peer.

    Args:
        name: The peer module's name, for the usage line.
        argv: The command line after the module name (empty means ``status``).
        init: Builds the venv and snapshot.
        start: Starts the server and returns its (dataclass) description.
        pid_file: Where the running server's pid is recorded.
        status: Returns a dict describing the running server, or None.
    """
    command = (list(argv) or ["status"])[0]
    if command == "init":
        init()
    elif command == "start":
        started = time.monotonic()
        server = start()
        print(
            json.dumps(
                {
                    **asdict(server),
                    "run_dir": str(server.run_dir),
                    "seconds": round(time.monotonic() - started, 2),
                }
            )
        )
    elif command == "stop":
        print("stopped" if stop_process(pid_file) else "not running")
    elif command == "status":
        info = status()
        print(json.dumps(info) if info else "not running")
        return 0 if info else 3
    else:
        print(f"usage: python -m tests.e2e.peers.{name} start|stop|status|init; not {command!r}")
        return 2
    return 0


def describe_server(
    run_dir: Path, pid_name: str, probe: Callable[[str], dict[str, Any]]
) -> dict[str, Any] | None:
    """Describe the server recorded in ``run_dir`` (``probe(url)`` + RSS), or None if down."""
    pid = read_pid(run_dir / pid_name)
    info_file = run_dir / "server.json"
    if pid is None or not info_file.exists():
        return None
    info: dict[str, Any] = json.loads(info_file.read_text())
    info.update(probe(info["url"]))
    info["rss_mb"] = round(group_rss_mb(pid), 1)
    return info
