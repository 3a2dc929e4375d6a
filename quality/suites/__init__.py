"""The expectation suite files: finding, checking, loading and regenerating them.

One Great Expectations suite JSON file per canonical entity and stage lives here:
``<entity>.<stage>.json`` (e.g. ``customer.staged.json``). Every expectation names its
crmsync rule and the one-line reason a value fails in ``meta``::

    {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "name"},
     "meta": {"rule": "name_required", "reason": "customer has no name"}}

:func:`read_suite` checks a file without Great Expectations (fast, every problem listed
with file and key); :func:`load_suite` turns it into a GX ``ExpectationSuite`` with GX's
own deserialisation. :func:`refresh_value_sets` rewrites the ISO 3166 and ISO 4217 code
lists inside the files from ``pycountry``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pycountry

if TYPE_CHECKING:
    from great_expectations.core.expectation_suite import ExpectationSuite

SUITES_DIR = Path(__file__).parent
"""Folder of the packaged suite files."""

ENTITIES = ("customer", "contact", "product", "order", "order_line", "cost")
"""Entities that have a staged suite."""

STAGES = ("staged", "golden")
"""Gate stages: ``staged`` (source records) and ``golden`` (master records)."""

REFERENCE_PARAMETER = "{entity}_keys"
"""Name of the suite parameter an ``*_known`` rule reads its key set from."""

_VALUE_SET_RULES = {"country_iso3166": "countries", "currency_iso4217": "currencies"}


class SuiteConfigError(ValueError):
    """One or more suite files are invalid; the message lists file, key and problem."""


def suite_name(entity: str, stage: str) -> str:
    """Return the suite's name (``<entity>.<stage>``), also its file stem."""
    return f"{entity}.{stage}"


def suite_path(entity: str, stage: str, directory: Path | None = None) -> Path:
    """Return the path of the suite file of ``entity`` at ``stage``."""
    return (directory or SUITES_DIR) / f"{suite_name(entity, stage)}.json"


def available_suites(directory: Path | None = None) -> list[tuple[str, str]]:
    """Return ``(entity, stage)`` of every suite file in ``directory``, sorted."""
    found = []
    for path in sorted((directory or SUITES_DIR).glob("*.*.json")):
        entity, _, stage = path.name.removesuffix(".json").partition(".")
        if stage in STAGES:
            found.append((entity, stage))
    return found


@cache
def value_sets() -> dict[str, list[str]]:
    """Return the code lists the suites embed: ``countries`` (ISO 3166-1 alpha-2) and
    ``currencies`` (ISO 4217 alphabetic), sorted, from ``pycountry``."""
    return {
        "countries": sorted(c.alpha_2 for c in pycountry.countries),
        "currencies": sorted(c.alpha_3 for c in pycountry.currencies),
    }


def _problems(path: Path, data: Any) -> list[str]:
    if not isinstance(data, dict):
        return [f"{path}: <root>: must be an object"]
    expectations = data.get("expectations")
    if not isinstance(data.get("name"), str):
        return [f"{path}: name: missing or not a string"]
    if not isinstance(expectations, list):
        return [f"{path}: expectations: missing or not a list"]
    problems = []
    for index, item in enumerate(expectations):
        where = f"{path}: expectations[{index}]"
        if not isinstance(item, dict) or not isinstance(item.get("type"), str):
            problems.append(f"{where}: needs a 'type'")
            continue
        meta, kwargs = item.get("meta") or {}, item.get("kwargs") or {}
        for key in ("rule", "reason"):
            if not isinstance(meta.get(key), str) or not meta[key].strip():
                problems.append(f"{where}.meta.{key}: missing (every expectation names it)")
        if kwargs.get("mostly") not in (None, 1, 1.0):
            problems.append(
                f"{where}.kwargs.mostly: not supported, the gate judges rows; "
                "set the entity's max_failure_ratio instead"
            )
    return problems


def read_suite(entity: str, stage: str, directory: Path | None = None) -> dict[str, Any]:
    """Read and check one suite file without Great Expectations.

    Raises:
        FileNotFoundError: There is no suite for ``entity`` at ``stage``.
        SuiteConfigError: Listing every problem with its key path.
    """
    path = suite_path(entity, stage, directory)
    if not path.is_file():
        raise FileNotFoundError(f"no expectation suite {path.name} in {path.parent}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise SuiteConfigError(f"{path}: cannot read: {exc}") from exc
    problems = _problems(path, data)
    if problems:
        raise SuiteConfigError("\n".join(problems))
    return data


def suite_from_dict(data: dict[str, Any], origin: str = "<suite>") -> ExpectationSuite:
    """Build a GX ``ExpectationSuite`` from its JSON form with GX's deserialisation.

    GX drops an invalid expectation with a log line only; here every invalid one is
    collected and raised, so a typo in a suite never silently removes a rule.

    Raises:
        SuiteConfigError: Listing every expectation GX rejects.
    """
    from great_expectations.core.expectation_suite import (
        ExpectationSuite,
        ExpectationSuiteSchema,
    )

    import quality.expectations  # noqa: F401  (registers the custom expectations)

    try:
        loaded = ExpectationSuiteSchema().load(data)
    except Exception as exc:  # noqa: BLE001  (marshmallow raises several kinds)
        raise SuiteConfigError(f"{origin}: {exc}") from exc
    expectations, problems = [], []
    for index, configuration in enumerate(loaded.pop("expectations", None) or []):
        try:
            expectations.append(configuration.to_domain_obj())
        except Exception as exc:  # noqa: BLE001  (GX raises pydantic and its own errors)
            kind = configuration.type
            problems.append(f"{origin}: expectations[{index}] ({kind}): {exc}".strip())
    if problems:
        raise SuiteConfigError("\n".join(problems))
    return ExpectationSuite(expectations=expectations, **loaded)


def load_suite(entity: str, stage: str, directory: Path | None = None) -> ExpectationSuite:
    """Load the suite of ``entity`` at ``stage`` as a GX ``ExpectationSuite``.

    Raises:
        FileNotFoundError: There is no such suite.
        SuiteConfigError: The file is invalid (every problem listed).
    """
    data = read_suite(entity, stage, directory)
    return suite_from_dict(data, str(suite_path(entity, stage, directory)))


def _dump(value: Any, indent: int = 0) -> str:
    """JSON with lists of scalars packed into lines of ~90 characters (code lists)."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(k)}: {_dump(v, indent + 2)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and value:
        if all(not isinstance(v, dict | list) for v in value):
            words = [json.dumps(v, ensure_ascii=False) for v in value]
            lines, line = [], ""
            for word in words:
                if line and len(inner) + len(line) + len(word) > 90:
                    lines.append(line.rstrip(", "))
                    line = ""
                line += word + ", "
            lines.append(line.rstrip(", "))
            if len(lines) == 1 and len(lines[0]) + indent < 80:
                return f"[{lines[0]}]"
            return "[\n" + ",\n".join(f"{inner}{row}" for row in lines) + f"\n{pad}]"
        return "[\n" + ",\n".join(f"{inner}{_dump(v, indent + 2)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)


def write_suite(path: Path, data: dict[str, Any]) -> None:
    """Write a suite dict to ``path`` in the house layout (readable, code lists packed)."""
    path.write_text(_dump(data) + "\n", encoding="utf-8")


def refresh_value_sets(paths: Iterable[Path] | None = None) -> list[Path]:
    """Rewrite the country and currency code lists of suite files from ``pycountry``.

    Every expectation whose ``meta.rule`` is ``country_iso3166`` or ``currency_iso4217``
    and whose ``kwargs.value_set`` is a literal list gets the current list.

    Args:
        paths: Suite files to update; by default every packaged suite.

    Returns:
        The files that changed.
    """
    sets = value_sets()
    changed = []
    for path in paths if paths is not None else sorted(SUITES_DIR.glob("*.*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        touched = False
        for item in data.get("expectations", []):
            wanted = _VALUE_SET_RULES.get(str((item.get("meta") or {}).get("rule")))
            kwargs = item.get("kwargs") or {}
            current = kwargs.get("value_set")
            if wanted and isinstance(current, list) and current != sets[wanted]:
                kwargs["value_set"] = list(sets[wanted])
                touched = True
        if touched:
            write_suite(path, data)
            changed.append(path)
    return changed
