"""Row-level validation of canonical records with the Great Expectations suites.

:func:`validate_records` flattens canonical records (JSON form) into a pandas frame,
runs the entity's suite (``quality/suites/<entity>.<stage>.json``) with GX and returns,
per expectation, how many rows it checked and failed, and per failing record which rule
failed on which value. GX is imported lazily (about 3 s, once per process) and one
ephemeral GX context is reused.

The frame has one column per dotted canonical path (``bill_to.country``,
``credit_limit.amount``), key columns ``system`` and ``source_id``, a row number
``_row``, and derived columns the suites read:

* ``customer_key`` / ``product_key`` / ``order_key``: ``"<system>/<referenced id>"``
  for the ``*_known`` rules, checked against ``references``;
* ``lines_total`` (orders): the sum of the line amounts;
* ``expected_amount`` (order lines): quantity x unit price - discount.

Empty and whitespace-only strings count as missing; a missing value never fails a
format, range or reference rule, only a ``*_required`` one. Money amounts become floats
for range checks; failures report the raw value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quality.suites import REFERENCE_PARAMETER, read_suite, suite_from_dict, suite_path
from store.quality_log import RuleOutcome

KEY_COLUMNS = ("system", "source_id")
"""Key columns of every validation frame."""

ROW_COLUMN = "_row"
"""Row-number column: maps GX's failing rows back to records exactly."""

REFERENCE_COLUMNS = {
    "customer_key": ("customer", "customer_source_id"),
    "product_key": ("product", "product_source_id"),
    "order_key": ("order", "order_source_id"),
}
"""Derived key column → (referenced entity, canonical column holding the id)."""

_NUMERIC = ("quantity", "discount")
_REQUIRED_TYPE = "expect_column_values_to_not_be_null"
_RESULT_FORMAT = {
    "result_format": "COMPLETE",
    "unexpected_index_column_names": [*KEY_COLUMNS, ROW_COLUMN],
}


@dataclass(frozen=True)
class RowFailure:
    """One expectation one record failed.

    Attributes:
        system: The record's system (``golden`` for golden records).
        source_id: The record's key in that system (the golden id for golden records).
        rule: The crmsync rule name (``meta.rule`` of the expectation).
        column: The canonical column (dotted path) that failed, if one.
        value: The raw failing value (not masked: the caller masks).
        reason: Why the value fails, one line.
    """

    system: str
    source_id: str
    rule: str
    column: str | None
    value: Any
    reason: str


@dataclass(frozen=True)
class SuiteOutcome:
    """What one validation of a batch found.

    Attributes:
        outcomes: One per expectation of the suite(s) run: rows checked and failed.
        failures: One per failing (record, expectation).
        missing_columns: Required columns absent from every record (schema drift).
        validations: The GX ``ExpectationSuiteValidationResult`` objects, for
            :func:`quality.data_docs.build_data_docs`.
    """

    outcomes: list[RuleOutcome]
    failures: list[RowFailure]
    missing_columns: list[str]
    validations: tuple[Any, ...] = field(default=(), repr=False, compare=False)


class SuiteRunError(RuntimeError):
    """GX could not evaluate an expectation (e.g. a suite names a column type it cannot read)."""


# --------------------------------------------------------------------------------------
# Frames
# --------------------------------------------------------------------------------------


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Return ``{dotted path: value}``; blank strings become None, lists are left out."""
    out: dict[str, Any] = {}
    for name, value in record.items():
        # Class checks before isinstance: this loop runs once per field of a million rows.
        kind = value.__class__
        if value is None:
            out[prefix + name] = None
        elif kind is str:
            out[prefix + name] = value if value.strip() else None
        elif kind is dict or isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{name}."))
        elif kind is not list and kind is not tuple:
            out[prefix + name] = value
    return out


@dataclass
class _Frame:
    """A validation frame, the raw text of converted columns and who owns each row."""

    df: pd.DataFrame
    seen: set[str]
    raw: dict[str, pd.Series] = field(default_factory=dict)
    owners: list[tuple[str, str]] | None = None
    labels: list[str] | None = None

    def values(self, column: str | None) -> np.ndarray | None:
        """Return the raw values of ``column`` by row (text of converted amounts)."""
        if column is None:
            return None
        series = self.raw.get(column)
        if series is None and column in self.df.columns:
            series = self.df[column]
        return None if series is None else series.to_numpy(dtype=object)

    def owner_of(self) -> list[tuple[str, str]]:
        """Return the record key (system, source_id) each row is reported against."""
        if self.owners is None:
            self.owners = list(zip(self.df["system"], self.df["source_id"], strict=True))
        return self.owners


def _plain(value: Any) -> Any:
    """Return a JSON-ready Python value: numpy scalars cast, NaN as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _frame(rows: Sequence[tuple[str, str, Mapping[str, Any]]]) -> _Frame:
    seen: set[str] = set()
    flat = []
    for system, source_id, record in rows:
        seen.update(record.keys())
        out = _flatten(record)
        for name in ("source.system", "source.entity", "source.source_id"):
            out.pop(name, None)
        out["system"], out["source_id"] = system, source_id
        flat.append(out)
    df = pd.DataFrame.from_records(flat) if flat else pd.DataFrame(columns=list(KEY_COLUMNS))
    frame = _Frame(df, seen)
    seen.update(frame.df.columns)
    frame.df[ROW_COLUMN] = np.arange(len(flat))
    _numeric(frame)
    return frame


def _numeric(frame: _Frame) -> None:
    for column in list(frame.df.columns):
        if column.endswith(".amount") or column in _NUMERIC:
            frame.raw[column] = frame.df[column]
            frame.df[column] = pd.to_numeric(frame.df[column], errors="coerce")


def _add_reference_keys(df: pd.DataFrame) -> None:
    for key, (_, column) in REFERENCE_COLUMNS.items():
        if column in df.columns:
            ids = df[column].astype("string")
            df[key] = (df["system"].astype("string") + "/" + ids).astype(object)
            df[key] = df[key].where(ids.notna(), None)
        else:
            df[key] = None


def _line_frame(rows: Sequence[tuple[str, str, Mapping[str, Any]]]) -> _Frame:
    """One row per order line, keyed ``<order id>#<line_no>``, owned by its order."""
    line_rows, owners, labels = [], [], []
    for system, source_id, record in rows:
        for position, line in enumerate(record.get("lines") or (), start=1):
            number = line.get("line_no", position)
            values = {**line, "order_source_id": source_id}
            line_rows.append((system, f"{source_id}#{number}", values))
            owners.append((system, source_id))
            labels.append(f"line {number}")
    frame = _frame(line_rows)
    frame.owners, frame.labels = owners, labels
    _expected_amount(frame.df)
    return frame


def _expected_amount(df: pd.DataFrame) -> None:
    for column in ("quantity", "unit_price.amount", "discount", "amount.amount"):
        if column not in df.columns:
            df[column] = np.nan
    df["expected_amount"] = df["quantity"] * df["unit_price.amount"] - df["discount"].fillna(0)


def _lines_total(orders: _Frame, lines: _Frame) -> None:
    df = lines.df
    amount = df["amount.amount"].fillna(df["expected_amount"])
    owner = pd.Series([f"{s}\x1f{i}" for s, i in lines.owners or ()], index=df.index)
    total = amount.groupby(owner).sum()
    incomplete = amount.isna().groupby(owner).any()
    total[incomplete[incomplete].index] = np.nan
    keys = orders.df["system"].astype(str) + "\x1f" + orders.df["source_id"].astype(str)
    orders.df["lines_total"] = keys.map(total).astype(float)


# --------------------------------------------------------------------------------------
# Great Expectations
# --------------------------------------------------------------------------------------


@dataclass
class _Suite:
    """A suite variant registered in the GX context."""

    version: tuple[Any, ...]
    definition: Any
    positions: dict[str, int]  # GX expectation id -> position in the suite file


@dataclass
class _Gx:
    """The process-wide GX context, its dataframe batch and the registered suites."""

    context: Any
    batch: Any
    suites: dict[str, _Suite] = field(default_factory=dict)


@cache
def _gx() -> _Gx:
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    # ValidationDefinition.run serialises every result into the in-memory store (seconds
    # at 100k rows) only to keep it; the result is returned to us anyway, so skip that.
    context.validation_results_store.store_validation_results = _discard  # type: ignore[method-assign]
    asset = context.data_sources.add_pandas("crmsync").add_dataframe_asset("records")
    return _Gx(context, asset.add_batch_definition_whole_dataframe("batch"))


def _discard(*args: Any, **kwargs: Any) -> bool:
    return True


def warm_up() -> None:
    """Import GX and build the shared context now (about 3 s), e.g. before timing."""
    _gx()


def _parameter(kwargs: Mapping[str, Any]) -> str | None:
    for value in kwargs.values():
        if isinstance(value, Mapping) and isinstance(value.get("$PARAMETER"), str):
            return str(value["$PARAMETER"])
    return None


def _registered(data: dict[str, Any], skip: frozenset[int], version: tuple[Any, ...]) -> _Suite:
    """Register (once per file version) the suite without the expectations in ``skip``."""
    import great_expectations as gx

    state = _gx()
    name = data["name"]
    if skip:
        left_out = sorted({data["expectations"][i]["meta"]["rule"] for i in skip})
        name = f"{name}-without-{'-'.join(left_out)}"
    cached = state.suites.get(name)
    if cached and cached.version == version:
        return cached
    if cached:
        state.context.validation_definitions.delete(name)
        state.context.suites.delete(name)
    kept = [i for i in range(len(data["expectations"])) if i not in skip]
    variant = {**data, "name": name, "expectations": [data["expectations"][i] for i in kept]}
    suite = state.context.suites.add(suite_from_dict(variant, name))
    definition = state.context.validation_definitions.add(
        gx.ValidationDefinition(name=name, data=state.batch, suite=suite)
    )
    positions = {str(e.id): i for e, i in zip(suite.expectations, kept, strict=True)}
    state.suites[name] = _Suite(version, definition, positions)
    return state.suites[name]


def _run(suite: _Suite, df: pd.DataFrame, parameters: dict[str, Any]) -> dict[int, Any]:
    """Validate ``df``; return the GX run result and each expectation's result by position."""
    result = suite.definition.run(
        batch_parameters={"dataframe": df},
        expectation_parameters=parameters,
        result_format=_RESULT_FORMAT,
    )
    found: dict[int, Any] = {-1: result}
    for item in result.results:
        found[suite.positions[str(item.expectation_config.id)]] = item
    return found


def _raised(result: Any) -> str | None:
    info = result.exception_info or {}
    items = [info] if "raised_exception" in info else list(info.values())
    for item in items:
        if isinstance(item, Mapping) and item.get("raised_exception"):
            return str(item.get("exception_message") or "unknown error")
    return None


def _report_column(kwargs: Mapping[str, Any]) -> str | None:
    column = kwargs.get("column") or kwargs.get("column_A")
    if column is None and kwargs.get("column_list"):
        column = "source_id"
    if column in REFERENCE_COLUMNS:
        column = REFERENCE_COLUMNS[column][1]
    return str(column) if column is not None else None


def _columns(expectations: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Return (every column the expectations read, the required ones)."""
    used, required = [], []
    for item in expectations:
        kwargs = item.get("kwargs") or {}
        names = [kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")]
        names += list(kwargs.get("column_list") or ())
        used += [n for n in names if isinstance(n, str) and n not in used]
        if item["type"] == _REQUIRED_TYPE and kwargs.get("column") not in required:
            required.append(kwargs["column"])
    return used, required


def _present(column: str, seen: set[str]) -> bool:
    parts = column.split(".")
    # A known parent object that is null (``credit_limit: null``) still has the field.
    return any(".".join(parts[: n + 1]) in seen for n in range(len(parts)))


@dataclass
class _Result:
    outcomes: list[RuleOutcome] = field(default_factory=list)
    failures: list[RowFailure] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    validations: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class _Target:
    """What to validate: a frame against the suite of an entity at a stage."""

    entity: str
    stage: str
    frame: _Frame
    prefix: str = ""  # column prefix in reports (``lines.`` for order lines)


def _validate(
    target: _Target,
    references: Mapping[str, set[tuple[str, str]]] | None,
    suites_dir: Path | None,
    into: _Result,
) -> None:
    data = read_suite(target.entity, target.stage, suites_dir)
    expectations = data["expectations"]
    parameters = {
        REFERENCE_PARAMETER.format(entity=name): [f"{s}/{i}" for s, i in keys]
        for name, keys in (references or {}).items()
    }
    skip = frozenset(
        i
        for i, item in enumerate(expectations)
        if (p := _parameter(item.get("kwargs") or {})) is not None and p not in parameters
    )
    used, required = _columns(expectations)
    frame, prefix = target.frame, target.prefix
    if len(frame.df):  # an empty batch says nothing about the schema
        into.missing += [prefix + c for c in required if not _present(c, frame.seen)]
    for name in used:
        if name not in frame.df.columns:
            frame.df[name] = None
    results: dict[int, Any] = {}
    if len(frame.df):
        path = suite_path(target.entity, target.stage, suites_dir)
        suite = _registered(data, skip, (str(path), path.stat().st_mtime_ns))
        keep = list(dict.fromkeys([*KEY_COLUMNS, ROW_COLUMN, *used]))
        results = _run(suite, frame.df[keep], parameters)
        into.validations.append(results.pop(-1))
    for index, item in enumerate(expectations):
        rule, kwargs = item["meta"]["rule"], item.get("kwargs") or {}
        column = _report_column(kwargs)
        shown = prefix + column if column else None
        if index in skip:
            detail = f"skipped: no reference keys given for {_parameter(kwargs)}"
            into.outcomes.append(RuleOutcome(target.stage, rule, shown, 0, 0, detail))
            continue
        found = results.get(index)
        if found is None:  # an empty batch
            into.outcomes.append(RuleOutcome(target.stage, rule, shown, 0, 0, item["type"]))
            continue
        error = _raised(found)
        if error:
            raise SuiteRunError(f"{data['name']}: rule {rule} ({item['type']}): {error}")
        stats = found.result
        checked = int(stats.get("element_count") or 0)
        failed = int(stats.get("unexpected_count") or 0)
        into.outcomes.append(RuleOutcome(target.stage, rule, shown, checked, failed, item["type"]))
        rows = [int(u[ROW_COLUMN]) for u in stats.get("unexpected_index_list") or ()]
        into.failures += _failures(frame, rows, rule, column, shown, item["meta"]["reason"])


def _failures(
    frame: _Frame, rows: list[int], rule: str, column: str | None, shown: str | None, reason: str
) -> list[RowFailure]:
    failures: dict[tuple[str, str], RowFailure] = {}
    owners, values = frame.owner_of(), frame.values(column)
    for row in rows:
        system, source_id = owners[row]
        if (system, source_id) in failures:
            continue
        value = _plain(values[row]) if values is not None else None
        why = f"{frame.labels[row]}: {reason}" if frame.labels is not None else reason
        failures[(system, source_id)] = RowFailure(system, source_id, rule, shown, value, why)
    return list(failures.values())


def validate_records(
    entity: str,
    stage: str,
    rows: Sequence[tuple[str, str, Mapping[str, Any]]],
    references: Mapping[str, set[tuple[str, str]]] | None = None,
    *,
    suites_dir: Path | None = None,
) -> SuiteOutcome:
    """Validate canonical records with the suite of ``entity`` at ``stage``.

    Args:
        entity: ``customer``, ``contact``, ``product``, ``order``, ``order_line`` or
            ``cost``. Orders are validated with ``order.staged`` and their ``lines``
            with ``order_line.staged``; line failures are reported against the order.
        stage: ``staged`` or ``golden`` (golden suites: customer and product).
        rows: ``(system, source_id, canonical JSON dict)``; golden records as
            ``("golden", golden_id, values)``.
        references: Known keys per referenced entity for the ``*_known`` rules, e.g.
            ``{"customer": {(system, source_id), ...}}``. A rule whose entity is not
            given is skipped (reported with ``checked=0`` and a ``skipped`` detail).
        suites_dir: Folder of suite files; the packaged suites by default.

    Returns:
        Counts per expectation, the failures per record, and missing required columns.

    Raises:
        FileNotFoundError: There is no suite for ``entity`` at ``stage``.
        quality.suites.SuiteConfigError: The suite file is invalid.
        SuiteRunError: GX could not evaluate an expectation.
    """
    into = _Result()
    if entity == "order_line":
        targets = [_Target(entity, stage, _lines_of(rows))]
    else:
        frame = _frame(rows)
        _add_reference_keys(frame.df)
        targets = [_Target(entity, stage, frame)]
        if entity == "order":
            lines = _line_frame(rows)
            _lines_total(frame, lines)
            _add_reference_keys(lines.df)
            targets.append(_Target("order_line", stage, lines, "lines."))
    for target in targets:
        _validate(target, references, suites_dir, into)
    return SuiteOutcome(into.outcomes, into.failures, into.missing, tuple(into.validations))


def _lines_of(rows: Sequence[tuple[str, str, Mapping[str, Any]]]) -> _Frame:
    """A frame of order lines given directly as ``(system, "<order>#<n>", line)`` rows."""
    frame = _frame(rows)
    _expected_amount(frame.df)
    _add_reference_keys(frame.df)
    return frame
