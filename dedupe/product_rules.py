"""Product rule set: code, name and specification together decide.

Hard constraints: never two different model numbers ("PG-627" vs "PG-705"); the same
name with a different specification is a different product (numbers in the specs must
agree, the words around them roughly); inside one system, never two categories.

Rules: an equal normalised code (a bare number equals its prefixed form) with a
plausible name → match ("exact on normalised code decides"); otherwise a very similar
name with an agreeing spec → match, which also finds a duplicate created under a new
code. A spec missing on one side cannot disagree: with a code missing too, the model
number has to carry the match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedupe import compare
from dedupe import standardize as std
from dedupe.blocking import PairArray, candidate_pairs
from dedupe.cluster import ClusterGuard
from dedupe.rules import (
    BoolArray,
    Column,
    RuleDecision,
    as_column,
    combined_key,
    differs,
    first_token_key,
    is_equal,
    name_similarity,
    prefix_key,
    sorted_tokens_key,
)
from mappings.models import Product, Record

__all__ = ["ProductColumns", "ProductRules"]

PRODUCT_NAME_MIN = 0.9
PRODUCT_CODE_NAME_MIN = 0.5
SPEC_TEXT_MIN = 0.75
MAX_BLOCK_SIZE = 50
WINDOW = 10


@dataclass(frozen=True)
class ProductColumns:
    """Standardised product columns, one value per record."""

    keys: list[str]
    system: Column
    code: Column
    code_number: Column
    bare_code: BoolArray
    name: Column
    model: Column
    spec: Column
    spec_numbers: Column
    category: Column


@dataclass(frozen=True)
class _SpecComparison:
    agrees: BoolArray
    conflicts: BoolArray
    unknown: BoolArray


class ProductRules:
    """The product rule set (see the module docstring)."""

    entity = "product"

    def columns(self, records: Sequence[Record]) -> ProductColumns:
        """Standardise products into columns."""
        products = [r for r in records if isinstance(r, Product)]
        code = as_column([std.product_code(r.code) for r in products])
        return ProductColumns(
            keys=[r.source.key() for r in products],
            system=as_column([r.source.system for r in products]),
            code=code,
            code_number=as_column([std.product_code_number(r.code) for r in products]),
            bare_code=np.array([not any(c.isalpha() for c in v) for v in code], dtype=np.bool_),
            name=as_column([std.product_name(r.name, r.spec) for r in products]),
            model=as_column([std.model_number(r.name) for r in products]),
            spec=as_column([std.spec(r.spec) for r in products]),
            spec_numbers=as_column([std.spec_numbers(r.spec) for r in products]),
            category=as_column([std.text(r.category) for r in products]),
        )

    def keys(self, cols: ProductColumns) -> list[str]:
        """Return the record keys."""
        return cols.keys

    def candidates(self, cols: ProductColumns) -> PairArray:
        """Block on codes, name keys, model numbers and specs."""
        kind = as_column(["p"] * len(cols.keys))
        return candidate_pairs(
            {
                "code": cols.code,
                "code_number": cols.code_number,
                "name_token": first_token_key(kind, cols.name),
                "name_sorted": sorted_tokens_key(kind, cols.name, 8),
                "model": combined_key(cols.model, prefix_key(kind, cols.name, 2)),
                "spec_name": combined_key(cols.spec, prefix_key(kind, cols.name, 3)),
            },
            order_key=[f"{n}|{s}" for n, s in zip(cols.name, cols.spec, strict=True)],
            max_block_size=MAX_BLOCK_SIZE,
            window=WINDOW,
        )

    @staticmethod
    def _same_code(
        cols: ProductColumns, left: npt.NDArray[np.int64], right: PairArray
    ) -> BoolArray:
        # A bare number equals a prefixed one ("100042" ~ "M-100042"); two different
        # prefixes on one number stay different codes.
        code = compare.exact(cols.code, left, right)
        number = compare.exact(cols.code_number, left, right)
        bare = cols.bare_code
        return np.asarray(
            is_equal(code) | (is_equal(number) & (bare[left] | bare[right])), dtype=np.bool_
        )

    @staticmethod
    def _spec(cols: ProductColumns, left: PairArray, right: PairArray) -> _SpecComparison:
        spec_text = np.nan_to_num(compare.ratio(cols.spec, left, right), nan=0.0)
        spec_numbers = compare.exact(cols.spec_numbers, left, right)
        # Numbers must agree exactly; the words around them only roughly ("ISO VG 220" vs
        # "VG220"). Specs without numbers must agree as a whole.
        agrees = np.where(
            np.isnan(spec_numbers),
            spec_text >= 1.0,
            is_equal(spec_numbers) & (spec_text >= SPEC_TEXT_MIN),
        )
        unknown = np.isnan(compare.exact(cols.spec, left, right))
        return _SpecComparison(
            agrees=np.asarray(agrees, dtype=np.bool_),
            conflicts=np.asarray(~unknown & ~agrees, dtype=np.bool_),
            unknown=np.asarray(unknown, dtype=np.bool_),
        )

    def allowed(self, cols: ProductColumns, pairs: PairArray) -> BoolArray:
        """One model number, agreeing specs, and one category inside one system."""
        left, right = pairs[:, 0], pairs[:, 1]
        model_conflict = differs(compare.exact(cols.model, left, right))
        spec = self._spec(cols, left, right)
        # Category vocabularies differ between systems ("Motors" vs "MOTR"): compare only
        # within one system.
        same_system = cols.system[left] == cols.system[right]
        category_conflict = same_system & differs(compare.exact(cols.category, left, right))
        # An equal code decides even where spec texts are written too differently to
        # compare; numbers in the specs still have to agree.
        numbers_conflict = differs(compare.exact(cols.spec_numbers, left, right))
        same_code = self._same_code(cols, left, right)
        spec_conflict = np.where(same_code, numbers_conflict, spec.conflicts)
        ok = ~model_conflict & ~spec_conflict & ~(category_conflict & ~same_code)
        return np.asarray(ok, dtype=np.bool_)

    def accept(self, cols: ProductColumns, pairs: PairArray) -> RuleDecision:
        """Accept an equal code with a plausible name, or an equal name and spec."""
        left, right = pairs[:, 0], pairs[:, 1]
        same_code = self._same_code(cols, left, right)
        name0 = name_similarity(cols.name, left, right)
        model = compare.exact(cols.model, left, right)
        spec = self._spec(cols, left, right)
        code_unknown = np.isnan(compare.exact(cols.code, left, right))
        by_code = same_code & (name0 >= PRODUCT_CODE_NAME_MIN)
        by_name = (
            ~same_code
            & (name0 >= PRODUCT_NAME_MIN)
            & (spec.agrees | (spec.unknown & code_unknown & is_equal(model)))
        )
        accept = np.asarray(by_code | by_name, dtype=np.bool_)
        score = np.where(by_code, 0.9 + 0.1 * name0, 0.85 * name0)
        reason = np.full(len(pairs), "", dtype=object)
        for index in np.flatnonzero(accept):
            head = "code equal" if by_code[index] else "name and spec equal"
            reason[index] = f"{head}; name {name0[index]:.2f}"
        return RuleDecision(accept=accept, score=np.clip(score, 0.0, 1.0), reason=reason)

    def plausible(self, cols: ProductColumns, pairs: PairArray) -> BoolArray:
        """An equal code, or a similar name."""
        left, right = pairs[:, 0], pairs[:, 1]
        name0 = name_similarity(cols.name, left, right)
        same_code = self._same_code(cols, left, right)
        return np.asarray(same_code | (name0 >= PRODUCT_CODE_NAME_MIN), dtype=np.bool_)

    def guard(self, cols: ProductColumns) -> ClusterGuard:
        """One model number and one set of spec numbers per cluster."""
        return ClusterGuard(
            exclusive={"model": list(cols.model), "spec_numbers": list(cols.spec_numbers)}
        )
