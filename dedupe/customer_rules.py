"""Customer rule set: hard constraints and sure-match rules for companies and persons.

Hard constraints (no rule, no probability and no chain of matches may break them):
never across kinds (person vs company); never across a hierarchy edge (a branch and its
head office); never two sites of one company (a different site qualifier in the name,
or different parents in one system); never two different tax ids.

An engine-only match needs a plausible name (or an equal tax id, e-mail or web site):
the same address alone is two companies in one building, not one company.

Rules (a pair they accept is a match whatever the engine says):

* equal tax id and a plausible name (or two more equal fields, for names written in
  another script) → match;
* equal e-mail address and a similar name → match;
* a similar name plus corroborating fields (location, e-mail domain, phone, web site):
  the less similar the name, the more fields it needs, and more fields must agree than
  disagree (namesakes in one city differ in domain and phone); persons need a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

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
from mappings.models import Customer, CustomerKind, Record

__all__ = ["CustomerColumns", "CustomerRules"]

# Thresholds of the rule set (similarities in [0, 1]); tuned on the sandbox data.
TAX_NAME_MIN = 0.6
TAX_SUPPORT_MIN = 2
EMAIL_NAME_MIN = 0.75
NAME_ONE_FIELD_MIN = 0.9
NAME_TWO_FIELDS_MIN = 0.8
NAME_THREE_FIELDS_MIN = 0.7
PERSON_NAME_MIN = 0.85
PLAUSIBLE_NAME_MIN = 0.6
MAX_BLOCK_SIZE = 50
WINDOW = 10


@dataclass(frozen=True)
class CustomerColumns:
    """Standardised customer columns, one value per record."""

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


def _city_of(record: Customer) -> str | None:
    return record.bill_to.city or record.ship_to.city


def _name_of(record: Customer) -> str:
    if record.kind is CustomerKind.PERSON:
        return std.person_name(record.name)
    return std.company_name(record.name, _city_of(record))


def _site_of(record: Customer) -> str:
    if record.kind is CustomerKind.PERSON:
        return ""
    return std.site_suffix(record.name, _city_of(record))


class CustomerRules:
    """The customer rule set (see the module docstring)."""

    entity = "customer"

    def columns(self, records: Sequence[Record]) -> CustomerColumns:
        """Standardise customers into columns."""
        customers = [r for r in records if isinstance(r, Customer)]
        return CustomerColumns(
            keys=[r.source.key() for r in customers],
            system=as_column([r.source.system for r in customers]),
            identity=as_column([f"{r.source.system}:{r.source.source_id}" for r in customers]),
            parent=as_column(
                [
                    f"{r.source.system}:{r.parent_source_id}" if r.parent_source_id else ""
                    for r in customers
                ]
            ),
            kind=as_column([str(r.kind) for r in customers]),
            name=as_column([_name_of(r) for r in customers]),
            site=as_column([_site_of(r) for r in customers]),
            tax=as_column([std.tax_id(r.tax_id) for r in customers]),
            email=as_column([std.email(r.email) for r in customers]),
            domain=as_column([std.email_domain(r.email) for r in customers]),
            web=as_column([std.website_domain(r.website) for r in customers]),
            phone=as_column([std.phone_digits(r.phone) for r in customers]),
            city=as_column([std.city(_city_of(r)) for r in customers]),
            postcode=as_column(
                [std.postcode(r.bill_to.postcode or r.ship_to.postcode) for r in customers]
            ),
        )

    def keys(self, cols: CustomerColumns) -> list[str]:
        """Return the record keys."""
        return cols.keys

    def candidates(self, cols: CustomerColumns) -> PairArray:
        """Block on ids, contact details and several name keys."""
        return candidate_pairs(
            {
                "tax_id": cols.tax,
                "email": cols.email,
                "email_domain": cols.domain,
                "website": cols.web,
                "phone": cols.phone,
                "name_token": first_token_key(cols.kind, cols.name),
                "name_sorted": sorted_tokens_key(cols.kind, cols.name, 8),
                "name_prefix": prefix_key(cols.kind, cols.name, 4),
                "postcode_name": combined_key(cols.postcode, prefix_key(cols.kind, cols.name, 2)),
            },
            order_key=list(cols.name),
            max_block_size=MAX_BLOCK_SIZE,
            window=WINDOW,
        )

    def allowed(self, cols: CustomerColumns, pairs: PairArray) -> BoolArray:
        """Same kind, no hierarchy edge, no two sites, no two tax ids."""
        left, right = pairs[:, 0], pairs[:, 1]
        parent_l, parent_r = cols.parent[left], cols.parent[right]
        is_parent = (parent_l == cols.identity[right]) | (parent_r == cols.identity[left])
        # A parent id is only comparable inside one system (ids are per system).
        same_system = cols.system[left] == cols.system[right]
        different_parent = (
            (parent_l != "") & (parent_r != "") & same_system & (parent_l != parent_r)
        )
        different_site = cols.site[left] != cols.site[right]
        same_kind = cols.kind[left] == cols.kind[right]
        tax_conflict = differs(compare.exact(cols.tax, left, right))
        ok = same_kind & ~is_parent & ~different_parent & ~different_site & ~tax_conflict
        return np.asarray(ok, dtype=np.bool_)

    def accept(self, cols: CustomerColumns, pairs: PairArray) -> RuleDecision:
        """Accept pairs by tax id, e-mail, or a similar name with corroborating fields."""
        left, right = pairs[:, 0], pairs[:, 1]
        name0 = name_similarity(cols.name, left, right)
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
        n_support = np.sum([is_equal(values) for values in support.values()], axis=0)
        # Namesakes (two companies of one name in one city) differ in how to reach them.
        n_conflict = np.sum(
            [differs(support[field]) for field in ("email domain", "phone", "website")], axis=0
        )
        person = cols.kind[left] == str(CustomerKind.PERSON)
        # Equal tax ids with two more equal fields also match names written in another
        # script ("北京海兴电子" vs "Beijing Haixing Electronics").
        by_tax = is_equal(tax) & ((name0 >= TAX_NAME_MIN) | (n_support >= TAX_SUPPORT_MIN))
        by_email = is_equal(email) & (name0 >= EMAIL_NAME_MIN)
        by_name_company = ~person & (
            ((name0 >= NAME_ONE_FIELD_MIN) & (n_support >= 1))
            | ((name0 >= NAME_TWO_FIELDS_MIN) & (n_support >= 2))
            | ((name0 >= NAME_THREE_FIELDS_MIN) & (n_support >= 3))
        )
        by_name_person = person & (name0 >= PERSON_NAME_MIN) & is_equal(phone)
        by_name = (by_name_company | by_name_person) & (n_conflict < n_support)
        accept = np.asarray(by_tax | by_email | by_name, dtype=np.bool_)
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
        return RuleDecision(accept=accept, score=np.clip(score, 0.0, 1.0), reason=reason)

    def plausible(self, cols: CustomerColumns, pairs: PairArray) -> BoolArray:
        """A similar name, or an equal tax id, e-mail address or web site."""
        left, right = pairs[:, 0], pairs[:, 1]
        name0 = name_similarity(cols.name, left, right)
        identifier = (
            is_equal(compare.exact(cols.tax, left, right))
            | is_equal(compare.exact(cols.email, left, right))
            | is_equal(compare.exact(cols.web, left, right))
        )
        return np.asarray((name0 >= PLAUSIBLE_NAME_MIN) | identifier, dtype=np.bool_)

    def guard(self, cols: CustomerColumns) -> ClusterGuard:
        """One tax id, site and kind per cluster; a branch never joins its head office."""
        return ClusterGuard(
            exclusive={"tax_id": list(cols.tax), "site": list(cols.site), "kind": list(cols.kind)},
            identity=[frozenset({identity}) for identity in cols.identity],
            forbidden=[frozenset({parent}) if parent else frozenset() for parent in cols.parent],
        )
