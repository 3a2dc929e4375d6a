"""Customers: ``party.party`` with its addresses, contact mechanisms and identifiers.

One record per active party, flattened to columns:

* ``id`` (the key), ``code`` (Tryton's party code, read-only), ``name``;
* ``email``, ``phone`` (a ``phone`` mechanism, else ``mobile``), ``website``: the first
  contact mechanism of that type;
* ``invoice_address.*`` and ``delivery_address.*`` (``street``, ``postal_code``, ``city``,
  ``subdivision`` as ISO 3166-2 code, ``country`` as ISO alpha-2): the address Tryton
  itself picks for invoices / deliveries (the first flagged one, else the first one);
* ``tax_id``: the party's tax identifier, else its first untyped identifier;
* the golden id column: the untyped identifier whose code starts with
  ``golden_id_prefix`` (``crmsync:GC-...``), prefix removed;
* ``credit_limit``, ``currency`` (the company's), ``payment_term`` (name): read-only.

A push writes the party, those addresses, mechanisms and identifiers in one ``write``
(one transaction: all or nothing per party); it creates what is missing and never
deletes the user's other addresses or mechanisms. A blank value does not remove a
contact mechanism or identifier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from connectors.errors import RecordError
from connectors.tryton.adapter import EntityAdapter, blank, plain, same_value, text
from connectors.tryton.changes import ChangeSource
from mappings.spec import MappingSpec

ADDRESS_FIELDS = ("street", "postal_code", "city", "subdivision", "country")
ADDRESS_KINDS = {"invoice_address": "invoice", "delivery_address": "delivery"}
MECHANISMS = {"email": ("email",), "phone": ("phone", "mobile"), "website": ("website",)}
PARTY_COLUMNS = frozenset(
    {"name", "tax_id", *MECHANISMS}
    | {f"{kind}.{name}" for kind in ADDRESS_KINDS for name in ADDRESS_FIELDS}
)


@dataclass
class PartyState:
    """A party as read, with the ids of the rows its columns came from."""

    payload: dict[str, Any]
    address_ids: dict[str, int | None] = field(default_factory=dict)
    addresses: dict[int, dict[str, Any]] = field(default_factory=dict)
    mechanism_ids: dict[str, int | None] = field(default_factory=dict)
    tax_identifier: int | None = None
    golden_identifier: int | None = None


def _pick_address(ordered: list[dict[str, Any]], flag: str) -> dict[str, Any] | None:
    """Tryton's own choice (``address_get``): the first flagged address, else the first."""
    for address in ordered:
        if address.get(flag):
            return address
    return ordered[0] if ordered else None


class CustomerAdapter(EntityAdapter):
    """``party.party`` ↔ canonical customer."""

    entity: ClassVar[str] = "customer"
    root: ClassVar[str] = "party.party"
    sources: ClassVar[tuple[ChangeSource, ...]] = (
        ChangeSource("party.party"),
        ChangeSource("party.address", "party"),
        ChangeSource("party.contact_mechanism", "party"),
        ChangeSource("party.identifier", "party"),
    )
    push_columns: ClassVar[frozenset[str]] = PARTY_COLUMNS | {"code"}

    def domain(self) -> list[Any]:
        """Every party except the companies' own: Tryton's company is a party, not a customer."""
        own = sorted(
            int(row["party"]) for row in self.rpc.search_read("company.company", [], ["party"])
        )
        return [["id", "not in", own]] if own else []

    PARTY_FIELDS: ClassVar[list[str]] = [
        "name",
        "code",
        "active",
        "addresses",
        "contact_mechanisms",
        "identifiers",
        "tax_identifier",
        "credit_limit_amount",
        "customer_payment_term.name",
    ]

    def states(self, ids: Sequence[int], mapping: MappingSpec) -> list[PartyState]:
        """Read parties and their related rows; return their flattened states."""
        parties = self.rpc.read(self.root, list(ids), self.PARTY_FIELDS)
        address_ids = [a for p in parties for a in p.get("addresses") or []]
        mechanism_ids = [m for p in parties for m in p.get("contact_mechanisms") or []]
        identifier_ids = [i for p in parties for i in p.get("identifiers") or []]
        addresses = {
            int(a["id"]): a
            for a in self.rpc.read(
                "party.address",
                address_ids,
                ["street", "postal_code", "city", "subdivision", "country", "invoice", "delivery"],
            )
        }
        mechanisms = {
            int(m["id"]): m
            for m in self.rpc.read("party.contact_mechanism", mechanism_ids, ["type", "value"])
        }
        identifiers = {
            int(i["id"]): i
            for i in self.rpc.read("party.identifier", identifier_ids, ["type", "code"])
        }
        currency = self.lookups.company_currency()
        golden_column = self.golden_column(mapping)
        return [
            self._state(p, addresses, mechanisms, identifiers, currency, golden_column)
            for p in parties
        ]

    def _state(
        self,
        party: dict[str, Any],
        addresses: dict[int, dict[str, Any]],
        mechanisms: dict[int, dict[str, Any]],
        identifiers: dict[int, dict[str, Any]],
        currency: str | None,
        golden_column: str,
    ) -> PartyState:
        payload: dict[str, Any] = {
            "id": str(party["id"]),
            "code": party.get("code"),
            "name": party.get("name"),
        }
        state = PartyState(payload)
        ordered = [addresses[a] for a in party.get("addresses") or [] if a in addresses]
        for column, flag in ADDRESS_KINDS.items():
            address = _pick_address(ordered, flag)
            state.address_ids[column] = int(address["id"]) if address else None
            values = self._address_columns(address)
            for name in ADDRESS_FIELDS:
                payload[f"{column}.{name}"] = values[name]
        state.addresses = {int(a["id"]): a for a in ordered}
        owned = [mechanisms[m] for m in party.get("contact_mechanisms") or [] if m in mechanisms]
        for column, types in MECHANISMS.items():
            mechanism = next((m for t in types for m in owned if m.get("type") == t), None)
            state.mechanism_ids[column] = int(mechanism["id"]) if mechanism else None
            payload[column] = text(mechanism.get("value")) if mechanism else None
        held = [identifiers[i] for i in party.get("identifiers") or [] if i in identifiers]
        golden = next((i for i in held if not i.get("type") and self.golden_of(i["code"])), None)
        state.golden_identifier = int(golden["id"]) if golden else None
        payload[golden_column] = self.golden_of(golden["code"]) if golden else None
        tax = identifiers.get(party.get("tax_identifier") or 0)
        if tax is None:
            tax = next((i for i in held if not i.get("type") and i is not golden), None)
        state.tax_identifier = int(tax["id"]) if tax else None
        payload["tax_id"] = text(tax.get("code")) if tax else None
        payload["credit_limit"] = plain(party.get("credit_limit_amount"))
        payload["currency"] = currency
        term = party.get("customer_payment_term.") or {}
        payload["payment_term"] = term.get("name") if isinstance(term, dict) else None
        payload["active"] = bool(party.get("active", True))
        return state

    def _address_columns(self, address: dict[str, Any] | None) -> dict[str, Any]:
        if address is None:
            return dict.fromkeys(ADDRESS_FIELDS)
        return {
            "street": text(address.get("street")),
            "postal_code": text(address.get("postal_code")),
            "city": text(address.get("city")),
            "subdivision": self.lookups.subdivision_code(address.get("subdivision")),
            "country": self.lookups.country_code(address.get("country")),
        }

    def read(self, ids: Sequence[int], mapping: MappingSpec) -> list[dict[str, Any]]:
        """Return the flattened payload of each party in ``ids``."""
        return [s.payload for s in self.states(ids, mapping)]

    # -- push ---------------------------------------------------------------------

    def find_golden(self, golden_ids: Sequence[str]) -> dict[str, tuple[int, bool]]:
        """Return ``{golden id: (party id, active)}``, archived parties included."""
        codes = [self.golden_code(g) for g in golden_ids]
        found: dict[str, tuple[int, bool]] = {}
        no_archive_filter = {"active_test": False}
        for start in range(0, len(codes), self.config.page_size):
            rows = self.rpc.search_read(
                "party.identifier",
                [["code", "in", codes[start : start + self.config.page_size]], ["type", "=", None]],
                ["code", "party", "party.active"],
                context=no_archive_filter,
            )
            for row in rows:
                golden = self.golden_of(row["code"])
                party = row.get("party.") or {}
                if golden is not None and row.get("party"):
                    found.setdefault(golden, (int(row["party"]), bool(party.get("active", True))))
        return found

    def _wanted(self, state: PartyState, values: dict[str, Any], column: str) -> dict[str, Any]:
        """Return the address columns wanted for ``column``: given values over current ones."""
        return {
            name: values.get(f"{column}.{name}", state.payload.get(f"{column}.{name}"))
            for name in ADDRESS_FIELDS
        }

    def _address_fields(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """Return Tryton ``party.address`` fields for canonical address columns."""
        country = None if blank(wanted["country"]) else self.lookups.country_id(wanted["country"])
        subdivision = wanted["subdivision"]
        return {
            "street": text(wanted["street"]),
            "postal_code": text(wanted["postal_code"]),
            "city": text(wanted["city"]),
            "country": country,
            "subdivision": (
                None if blank(subdivision) else self.lookups.subdivision_id(subdivision, country)
            ),
        }

    def _address_ops(self, state: PartyState, values: dict[str, Any]) -> list[Any]:
        """Return the one2many commands that make the invoice/delivery addresses as wanted.

        A party whose one address serves both and is now given two different ones keeps
        that address for invoices and gets a new delivery address; nothing is deleted.
        """
        invoice = self._wanted(state, values, "invoice_address")
        delivery = self._wanted(state, values, "delivery_address")

        def differs(column: str, wanted: dict[str, Any]) -> bool:
            return not all(
                same_value(state.payload.get(f"{column}.{n}"), wanted[n]) for n in ADDRESS_FIELDS
            )

        def empty(wanted: dict[str, Any]) -> bool:
            return all(blank(v) for v in wanted.values())

        one = all(same_value(invoice[n], delivery[n]) for n in ADDRESS_FIELDS)
        invoice_id = state.address_ids.get("invoice_address")
        delivery_id = state.address_ids.get("delivery_address")
        ops: list[Any] = []
        if invoice_id is None:  # the party has no address at all
            if one or empty(delivery):
                if not empty(invoice):
                    fields = self._address_fields(invoice)
                    ops.append(["create", [{**fields, "invoice": True, "delivery": True}]])
                return ops
            for wanted, flag in ((invoice, "invoice"), (delivery, "delivery")):
                if not empty(wanted):
                    other = "delivery" if flag == "invoice" else "invoice"
                    fields = self._address_fields(wanted)
                    ops.append(["create", [{**fields, flag: True, other: False}]])
            return ops
        if invoice_id == delivery_id and not one:
            fields = self._address_fields(invoice)
            ops.append(["write", [invoice_id], {**fields, "invoice": True, "delivery": False}])
            fields = self._address_fields(delivery)
            ops.append(["create", [{**fields, "invoice": False, "delivery": True}]])
            return ops
        if differs("invoice_address", invoice):
            ops.append(["write", [invoice_id], self._address_fields(invoice)])
        if (
            delivery_id != invoice_id
            and delivery_id is not None
            and differs("delivery_address", delivery)
        ):
            ops.append(["write", [delivery_id], self._address_fields(delivery)])
        return ops

    def _tax_type(self, code: str, country: str | None) -> str | None:
        """Guess the identifier type of a tax id as Tryton's own autocomplete does."""
        from stdnum import get_cc_module

        eu_vat = get_cc_module("eu", "vat")
        if eu_vat is not None and eu_vat.is_valid(code):
            return "eu_vat"
        if country:
            module = get_cc_module(country.lower(), "vat")
            if module is not None and module.is_valid(code):
                return f"{country.lower()}_vat"
        return None

    def _changes(self, state: PartyState, values: dict[str, Any], golden_column: str) -> dict:
        current = state.payload
        differs = {
            k: v for k, v in values.items() if k in current and not same_value(current[k], v)
        }
        write: dict[str, Any] = {}
        if "name" in differs:
            write["name"] = text(differs["name"])
        address_ops = self._address_ops(state, values)
        if address_ops:
            write["addresses"] = address_ops
        mechanism_ops: list[Any] = []
        for column, types in MECHANISMS.items():
            if column not in differs or blank(differs[column]):
                continue
            ident = state.mechanism_ids.get(column)
            if ident is not None:
                mechanism_ops.append(["write", [ident], {"value": text(differs[column])}])
            else:
                mechanism_ops.append(
                    ["create", [{"type": types[0], "value": text(differs[column])}]]
                )
        if mechanism_ops:
            write["contact_mechanisms"] = mechanism_ops
        identifier_ops: list[Any] = []
        if "tax_id" in differs and not blank(differs["tax_id"]):
            code = str(differs["tax_id"]).strip()
            if state.tax_identifier is not None:
                identifier_ops.append(["write", [state.tax_identifier], {"code": code}])
            else:
                country = values.get("invoice_address.country") or current.get(
                    "invoice_address.country"
                )
                kind = self._tax_type(code, str(country) if country else None)
                identifier_ops.append(["create", [{"type": kind, "code": code}]])
        golden = values.get(golden_column)
        if not blank(golden) and not same_value(current.get(golden_column), golden):
            code = self.golden_code(str(golden))
            if state.golden_identifier is not None:
                identifier_ops.append(["write", [state.golden_identifier], {"code": code}])
            else:
                identifier_ops.append(["create", [{"type": None, "code": code}]])
        if identifier_ops:
            write["identifiers"] = identifier_ops
        return write

    def update(self, ident: int, values: dict[str, Any], mapping: MappingSpec) -> bool:
        """Write what differs on party ``ident`` in one ``write`` call."""
        states = self.states([ident], mapping)
        if not states:
            raise RecordError(self.system, str(ident), "the party no longer exists in Tryton")
        write = self._changes(states[0], values, self.golden_column(mapping))
        if not write:
            return False
        self.rpc.model(self.root, "write", [ident], write, write=True)
        return True

    def create(self, values: dict[str, Any], golden_id: str | None) -> int:
        """Create a party with its addresses, mechanisms and identifiers in one call."""
        empty = PartyState(
            payload={"id": "new", **dict.fromkeys(PARTY_COLUMNS)},
            address_ids=dict.fromkeys(ADDRESS_KINDS),
            mechanism_ids=dict.fromkeys(MECHANISMS),
        )
        golden_column = "__golden__"
        fields = self._changes(empty, {**values, golden_column: golden_id}, golden_column)
        if blank(fields.get("name")):
            raise RecordError(self.system, "new", "a Tryton party needs a name")
        created = self.rpc.model(self.root, "create", [fields], write=True)
        return int(created[0])
