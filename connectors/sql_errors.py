"""How a database failure is classified, and the retry policy of SQL connectors.

Databases answer with SQLSTATE codes (psycopg: ``orig.sqlstate``; pyodbc: ``orig.args[0]``)
or, for SQLite and some connect failures, only a message. The classes mirror the HTTP
faults of REST connectors:

* **auth** (like 401): bad credentials, unknown user — SQLSTATE class 28.
* **denied** (like 403): no privilege on the object — 42501, MySQL 1142/1044/1045.
* **transient** (like 429/5xx/timeouts): connection exceptions (class 08), lock or
  statement timeouts, deadlocks and serialization failures, an unreachable server, a
  locked SQLite file.
* **fatal**: anything else (a missing column, a constraint violated by our data).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, NoSuchTableError

from connectors.errors import FatalError, RetriableError

log = logging.getLogger(__name__)

T = TypeVar("T")


class Failure(Enum):
    """The class of a database failure."""

    AUTH = "authentication failed"
    DENIED = "permission denied"
    TRANSIENT = "transient"
    FATAL = "failed"


_TRANSIENT_STATES = {
    "40001",  # serialization failure
    "40P01",  # deadlock detected (PostgreSQL)
    "55P03",  # lock not available (PostgreSQL lock_timeout)
    "57014",  # query canceled (statement_timeout)
    "57P01",  # admin shutdown
    "57P02",  # crash shutdown
    "57P03",  # cannot connect now (starting up)
    "53300",  # too many connections
    "HYT00",  # ODBC timeout expired
    "HYT01",  # ODBC connection timeout expired
    "40003",  # statement completion unknown
}
_AUTH_MESSAGES = (
    "password authentication failed",
    "authentication failed",
    "access denied for user",
    "no pg_hba.conf entry",
)
_DENIED_MESSAGES = ("permission denied", "command denied", "readonly database", "read-only")
_TRANSIENT_MESSAGES = (
    "database is locked",
    "database table is locked",
    "lock wait timeout",
    "deadlock",
    "could not obtain lock",
    "canceling statement due to lock timeout",
    "canceling statement due to statement timeout",
    "connection refused",
    "can't connect to server",
    "could not connect",
    "server closed the connection",
    "connection reset",
    "lost connection",
    "server has gone away",
    "timeout expired",
    "is the server running",
    "too many connections",
    "max_user_connections",
)


def _sqlstate(exc: DBAPIError) -> str | None:
    orig = exc.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if isinstance(state, str):
        return state
    args = getattr(orig, "args", ())
    if args and isinstance(args[0], str) and len(args[0]) == 5 and args[0].isalnum():
        return args[0]
    return None


def classify(exc: DBAPIError) -> Failure:
    """Return the class of a database failure (see the module docstring)."""
    state = _sqlstate(exc)
    message = str(exc.orig).lower()
    unknown_role = "role" in message and "does not exist" in message
    if (
        (state and state.startswith("28"))
        or unknown_role
        or any(m in message for m in _AUTH_MESSAGES)
    ):
        return Failure.AUTH
    if state == "42501" or any(m in message for m in _DENIED_MESSAGES):
        return Failure.DENIED
    if state and (state in _TRANSIENT_STATES or state.startswith("08")):
        return Failure.TRANSIENT
    if any(m in message for m in _TRANSIENT_MESSAGES):
        return Failure.TRANSIENT
    return Failure.FATAL


def reason(exc: DBAPIError) -> str:
    """One line saying what the database answered (never the statement's parameters)."""
    return " ".join(str(exc.orig).split())[:300]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a transient database failure is retried."""

    attempts: int = 4
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 30.0

    def wait(self, failures: int) -> float:
        """Seconds to wait after the ``failures``-th failure (exponential, capped)."""
        return min(self.backoff_seconds * 2 ** (failures - 1), self.max_backoff_seconds)


def raise_for(system: str, what: str, exc: DBAPIError, failure: Failure) -> None:
    """Raise FatalError for a failure retrying cannot fix (auth, denied, fatal)."""
    if failure is not Failure.TRANSIENT:
        raise FatalError(system, f"{what} {failure.value}: {reason(exc)}") from exc


class Retrier:
    """Counts failures against a policy and sleeps between attempts."""

    def __init__(self, system: str, what: str, policy: RetryPolicy) -> None:
        self.system = system
        self.what = what
        self.policy = policy
        self.failures = 0

    def failed(self, exc: DBAPIError) -> None:
        """Record a failure: raise when it is not transient or the policy is exhausted,
        otherwise wait before the next attempt."""
        failure = classify(exc)
        raise_for(self.system, self.what, exc, failure)
        self.failures += 1
        if self.failures >= self.policy.attempts:
            raise RetriableError(
                self.system,
                f"{self.what} failed {self.failures} times, giving up for now: {reason(exc)}",
            ) from exc
        pause = self.policy.wait(self.failures)
        log.warning(
            "%s: %s failed (%s), attempt %d of %d in %.1f s",
            self.system,
            self.what,
            reason(exc),
            self.failures + 1,
            self.policy.attempts,
            pause,
        )
        time.sleep(pause)

    def call(self, operation: Callable[[], T]) -> T:
        """Run ``operation``, retrying transient failures under the policy."""
        while True:
            try:
                return operation()
            except NoSuchTableError as exc:
                raise FatalError(self.system, f"table {str(exc)!r} does not exist") from exc
            except DBAPIError as exc:
                self.failed(exc)
