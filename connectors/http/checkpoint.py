"""Checkpoints: where an interrupted pull resumes.

A connector given a :class:`Checkpoint` calls :meth:`Checkpoint.save` after each page it
has handed out completely, with an opaque resume token, and :meth:`Checkpoint.clear` when
the pull finished. A new pull of the same window first calls :meth:`Checkpoint.load` and
continues after the token instead of from the start.

The contract with the caller: by the time ``save`` returns, the records handed out so far
must be durable (the pull stage lands them and the token in one transaction, or keeps
them in its own staging before it lets the connector continue); otherwise a resumed pull
would skip records nobody kept.

:func:`resume_token` / :func:`read_resume_token` give the token the HTTP connectors use:
the window it belongs to and the (timestamp, key) of the last record handed out, which,
unlike a server-side cursor, never expires.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from connectors.base import PullWindow


class Checkpoint(Protocol):
    """Keeps one pull's resume token between attempts."""

    def load(self) -> str | None:
        """Return the saved token, or None when the last pull finished (or none ran)."""
        ...

    def save(self, token: str) -> None:
        """Remember ``token``: everything before it has been handed out and kept."""
        ...

    def clear(self) -> None:
        """Forget the token (the pull finished)."""
        ...


class MemoryCheckpoint:
    """A checkpoint held in memory (one process; tests and single-task runs)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.saves = 0

    def load(self) -> str | None:
        """Return the saved token."""
        return self.token

    def save(self, token: str) -> None:
        """Remember ``token``."""
        self.token = token
        self.saves += 1

    def clear(self) -> None:
        """Forget the token."""
        self.token = None


class JsonFileCheckpoint:
    """A checkpoint in a small JSON file (written atomically: a crash leaves old or new)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def under(cls, state_dir: Path, system: str, entity: str) -> JsonFileCheckpoint:
        """Return the checkpoint of ``system``'s ``entity`` pull in ``state_dir``."""
        return cls(state_dir / "checkpoints" / f"{system}.{entity}.json")

    def load(self) -> str | None:
        """Return the saved token, or None when there is no (readable) file."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        token = data.get("token") if isinstance(data, dict) else None
        return token if isinstance(token, str) else None

    def save(self, token: str) -> None:
        """Write ``token`` to the file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_suffix(".tmp")
        partial.write_text(json.dumps({"token": token}), encoding="utf-8")
        os.replace(partial, self.path)

    def clear(self) -> None:
        """Delete the file."""
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class ResumePoint:
    """The last record handed out: resume strictly after (stamp, key)."""

    stamp: str
    key: str


def _fingerprint(entity: str, window: PullWindow) -> list[object]:
    return [entity, window.since, window.since_key, window.full_refresh]


def resume_token(entity: str, window: PullWindow, point: ResumePoint) -> str:
    """Return the resume token for a pull of ``entity`` over ``window`` stopped at ``point``."""
    return json.dumps(
        {"window": _fingerprint(entity, window), "after": [point.stamp, point.key]},
        separators=(",", ":"),
    )


def read_resume_token(token: str | None, entity: str, window: PullWindow) -> ResumePoint | None:
    """Return where to resume, or None when ``token`` is absent, garbled or for another window."""
    if not token:
        return None
    try:
        data = json.loads(token)
        if data["window"] != _fingerprint(entity, window):
            return None
        stamp, key = data["after"]
    except (ValueError, KeyError, TypeError):
        return None
    return ResumePoint(str(stamp), str(key))
