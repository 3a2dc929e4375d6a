"""The matcher: standardise → block → compare → decide → cluster, for customers and products.

This is the walking skeleton's decision step: a small deterministic rule set on top of
field comparisons. It keeps the seams the full engine needs — standardised columns,
candidate pairs from :mod:`dedupe.blocking`, comparison vectors from
:mod:`dedupe.compare`, guarded clustering from :mod:`dedupe.cluster` — so a
Fellegi–Sunter scorer can later replace :func:`_decide_customers` /
:func:`_decide_products` without touching the rest.

Customer rules:

* never across kinds (person vs company), never across a hierarchy edge (a branch and
  its head office), never two sites of one company (different site qualifier in the
  name, or different parents in the same system), never two different tax ids;
* equal tax id and a plausible name (or two more equal fields, for names written in
  another script) → match;
* equal e-mail address and a similar name → match;
* a similar name plus corroborating fields (location, e-mail domain, phone, web site):
  the less similar the name, the more fields it needs, and more fields must agree than
  disagree (namesakes in one city differ in domain and phone); persons need a phone.

Product rules: never two different model numbers ("PG-627" vs "PG-705"); an equal
normalised code (a bare number equals its prefixed form) → match; otherwise a very
similar name with an agreeing spec (equal numbers, similar words) and no category
conflict inside one system → match, which also finds a duplicate created under a new
code; same name with a different spec is a different product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedupe import compare
from dedupe import standardize as std
from dedupe.blocking import PairArray, candidate_pairs
from dedupe.cluster import ClusterGuard, cluster
from mappings.models import Customer, CustomerKind, Product

__all__ = ["MatchResult", "MatchedPair", "match_customers", "match_products"]

Column = npt.NDArray[np.object_]
BoolArray = npt.NDArray[np.bool_]

# Thresholds of the rule set (similarities in [0, 1]); tuned on the sandbox data.
TAX_NAME_MIN = 0.6
TAX_SUPPORT_MIN = 2
EMAIL_NAME_MIN = 0.75
NAME_ONE_FIELD_MIN = 0.9
NAME_TWO_FIELDS_MIN = 0.8
NAME_THREE_FIELDS_MIN = 0.7
PERSON_NAME_MIN = 0.85
PRODUCT_NAME_MIN = 0.9
PRODUCT_CODE_NAME_MIN = 0.5
SPEC_TEXT_MIN = 0.75
MAX_BLOCK_SIZE = 50
WINDOW = 10


@dataclass(frozen=True)
class MatchedPair:
    """Two records judged to be the same entity.

    Attributes:
        left: Record key (``SourceRef.key()``) of one record, the smaller one.
        right: Record key of the other record.
        score: Confidence in ``[0, 1]``.
        reason: Short explanation, e.g. ``"tax_id equal"``.
    """

    left: str
    right: str
    score: float
    reason: str


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching one entity's records.

    Attributes:
        clusters: Every input key in exactly one cluster (singletons included); each
            cluster sorted, clusters sorted by their first key.
        pairs: The accepted pairs, i.e. the edges used for clustering.
        candidate_pairs: Number of candidate pairs compared after blocking.
    """

    clusters: list[list[str]]
    pairs: list[MatchedPair]
    candidate_pairs: int


@dataclass(frozen=True)
class _Decision:
    """Per candidate pair: accepted or not, its score and the name of the rule."""

    accept: BoolArray
    score: npt.NDArray[np.float64]
    reason: npt.NDArray[np.object_]


def _column(values: Sequence[str]) -> Column:
    return np.asarray(values, dtype=object)


def _is(values: npt.NDArray[np.float64]) -> BoolArray:
    """Compared and equal/similar enough; ``NaN`` (missing) counts as not."""
    return np.nan_to_num(values, nan=0.0) >= 1.0


def _differs(values: npt.NDArray[np.float64]) -> BoolArray:
    """Compared and different; missing counts as not different."""
    return np.nan_to_num(values, nan=1.0) < 1.0


def _name_similarity(
    values: Column, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Best of whole-string and token-sorted similarity; ``0`` where a name is missing.

    Token sorting forgives word order ("Industries Thompson"), the whole string forgives
    split or joined words ("Masch.-Bau" vs "Maschinenbau").
    """
    best = np.fmax(compare.ratio(values, left, right), compare.token_sort(values, left, right))
    return np.nan_to_num(best, nan=0.0)


def _prefix_key(kind: Column, name: Column, length: int) -> list[str]:
    return [
        f"{k}:{n.replace(' ', '')[:length]}" if len(n.replace(" ", "")) >= 2 else ""
        for k, n in zip(kind, name, strict=True)
    ]


def _first_token_key(kind: Column, name: Column) -> list[str]:
    return [
        f"{k}:{n.split()[0]}" if n and len(n.split()[0]) >= 2 else ""
        for k, n in zip(kind, name, strict=True)
    ]


def _sorted_tokens_key(kind: Column, name: Column, length: int) -> list[str]:
    return [
        f"{k}:{''.join(sorted(n.split()))[:length]}" if n else ""
        for k, n in zip(kind, name, strict=True)
    ]


def _combined(*parts: Column) -> list[str]:
    return ["|".join(values) if all(values) else "" for values in zip(*parts, strict=True)]


def _result(
    keys: list[str],
    pairs: PairArray,
    decision: _Decision,
    guard: ClusterGuard,
) -> MatchResult:
    accepted = np.flatnonzero(decision.accept)
    clustering = cluster(len(keys), pairs[accepted], decision.score[accepted], guard)
    clusters = sorted(sorted(keys[p] for p in group) for group in clustering.groups())
    matched = []
    for index in accepted[clustering.kept]:
        left, right = sorted((keys[pairs[index, 0]], keys[pairs[index, 1]]))
        matched.append(
            MatchedPair(
                left, right, round(float(decision.score[index]), 4), str(decision.reason[index])
            )
        )
    matched.sort(key=lambda pair: (-pair.score, pair.left, pair.right))
    return MatchResult(clusters=clusters, pairs=matched, candidate_pairs=len(pairs))


# --------------------------------------------------------------------------- customers


@dataclass(frozen=True)
class _CustomerColumns:
    keys: list[str]
    system: Column
    identity: Column
    parent: Column
    kind: Column
    name: Column
    site: Column
    tax: Column
    email: Column
    domain: Column
    web: Column
    phone: Column
    city: Column
    postcode: Column


def _customer_columns(records: Sequence[Customer]) -> _CustomerColumns:
    def city_of(record: Customer) -> str | None:
        return record.bill_to.city or record.ship_to.city

    def name_of(record: Customer) -> str:
        if record.kind is CustomerKind.PERSON:
            return std.person_name(record.name)
        return std.company_name(record.name, city_of(record))

    def site_of(record: Customer) -> str:
        if record.kind is CustomerKind.PERSON:
            return ""
        return std.site_suffix(record.name, city_of(record))

    return _CustomerColumns(
        keys=[r.source.key() for r in records],
        system=_column([r.source.system for r in records]),
        identity=_column([f"{r.source.system}:{r.source.source_id}" for r in records]),
        parent=_column(
            [
                f"{r.source.system}:{r.parent_source_id}" if r.parent_source_id else ""
                for r in records
            ]
        ),
        kind=_column([str(r.kind) for r in records]),
        name=_column([name_of(r) for r in records]),
        site=_column([site_of(r) for r in records]),
        tax=_column([std.tax_id(r.tax_id) for r in records]),
        email=_column([std.email(r.email) for r in records]),
        domain=_column([std.email_domain(r.email) for r in records]),
        web=_column([std.website_domain(r.website) for r in records]),
        phone=_column([std.phone_digits(r.phone) for r in records]),
        city=_column([std.city(city_of(r)) for r in records]),
        postcode=_column([std.postcode(r.bill_to.postcode or r.ship_to.postcode) for r in records]),
    )


def _customer_pairs(cols: _CustomerColumns) -> PairArray:
    return candidate_pairs(
        {
            "tax_id": cols.tax,
            "email": cols.email,
            "email_domain": cols.domain,
            "website": cols.web,
            "phone": cols.phone,
            "name_token": _first_token_key(cols.kind, cols.name),
            "name_sorted": _sorted_tokens_key(cols.kind, cols.name, 8),
            "name_prefix": _prefix_key(cols.kind, cols.name, 4),
            "postcode_name": _combined(
                cols.postcode, _column(_prefix_key(cols.kind, cols.name, 2))
            ),
        },
        order_key=list(cols.name),
        max_block_size=MAX_BLOCK_SIZE,
        window=WINDOW,
    )


def _hierarchy_conflict(cols: _CustomerColumns, left: PairArray, right: PairArray) -> BoolArray:
    parent_l, parent_r = cols.parent[left], cols.parent[right]
    is_parent = (parent_l == cols.identity[right]) | (parent_r == cols.identity[left])
    # A parent id is only comparable inside one system (ids are per system).
    system_l, system_r = cols.system[left], cols.system[right]
    same_system_parents = (parent_l != "") & (parent_r != "") & (system_l == system_r)
    different_parent = same_system_parents & (parent_l != parent_r)
    different_site = cols.site[left] != cols.site[right]
    return np.asarray(is_parent | different_parent | different_site, dtype=np.bool_)


def _decide_customers(cols: _CustomerColumns, pairs: PairArray) -> _Decision:
    left, right = pairs[:, 0], pairs[:, 1]
    name0 = _name_similarity(cols.name, left, right)
    tax = compare.exact(cols.tax, left, right)
    email = compare.exact(cols.email, left, right)
    phone = compare.exact(cols.phone, left, right)
    # City and postcode say the same thing (location), so together they count once.
    support = {
        "location": np.fmax(
            compare.exact(cols.city, left, right), compare.exact(cols.postcode, left, right)
        ),
        "email domain": compare.exact(cols.domain, left, right),
        "phone": phone,
        "website": compare.exact(cols.web, left, right),
    }
    n_support = np.sum([_is(values) for values in support.values()], axis=0)
    # Namesakes (two companies of one name in one city) differ in how to reach them.
    n_conflict = np.sum(
        [_differs(support[field]) for field in ("email domain", "phone", "website")], axis=0
    )

    person = cols.kind[left] == str(CustomerKind.PERSON)
    allowed = (cols.kind[left] == cols.kind[right]) & ~_hierarchy_conflict(cols, left, right)
    allowed &= ~_differs(tax)

    # Equal tax ids with two more equal fields also match names written in another
    # script ("北京海兴电子" vs "Beijing Haixing Electronics").
    by_tax = _is(tax) & ((name0 >= TAX_NAME_MIN) | (n_support >= TAX_SUPPORT_MIN))
    by_email = _is(email) & (name0 >= EMAIL_NAME_MIN)
    by_name_company = ~person & (
        ((name0 >= NAME_ONE_FIELD_MIN) & (n_support >= 1))
        | ((name0 >= NAME_TWO_FIELDS_MIN) & (n_support >= 2))
        | ((name0 >= NAME_THREE_FIELDS_MIN) & (n_support >= 3))
    )
    by_name_person = person & (name0 >= PERSON_NAME_MIN) & _is(phone)
    by_name = (by_name_company | by_name_person) & (n_conflict < n_support)
    accept = allowed & (by_tax | by_email | by_name)

    score = np.where(
        by_tax | by_email,
        0.9 + 0.1 * name0,
        name0 * (0.7 + 0.1 * np.minimum(n_support, 3)),
    )
    reason = np.full(len(pairs), "", dtype=object)
    for index in np.flatnonzero(accept):
        if by_tax[index]:
            head = "tax_id equal"
        elif by_email[index]:
            head = "email equal"
        else:
            head = ", ".join(
                f"{field} equal" for field, values in support.items() if values[index] == 1.0
            )
        reason[index] = f"{head}; name {name0[index]:.2f}"
    return _Decision(accept=accept, score=np.clip(score, 0.0, 1.0), reason=reason)


def match_customers(records: Sequence[Customer]) -> MatchResult:
    """Find duplicate customers within and across systems and cluster them.

    Args:
        records: Canonical customers (quarantined records already removed). Record keys
            (``source.key()``) must be unique.

    Returns:
        Clusters of record keys, the accepted pairs and the candidate pair count.
    """
    cols = _customer_columns(records)
    pairs = _customer_pairs(cols)
    decision = _decide_customers(cols, pairs)
    guard = ClusterGuard(
        exclusive={"tax_id": list(cols.tax), "site": list(cols.site), "kind": list(cols.kind)},
        identity=[frozenset({identity}) for identity in cols.identity],
        forbidden=[frozenset({parent}) if parent else frozenset() for parent in cols.parent],
    )
    return _result(cols.keys, pairs, decision, guard)


# ---------------------------------------------------------------------------- products


@dataclass(frozen=True)
class _ProductColumns:
    keys: list[str]
    system: Column
    code: Column
    code_number: Column
    name: Column
    model: Column
    spec: Column
    spec_numbers: Column
    category: Column


def _product_columns(records: Sequence[Product]) -> _ProductColumns:
    return _ProductColumns(
        keys=[r.source.key() for r in records],
        system=_column([r.source.system for r in records]),
        code=_column([std.product_code(r.code) for r in records]),
        code_number=_column([std.product_code_number(r.code) for r in records]),
        name=_column([std.product_name(r.name, r.spec) for r in records]),
        model=_column([std.model_number(r.name) for r in records]),
        spec=_column([std.spec(r.spec) for r in records]),
        spec_numbers=_column([std.spec_numbers(r.spec) for r in records]),
        category=_column([std.text(r.category) for r in records]),
    )


def _product_pairs(cols: _ProductColumns) -> PairArray:
    kind = _column(["p"] * len(cols.keys))
    return candidate_pairs(
        {
            "code": cols.code,
            "code_number": cols.code_number,
            "name_token": _first_token_key(kind, cols.name),
            "name_sorted": _sorted_tokens_key(kind, cols.name, 8),
            "model": _combined(cols.model, _column(_prefix_key(kind, cols.name, 2))),
            "spec_name": _combined(cols.spec, _column(_prefix_key(kind, cols.name, 3))),
        },
        order_key=[f"{n}|{s}" for n, s in zip(cols.name, cols.spec, strict=True)],
        max_block_size=MAX_BLOCK_SIZE,
        window=WINDOW,
    )


def _decide_products(cols: _ProductColumns, pairs: PairArray) -> _Decision:
    left, right = pairs[:, 0], pairs[:, 1]
    code = compare.exact(cols.code, left, right)
    number = compare.exact(cols.code_number, left, right)
    # A bare number equals a prefixed one ("100042" ~ "M-100042"); two different
    # prefixes on one number stay different codes.
    bare = np.array([not any(c.isalpha() for c in value) for value in cols.code], dtype=np.bool_)
    same_code = _is(code) | (_is(number) & (bare[left] | bare[right]))
    name0 = _name_similarity(cols.name, left, right)
    model = compare.exact(cols.model, left, right)
    spec_text = np.nan_to_num(compare.ratio(cols.spec, left, right), nan=0.0)
    spec_numbers = compare.exact(cols.spec_numbers, left, right)
    # Numbers must agree exactly; the words around them only roughly ("ISO VG 220" vs
    # "VG220"). Specs without numbers must agree as a whole.
    spec_agrees = np.where(
        np.isnan(spec_numbers), spec_text >= 1.0, _is(spec_numbers) & (spec_text >= SPEC_TEXT_MIN)
    )
    # Category vocabularies differ between systems ("Motors" vs "MOTR"): compare only
    # within one system.
    same_system = cols.system[left] == cols.system[right]
    category_conflict = same_system & _differs(compare.exact(cols.category, left, right))

    by_code = same_code & (name0 >= PRODUCT_CODE_NAME_MIN) & ~_differs(model)
    # Without an equal code the name (with its model number) and the spec must agree;
    # a duplicate created under a new code in one system looks exactly like this.
    # A spec missing on one side cannot disagree: with a code missing too, the model
    # number has to carry the match.
    spec_unknown = np.isnan(compare.exact(cols.spec, left, right)) & np.isnan(code)
    by_name = (
        ~same_code
        & (name0 >= PRODUCT_NAME_MIN)
        & ~_differs(model)
        & (spec_agrees | (spec_unknown & _is(model)))
        & ~category_conflict
    )
    accept = by_code | by_name

    score = np.where(by_code, 0.9 + 0.1 * name0, 0.85 * name0)
    reason = np.full(len(pairs), "", dtype=object)
    for index in np.flatnonzero(accept):
        head = "code equal" if by_code[index] else "name and spec equal"
        reason[index] = f"{head}; name {name0[index]:.2f}"
    return _Decision(accept=accept, score=np.clip(score, 0.0, 1.0), reason=reason)


def match_products(records: Sequence[Product]) -> MatchResult:
    """Find duplicate products on code, name and specification and cluster them.

    Args:
        records: Canonical products (quarantined records already removed). Record keys
            must be unique.

    Returns:
        Clusters of record keys, the accepted pairs and the candidate pair count.
    """
    cols = _product_columns(records)
    pairs = _product_pairs(cols)
    decision = _decide_products(cols, pairs)
    guard = ClusterGuard(
        exclusive={"model": list(cols.model), "spec_numbers": list(cols.spec_numbers)}
    )
    return _result(cols.keys, pairs, decision, guard)
