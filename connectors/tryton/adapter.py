"""The shape every Tryton entity adapter has, and the push loop they share.

An adapter knows one entity: its root model, the models whose changes count as changes of
a root (:class:`~connectors.tryton.changes.ChangeSource`), how to flatten a root and its
related rows into one dict of columns (the names ``outbound.fields`` uses, so our own
writes echo back identically), and how to turn a dict of outbound columns back into one
Tryton write. Pushing is shared: a create first looks the golden id up (so a create
retried after a crash finds the record made the first time), an update writes only the
columns that differ (an unchanged record keeps its ``write_date``), and a record Tryton
refuses is reported in ``rejected`` while the others go on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from connectors.base import PushResult, PushRow
from connectors.errors import FatalError, RecordError
from connectors.http.windows import format_timestamp as format_stamp
from connectors.tryton.changes import ChangeSource, ChangeTracker
from connectors.tryton.config import TrytonConfig
from connectors.tryton.lookups import Lookups, UnknownReference
from connectors.tryton.rpc import TrytonRpc, TrytonUserError
from mappings.spec import MappingSpec

DEFAULT_GOLDEN_COLUMN = "crmsync_golden_id"


def blank(value: Any) -> bool:
    """Whether ``value`` is missing (None or whitespace)."""
    return value is None or (isinstance(value, str) and not value.strip())


def same_value(current: Any, wanted: Any) -> bool:
    """Whether a pulled value and a value to write are equal (blank = blank, 10.0 = 10)."""
    if blank(current) and blank(wanted):
        return True
    if blank(current) or blank(wanted):
        return False
    if isinstance(current, bool) or isinstance(wanted, bool):
        return bool(current) == bool(wanted)
    try:
        return Decimal(str(current)) == Decimal(str(wanted))
    except InvalidOperation:
        return str(current).strip() == str(wanted).strip()


def plain(value: Any) -> Any:
    """Turn a Tryton value into a JSON-safe payload value (Decimal → text, date → ISO)."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def text(value: Any) -> str | None:
    """Return ``value`` as stripped text, or None when blank."""
    return None if blank(value) else str(value).strip()


class EntityAdapter(ABC):
    """Reads and writes one canonical entity in Tryton."""

    entity: ClassVar[str]
    root: ClassVar[str]
    sources: ClassVar[tuple[ChangeSource, ...]]
    base_domain: ClassVar[list[Any]] = []
    writable: ClassVar[bool] = True

    def __init__(self, system: str, rpc: TrytonRpc, lookups: Lookups, config: TrytonConfig):
        self.system = system
        self.rpc = rpc
        self.lookups = lookups
        self.config = config
        self.tracker = ChangeTracker(rpc, self.root, self.sources, self.domain())

    def domain(self) -> list[Any]:
        """Return the domain selecting the root records that belong to the entity."""
        return list(self.base_domain)

    @staticmethod
    def golden_column(mapping: MappingSpec) -> str:
        """Return the column the golden id is pulled into and pushed from."""
        outbound = mapping.outbound
        return (outbound.golden_id_column if outbound else None) or DEFAULT_GOLDEN_COLUMN

    def golden_code(self, golden_id: str) -> str:
        """Return the identifier code that stores ``golden_id`` in Tryton."""
        return f"{self.config.golden_id_prefix}{golden_id}"

    def golden_of(self, code: Any) -> str | None:
        """Return the golden id an identifier code stores, or None if it is not ours."""
        prefix = self.config.golden_id_prefix
        if isinstance(code, str) and code.startswith(prefix):
            return code[len(prefix) :]
        return None

    @abstractmethod
    def read(self, ids: Sequence[int], mapping: MappingSpec) -> list[dict[str, Any]]:
        """Return the flattened payload of each existing root in ``ids`` (order kept)."""

    # -- push ---------------------------------------------------------------------

    def find_golden(self, golden_ids: Sequence[str]) -> dict[str, tuple[int, bool]]:
        """Return ``{golden id: (root id, active)}`` for roots already carrying one."""
        raise FatalError(self.system, f"{self.entity} records cannot be created in Tryton")

    def create(self, values: dict[str, Any], golden_id: str | None) -> int:
        """Create one root from outbound columns; return its id."""
        raise FatalError(self.system, f"{self.entity} records cannot be created in Tryton")

    def update(self, ident: int, values: dict[str, Any], mapping: MappingSpec) -> bool:
        """Write the columns of ``values`` that differ; return whether anything was written."""
        raise FatalError(self.system, f"{self.entity} records cannot be written to Tryton")

    def _check_columns(self, mapping: MappingSpec, supported: frozenset[str]) -> None:
        outbound = mapping.outbound
        if outbound is None:
            raise FatalError(self.system, f"mapping for {self.entity} has no outbound section")
        unknown = sorted(set(outbound.fields) - supported)
        if unknown:
            raise FatalError(
                self.system,
                f"{self.entity}: outbound columns {', '.join(unknown)} cannot be written "
                f"(writable: {', '.join(sorted(supported))})",
            )

    push_columns: ClassVar[frozenset[str]] = frozenset()

    def push(self, mapping: MappingSpec, rows: Sequence[PushRow]) -> PushResult:
        """Create or update each row; report refused rows in ``rejected`` and go on."""
        if not self.writable:
            raise FatalError(self.system, f"{self.entity} is read-only in the Tryton connector")
        self._check_columns(mapping, self.push_columns)
        golden_column = self.golden_column(mapping)
        result = PushResult()

        def golden_of_row(row: PushRow) -> str | None:
            value = getattr(row, "golden_id", None) or row.values.get(golden_column)
            return None if blank(value) else str(value)

        wanted = [g for r in rows if r.create and (g := golden_of_row(r))]
        found = self.find_golden(wanted) if wanted else {}
        for row in rows:
            values = dict(row.values)
            golden_id = golden_of_row(row)
            if golden_id is not None:
                values[golden_column] = golden_id
            try:
                if row.create:
                    hit = found.get(golden_id) if golden_id else None
                    if hit is not None:
                        ident, active = hit
                        if not active:
                            raise RecordError(
                                self.system,
                                row.target_id,
                                f"{self.root} {ident} carrying golden id {golden_id} is "
                                "archived in Tryton: reactivate it or unlink it",
                            )
                        if self.update(ident, values, mapping):
                            result.updated += 1
                    else:
                        ident = self.create(values, golden_id)
                        result.created += 1
                    result.assigned_ids[row.target_id] = str(ident)
                    continue
                ident = self._ident(row.target_id)
                if self._conflict(row, ident, result):
                    continue
                if self.update(ident, values, mapping):
                    result.updated += 1
            except TrytonUserError as exc:
                result.rejected[row.target_id] = f"{exc.kind}: {exc.message}"
            except RecordError as exc:
                result.rejected[row.target_id] = str(exc).split(": ", 2)[-1]
            except UnknownReference as exc:
                result.rejected[row.target_id] = str(exc)
        return result

    def _ident(self, target_id: str) -> int:
        try:
            return int(target_id)
        except ValueError:
            raise RecordError(
                self.system, target_id, f"{target_id!r} is not a Tryton {self.root} id"
            ) from None

    def _conflict(self, row: PushRow, ident: int, result: PushResult) -> bool:
        expected = getattr(row, "expected_updated_at", None)
        if not expected:
            return False
        stamp = self.tracker.stamps_of([ident]).get(ident)
        if stamp is None or format_stamp(stamp) <= expected:
            return False
        conflicts = getattr(result, "conflicts", None)
        message = f"changed in Tryton at {format_stamp(stamp)} (pulled {expected})"
        if isinstance(conflicts, dict):
            conflicts[row.target_id] = message
        else:
            result.rejected[row.target_id] = message
        return True
