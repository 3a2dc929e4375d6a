"""Reference data a Tryton record points to by id — countries, subdivisions, units,
categories, currencies — resolved both ways and cached for one connector's life."""

from __future__ import annotations

from typing import Any

from connectors.tryton.rpc import TrytonRpc


class UnknownReference(LookupError):  # noqa: N818 - reads as "unknown reference"
    """A code or name the Tryton database does not hold (e.g. a country not imported)."""


class Lookups:
    """Cached id ↔ code tables of one Tryton database."""

    def __init__(self, rpc: TrytonRpc) -> None:
        self.rpc = rpc
        self._tables: dict[str, list[dict[str, Any]]] = {}

    def _table(self, model: str, fields: list[str]) -> list[dict[str, Any]]:
        if model not in self._tables:
            self._tables[model] = list(self.rpc.scan(model, [], ["id", *fields]))
        return self._tables[model]

    def forget(self) -> None:
        """Drop the caches (reference data may have changed)."""
        self._tables.clear()

    def _by_id(self, model: str, fields: list[str], key: str, ident: int | None) -> Any:
        if ident is None:
            return None
        for row in self._table(model, fields):
            if row["id"] == ident:
                return row.get(key)
        return None

    # -- countries and subdivisions ------------------------------------------------

    def country_code(self, ident: int | None) -> str | None:
        """Return the ISO alpha-2 code of a ``country.country`` id."""
        return self._by_id("country.country", ["code"], "code", ident)

    def country_id(self, code: str) -> int:
        """Return the id of the country with ISO code ``code`` (alpha-2 or alpha-3).

        Raises:
            UnknownReference: Tryton holds no such country.
        """
        wanted = code.strip().upper()
        for row in self._table("country.country", ["code", "code3"]):
            if wanted in ((row.get("code") or "").upper(), (row.get("code3") or "").upper()):
                return int(row["id"])
        raise UnknownReference(f"country {code!r} is not in Tryton's country table")

    def subdivision_code(self, ident: int | None) -> str | None:
        """Return the ISO 3166-2 code of a ``country.subdivision`` id (e.g. ``US-CA``)."""
        return self._by_id("country.subdivision", ["code", "name", "country"], "code", ident)

    def subdivision_id(self, text: str, country: int | None) -> int:
        """Return the subdivision named by code (``US-CA`` or ``CA``) or name in ``country``.

        Raises:
            UnknownReference: No single subdivision matches.
        """
        wanted = text.strip().upper()
        rows = [
            r
            for r in self._table("country.subdivision", ["code", "name", "country"])
            if country is None or r.get("country") == country
        ]
        for test in (
            lambda r: (r.get("code") or "").upper() == wanted,
            lambda r: (r.get("code") or "").upper().split("-", 1)[-1] == wanted,
            lambda r: (r.get("name") or "").upper() == wanted,
        ):
            found = [r for r in rows if test(r)]
            if len(found) == 1:
                return int(found[0]["id"])
        raise UnknownReference(f"subdivision {text!r} is not known in Tryton for that country")

    # -- units, categories, currencies --------------------------------------------

    def uom_symbol(self, ident: int | None) -> str | None:
        """Return the symbol of a ``product.uom`` id (``u``, ``kg``...)."""
        return self._by_id("product.uom", ["symbol", "name"], "symbol", ident)

    def uom_id(self, text: str) -> int:
        """Return the unit whose symbol (exact, then case-insensitive) or name is ``text``.

        Raises:
            UnknownReference: No unit matches.
        """
        rows = self._table("product.uom", ["symbol", "name"])
        for test in (
            lambda r: r.get("symbol") == text,
            lambda r: (r.get("symbol") or "").lower() == text.lower(),
            lambda r: (r.get("name") or "").lower() == text.lower(),
        ):
            found = [r for r in rows if test(r)]
            if found:
                return int(found[0]["id"])
        raise UnknownReference(f"unit {text!r} is not a Tryton unit of measure")

    def category_name(self, ident: int | None) -> str | None:
        """Return the name of a ``product.category`` id."""
        return self._by_id("product.category", ["name", "accounting"], "name", ident)

    def category(self, name: str) -> dict[str, Any]:
        """Return the product category called ``name`` (``id``, ``accounting``).

        Raises:
            UnknownReference: No category has that name.
        """
        for row in self._table("product.category", ["name", "accounting"]):
            if (row.get("name") or "").lower() == name.strip().lower():
                return row
        raise UnknownReference(f"product category {name!r} does not exist in Tryton")

    def currency_code(self, ident: int | None) -> str | None:
        """Return the ISO 4217 code of a ``currency.currency`` id."""
        return self._by_id("currency.currency", ["code"], "code", ident)

    def company_currency(self) -> str | None:
        """Return the currency code of the context's company."""
        company = self.rpc.context.get("company")
        if not company:
            return None
        rows = self.rpc.read("company.company", [int(company)], ["currency"])
        return self.currency_code(rows[0].get("currency")) if rows else None
