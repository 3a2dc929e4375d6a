"""Contact rule set: the same person at one golden customer.

Contacts are only ever matched within their golden customer (the customer record they
belong to, resolved through the customer cross-references): two people of one name at
two companies are two contacts. Within a customer, the same person shows up with
another address, a typo in a name, an initial for a given name, or the e-mail written
otherwise.

Hard constraint: the same golden customer, known on both sides.

Rules: an equal e-mail address with a similar family name → match; a similar family
name with a compatible given name (equal, similar, or an initial of the other) and one
more agreeing detail (e-mail mailbox, phone, street) → match.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from dedupe import compare
from dedupe import standardize as std
from dedupe.blocking import PairArray, candidate_pairs
from dedupe.cluster import ClusterGuard
from dedupe.rules import BoolArray, Column, RuleDecision, as_column, combined_key, is_equal
from mappings.models import Contact, Record

__all__ = ["ContactColumns", "ContactRules"]

LAST_NAME_MIN = 0.85
EMAIL_LAST_NAME_MIN = 0.7
FIRST_NAME_MIN = 0.85
MAILBOX_MIN = 0.9
MAX_BLOCK_SIZE = 60
WINDOW = 12


@dataclass(frozen=True)
class ContactColumns:
    """Standardised contact columns, one value per record."""

    keys: list[str]
    customer: Column
    first: Column
    last: Column
    email: Column
    mailbox: Column
    phone: Column
    street: Column


def _mailbox(value: str | None) -> str:
    # "j.smith", "jsmith" and "j_smith" are one mailbox written otherwise.
    address = std.email(value)
    local = address.split("@", 1)[0] if address else ""
    return "".join(ch for ch in local if ch.isalnum())


class ContactRules:
    """The contact rule set (see the module docstring).

    Args:
        customer_of: Record key of a contact → golden id of its customer.
    """

    entity = "contact"

    def __init__(self, customer_of: Mapping[str, str]) -> None:
        self.customer_of = customer_of

    def columns(self, records: Sequence[Record]) -> ContactColumns:
        """Standardise contacts into columns."""
        contacts = [r for r in records if isinstance(r, Contact)]
        keys = [r.source.key() for r in contacts]
        return ContactColumns(
            keys=keys,
            customer=as_column([self.customer_of.get(key, "") for key in keys]),
            first=as_column([std.text(r.first_name) for r in contacts]),
            last=as_column([std.text(r.last_name) for r in contacts]),
            email=as_column([std.email(r.email) for r in contacts]),
            mailbox=as_column([_mailbox(r.email) for r in contacts]),
            phone=as_column([std.phone_digits(r.phone) for r in contacts]),
            street=as_column([std.text(r.address.street) for r in contacts]),
        )

    def keys(self, cols: ContactColumns) -> list[str]:
        """Return the record keys."""
        return cols.keys

    def candidates(self, cols: ContactColumns) -> PairArray:
        """Every pair within one golden customer (customers have few contacts)."""
        return candidate_pairs(
            {
                "customer": cols.customer,
                "customer_email": combined_key(cols.customer, cols.email),
            },
            order_key=[f"{c}|{n}" for c, n in zip(cols.customer, cols.last, strict=True)],
            max_block_size=MAX_BLOCK_SIZE,
            window=WINDOW,
        )

    def allowed(self, cols: ContactColumns, pairs: PairArray) -> BoolArray:
        """Both contacts belong to the same known golden customer."""
        left, right = pairs[:, 0], pairs[:, 1]
        same = (cols.customer[left] == cols.customer[right]) & (cols.customer[left] != "")
        return np.asarray(same, dtype=np.bool_)

    @staticmethod
    def _first_compatible(
        cols: ContactColumns, left: npt.NDArray[np.int64], right: npt.NDArray[np.int64]
    ) -> BoolArray:
        first_l, first_r = cols.first[left], cols.first[right]
        similar = np.nan_to_num(compare.ratio(cols.first, left, right), nan=0.0) >= FIRST_NAME_MIN
        initial = np.array(
            [
                bool(a and b) and (len(a) == 1 or len(b) == 1) and a[0] == b[0]
                for a, b in zip(first_l, first_r, strict=True)
            ],
            dtype=np.bool_,
        )
        return np.asarray(similar | initial, dtype=np.bool_)

    def accept(self, cols: ContactColumns, pairs: PairArray) -> RuleDecision:
        """Accept an equal e-mail with a similar name, or a name with one more detail."""
        left, right = pairs[:, 0], pairs[:, 1]
        last = np.nan_to_num(compare.ratio(cols.last, left, right), nan=0.0)
        first_ok = self._first_compatible(cols, left, right)
        email = is_equal(compare.exact(cols.email, left, right))
        mailbox = np.nan_to_num(compare.ratio(cols.mailbox, left, right), nan=0.0) >= MAILBOX_MIN
        phone = is_equal(compare.exact(cols.phone, left, right))
        street = is_equal(compare.exact(cols.street, left, right))
        by_email = email & (last >= EMAIL_LAST_NAME_MIN)
        by_name = (last >= LAST_NAME_MIN) & first_ok & (mailbox | phone | street)
        accept = np.asarray(by_email | by_name, dtype=np.bool_)
        score = np.where(by_email, 0.9 + 0.1 * last, 0.8 * last)
        reason = np.full(len(pairs), "", dtype=object)
        for index in np.flatnonzero(accept):
            if by_email[index]:
                reason[index] = f"email equal; last name {last[index]:.2f}"
                continue
            details = [
                name
                for name, agree in (("mailbox", mailbox), ("phone", phone), ("street", street))
                if agree[index]
            ]
            reason[index] = f"{', '.join(details)} agree; last name {last[index]:.2f}"
        return RuleDecision(accept=accept, score=np.clip(score, 0.0, 1.0), reason=reason)

    def plausible(self, cols: ContactColumns, pairs: PairArray) -> BoolArray:
        """A similar family name, or an equal e-mail address."""
        left, right = pairs[:, 0], pairs[:, 1]
        last = np.nan_to_num(compare.ratio(cols.last, left, right), nan=0.0)
        email = is_equal(compare.exact(cols.email, left, right))
        return np.asarray((last >= EMAIL_LAST_NAME_MIN) | email, dtype=np.bool_)

    def guard(self, cols: ContactColumns) -> ClusterGuard:
        """One golden customer per cluster."""
        return ClusterGuard(exclusive={"customer": list(cols.customer)})
