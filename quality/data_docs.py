"""GX Data Docs for the validations of a run: static HTML, built offline.

:func:`build_data_docs` stores the GX results that :func:`quality.validation.validate_records`
kept (``SuiteOutcome.validations``) in a file-backed GX project and renders its Data
Docs site. Each call adds the run to the same site, so the index lists every run kept
in the project. Personal values (e-mail, phone, names, street, tax id) are masked and
long value lists are cut before anything is written: the site is an audit artefact,
not a copy of the data.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from quality.masking import is_personal, mask
from quality.validation import SuiteOutcome

SITE_NAME = "local_site"
"""Name of the Data Docs site GX's file project configures by default."""

MAX_LISTED = 50
"""Longest list of failing values or keys one expectation shows in the docs."""

MAX_VALUE_SET = 300
"""Longest value set shown in full (code lists are; reference key sets are cut)."""

_VALUE_LISTS = ("partial_unexpected_list", "unexpected_list")
_INDEX_LISTS = ("partial_unexpected_index_list", "unexpected_index_list")


def data_docs_index(project_dir: Path) -> Path:
    """Return the path of the Data Docs ``index.html`` of the GX project in ``project_dir``."""
    return Path(project_dir) / "gx" / "uncommitted" / "data_docs" / SITE_NAME / "index.html"


def _masked(value: Any, columns: Iterable[str]) -> Any:
    """Mask one failing value (a scalar, or a tuple for column-pair expectations)."""
    if isinstance(value, list | tuple):
        return [_masked(v, [c]) for v, c in zip(value, columns, strict=False)]
    if isinstance(value, Mapping):
        return {k: (mask(v) if is_personal(k) else v) for k, v in value.items()}
    return mask(value) if any(is_personal(c) for c in columns) else value


def _scrub(result: Any, unmasked: bool) -> None:
    """Mask personal values and cut long lists in one expectation result, in place."""
    kwargs = result.expectation_config.kwargs
    for name, value in list(kwargs.items()):
        if isinstance(value, list) and len(value) > MAX_VALUE_SET:
            # Reference key sets can hold a million keys; show their size instead.
            kwargs[name] = [*value[:MAX_LISTED], f"... {len(value) - MAX_LISTED} more"]
    stats = result.result or {}
    columns = [
        c for c in (kwargs.get("column"), kwargs.get("column_A"), kwargs.get("column_B")) if c
    ]
    for name in _VALUE_LISTS:
        if name in stats:
            values = stats[name][:MAX_LISTED]
            stats[name] = values if unmasked else [_masked(v, columns) for v in values]
    for name in _INDEX_LISTS:
        if isinstance(stats.get(name), list):
            rows = stats[name][:MAX_LISTED]
            stats[name] = rows if unmasked else [_masked(row, ()) for row in rows]
    if "partial_unexpected_counts" in stats and not unmasked:
        stats["partial_unexpected_counts"] = [
            {**item, "value": _masked(item.get("value"), columns)}
            for item in stats["partial_unexpected_counts"]
        ]
    stats.pop("unexpected_index_query", None)


def _save_suite(context: Any, name: str, configurations: list[Any]) -> None:
    """Store the suite as it ran, so the site has its page (rules and parameters)."""
    from great_expectations.core.expectation_suite import ExpectationSuite

    expectations = []
    for configuration in configurations:
        fresh = copy.deepcopy(configuration)
        fresh.id = None
        expectations.append(fresh.to_domain_obj())
    context.suites.add_or_update(ExpectationSuite(name=name, expectations=expectations))


def build_data_docs(
    project_dir: Path,
    outcomes: Iterable[SuiteOutcome],
    *,
    run_name: str | None = None,
    unmasked: bool = False,
) -> Path:
    """Write GX Data Docs HTML for the validations of one run.

    Works offline: nothing is fetched while building. The pages link GX's usual
    stylesheets from a CDN, so they look plainer when opened without network.

    Args:
        project_dir: Folder of the file-backed GX project (created on first use), e.g.
            ``<state>/gx``; GX writes ``gx/`` inside it.
        outcomes: Results of :func:`quality.validation.validate_records` calls.
        run_name: Name of the run shown in the docs (e.g. the crmsync run id).
        unmasked: Show personal values as they are (only for a private site).

    Returns:
        The path of the site's ``index.html``.
    """
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    project_dir = Path(project_dir)
    project_dir.mkdir(parents=True, exist_ok=True)
    context = gx.get_context(mode="file", project_root_dir=project_dir)
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    run_id = RunIdentifier(run_name=run_name, run_time=datetime.now(UTC))
    keys: list[Any] = []
    suites: dict[str, list[Any]] = {}
    for outcome in outcomes:
        for validation in outcome.validations:
            result = copy.deepcopy(validation)
            for item in result.results:
                _scrub(item, unmasked)
            result.meta["run_id"] = run_id
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=result.suite_name),
                run_id=run_id,
                batch_identifier=f"batch-{len(keys) + 1}",
            )
            context.validation_results_store.set(key, result)
            keys.append(key)
            suites[result.suite_name] = [r.expectation_config for r in result.results]
    for name, configurations in suites.items():
        _save_suite(context, name, configurations)
    context.build_data_docs(site_names=[SITE_NAME])
    return data_docs_index(project_dir)
