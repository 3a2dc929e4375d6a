"""Custom Great Expectations expectations, only where GX 1.24 has no built-in one.

Two column-pair expectations, usable in suite files by their ``type``:

* ``expect_column_pair_values_to_be_valid_tax_id`` — ``column_A`` holds a tax or VAT
  id, ``column_B`` the record's ISO 3166 country; the id is normalised and checked with
  python-stdnum. Rows without an id or without a country are not judged, nor are
  countries stdnum has no tax-id module for.
* ``expect_column_pair_values_to_be_equal_within_tolerance`` — two numeric columns
  differ by at most ``tolerance`` (order arithmetic: line amount vs quantity x price -
  discount, header total vs sum of lines).

Importing this module imports Great Expectations (about 3 s) and registers both
expectations with it; import it lazily, from inside functions only.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, ClassVar, Literal

import pandas as pd
from great_expectations.compatibility import pydantic
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnPairMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnPairMapMetricProvider,
    column_pair_condition_partial,
)
from great_expectations.render import LegacyRendererType, RenderedStringTemplateContent
from great_expectations.render.renderer.renderer import renderer
from stdnum.exceptions import InvalidChecksum, ValidationError
from stdnum.util import NumberValidationModule, get_cc_module

_NOT_ALNUM = re.compile(r"[^0-9A-Za-z]")
# Float sums of cent amounts land a hair beside the exact value; never fail on that.
_FLOAT_SLACK = 1e-9


@cache
def tax_id_module(country: str) -> NumberValidationModule | None:
    """Return the python-stdnum module that validates tax ids of ``country``, if any.

    The VAT module is preferred (it accepts the ``DE``-style prefix), then the
    country's generic TIN module (e.g. ``stdnum.us.tin``).
    """
    code = country.strip().lower()
    if len(code) != 2 or not code.isalpha():
        return None
    for name in ("vat", "tin"):
        module = get_cc_module(code, name)
        if module is not None:
            return module
    return None


def _verdict(
    module: NumberValidationModule, compact: str, country: str, verify_checksum: bool
) -> bool:
    candidates = [compact]
    if compact.startswith(country) and len(compact) > 2:
        # Some modules (e.g. stdnum.cn.uscc) reject the EU-style country prefix.
        candidates.append(compact[2:])
    for candidate in candidates:
        try:
            module.validate(candidate)
        except InvalidChecksum:
            if not verify_checksum:
                return True
        except ValidationError:
            continue
        else:
            return True
    return False


def _sentence(configuration: Any, template: str, runtime_configuration: dict | None) -> list[Any]:
    """Render an expectation as one Data Docs sentence with ``$kwarg`` placeholders."""
    params = dict(configuration.kwargs) if configuration is not None else {}
    styling = (runtime_configuration or {}).get("styling")
    return [
        RenderedStringTemplateContent(
            content_block_type="string_template",
            string_template={"template": template, "params": params, "styling": styling},
        )
    ]


def tax_id_is_valid(value: Any, country: Any, verify_checksum: bool = True) -> bool:
    """Return False only for a tax id that is provably wrong for its country.

    The id is normalised first (spaces, dots, dashes dropped, upper-cased), and it may
    carry the country prefix or not. An id with another EU-style country prefix (a
    foreign VAT registration) is accepted when it is valid for that country.

    Args:
        value: The tax id as written.
        country: ISO 3166 alpha-2 code of the record's country.
        verify_checksum: When False, a wrong check digit is accepted and only the
            format (length, characters, components) is judged.

    Returns:
        True when valid, or when it cannot be judged (missing value or country, or a
        country python-stdnum does not cover).
    """
    if value is None or country is None or pd.isna(value) or pd.isna(country):
        return True
    code = str(country).strip().upper()
    module = tax_id_module(code)
    compact = _NOT_ALNUM.sub("", str(value)).upper()
    if module is None or not compact:
        return True
    if _verdict(module, compact, code, verify_checksum):
        return True
    prefix = compact[:2]
    foreign = tax_id_module(prefix) if prefix.isalpha() and prefix != code else None
    return foreign is not None and _verdict(foreign, compact, prefix, verify_checksum)


class ColumnPairValuesValidTaxId(ColumnPairMapMetricProvider):
    """Row condition: column A is a valid tax id for the country in column B."""

    condition_metric_name = "column_pair_values.valid_tax_id"
    condition_value_keys = ("verify_checksum",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N803, N805
        verify = bool(kwargs.get("verify_checksum", True))
        verdicts = [
            tax_id_is_valid(value, country, verify)
            for value, country in zip(column_A, column_B, strict=True)
        ]
        return pd.Series(verdicts, index=column_A.index, dtype=bool)


class ExpectColumnPairValuesToBeValidTaxId(ColumnPairMapExpectation):
    """Expect the tax ids in ``column_A`` to be valid for the countries in ``column_B``.

    Args:
        column_A: The tax id column.
        column_B: The ISO 3166 alpha-2 country column.
        verify_checksum: Judge the check digits too (False: format only).
        ignore_row_if: Rows to skip; by default any row missing the id or the country.
    """

    verify_checksum: bool = pydantic.Field(
        default=True, description="When false a wrong check digit is accepted."
    )
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "either_value_is_missing"
    )

    map_metric = "column_pair_values.valid_tax_id"
    success_keys = ("column_A", "column_B", "verify_checksum", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B")
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["crmsync", "tax id", "python-stdnum"],
        "contributors": ["crmsync"],
        "requirements": ["python-stdnum"],
    }

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        strict = configuration is None or configuration.kwargs.get("verify_checksum", True)
        checked = "format and check digits" if strict else "format only, check digits not verified"
        template = f"$column_A must be a valid tax id for the country in $column_B ({checked})."
        return _sentence(configuration, template, runtime_configuration)


class ColumnPairValuesEqualWithinTolerance(ColumnPairMapMetricProvider):
    """Row condition: ``|A - B| <= tolerance``."""

    condition_metric_name = "column_pair_values.equal_within_tolerance"
    condition_value_keys = ("tolerance",)

    @column_pair_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_A: pd.Series, column_B: pd.Series, **kwargs: Any) -> pd.Series:  # noqa: N803, N805
        tolerance = float(kwargs.get("tolerance") or 0.0)
        first = pd.to_numeric(column_A, errors="coerce")
        second = pd.to_numeric(column_B, errors="coerce")
        return (first - second).abs() <= tolerance + _FLOAT_SLACK


class ExpectColumnPairValuesToBeEqualWithinTolerance(ColumnPairMapExpectation):
    """Expect the numbers in ``column_A`` and ``column_B`` to differ by at most ``tolerance``.

    Args:
        column_A: The stated value (e.g. the order total).
        column_B: The computed value (e.g. the sum of the lines).
        tolerance: The largest accepted absolute difference (inclusive).
        ignore_row_if: Rows to skip; by default any row missing either value.
    """

    tolerance: float = pydantic.Field(default=0.0, ge=0, description="Largest |A - B| accepted.")
    ignore_row_if: Literal["both_values_are_missing", "either_value_is_missing", "neither"] = (
        "either_value_is_missing"
    )

    map_metric = "column_pair_values.equal_within_tolerance"
    success_keys = ("column_A", "column_B", "tolerance", "ignore_row_if", "mostly")
    args_keys = ("column_A", "column_B", "tolerance")
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "experimental",
        "tags": ["crmsync", "arithmetic"],
        "contributors": ["crmsync"],
        "requirements": [],
    }

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(
        cls,
        configuration: Any = None,
        result: Any = None,
        runtime_configuration: dict | None = None,
        **kwargs: Any,
    ) -> list[Any]:
        template = "$column_A must equal $column_B within $tolerance."
        return _sentence(configuration, template, runtime_configuration)
