"""Products: one record per ``product.product`` variant, with its ``product.template``.

Columns: ``id`` (the variant, the key), ``template_id``, ``code`` (the variant's full
code: template code + suffix), ``name`` (template), ``description`` (variant: the
specification), ``list_price`` (template), ``cost_price`` (variant), ``currency``
(the company's), ``unit`` (the default unit's symbol), ``category`` (the
accounting category, else the first category), the golden id column (an untyped
``product.identifier`` ``crmsync:GP-...`` on the variant) and ``active``.

A push writes template and variant in one ``product.template`` ``write`` (one
transaction); a create makes a goods template with exactly one variant. The cost price
(``cost_price`` in ``currency``) is Tryton's by default (stock valuation): it is written
only when the system's ``push_cost_price`` setting is on, through
:class:`~connectors.tryton.cost_price.CostPriceWriter` — checked before anything is
written, so a price in another currency rejects the whole record.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, ClassVar

from connectors.errors import RecordError
from connectors.tryton.adapter import EntityAdapter, blank, plain, same_value, text
from connectors.tryton.changes import ChangeSource
from connectors.tryton.config import TrytonConfig
from connectors.tryton.cost_price import CostPriceRefusedError, CostPriceWriter
from connectors.tryton.lookups import Lookups
from connectors.tryton.rpc import TrytonRpc
from mappings.spec import MappingSpec

PRODUCT_COLUMNS = frozenset({"code", "name", "description", "list_price", "unit", "category"})
COST_PRICE_COLUMNS = frozenset({"cost_price", "currency"})
"""Outbound columns of the cost price; written only with ``push_cost_price`` on."""
DEFAULT_UNIT = "u"


class ProductAdapter(EntityAdapter):
    """``product.product`` + ``product.template`` ↔ canonical product."""

    entity: ClassVar[str] = "product"
    root: ClassVar[str] = "product.product"
    sources: ClassVar[tuple[ChangeSource, ...]] = (
        ChangeSource("product.product"),
        ChangeSource("product.template", "id", "template"),
        ChangeSource("product.identifier", "product"),
    )
    push_columns: ClassVar[frozenset[str]] = PRODUCT_COLUMNS | COST_PRICE_COLUMNS

    def __init__(self, system: str, rpc: TrytonRpc, lookups: Lookups, config: TrytonConfig):
        super().__init__(system, rpc, lookups, config)
        self.cost_prices = CostPriceWriter(rpc, lookups)

    def _cost_price(self, ident: int | str, current: Any, values: dict[str, Any]) -> Decimal | None:
        """Return the cost price to write (None: nothing), or raise why it is refused."""
        if not self.config.push_cost_price:
            return None
        try:
            return self.cost_prices.change(
                current, values.get("cost_price"), values.get("currency")
            )
        except CostPriceRefusedError as exc:
            raise RecordError(self.system, str(ident), str(exc)) from exc

    VARIANT_FIELDS: ClassVar[list[str]] = [
        "code",
        "suffix_code",
        "template",
        "description",
        "cost_price",
        "identifiers",
        "active",
    ]
    TEMPLATE_FIELDS: ClassVar[list[str]] = [
        "name",
        "code",
        "list_price",
        "default_uom",
        "categories",
        "account_category",
        "products",
    ]

    def _rows(
        self, ids: Sequence[int]
    ) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
        variants = self.rpc.read(self.root, list(ids), self.VARIANT_FIELDS)
        template_ids = sorted({int(v["template"]) for v in variants})
        templates = {
            int(t["id"]): t
            for t in self.rpc.read("product.template", template_ids, self.TEMPLATE_FIELDS)
        }
        identifier_ids = [i for v in variants for i in v.get("identifiers") or []]
        identifiers = {
            int(i["id"]): i
            for i in self.rpc.read("product.identifier", identifier_ids, ["type", "code"])
        }
        return variants, templates, identifiers

    def _category(self, template: dict[str, Any]) -> tuple[str | None, int | None]:
        """Return the category name pulled and the id it came from."""
        ident = template.get("account_category") or next(
            iter(template.get("categories") or []), None
        )
        return self.lookups.category_name(ident), ident

    def read(self, ids: Sequence[int], mapping: MappingSpec) -> list[dict[str, Any]]:
        """Return the flattened payload of each variant in ``ids``."""
        variants, templates, identifiers = self._rows(ids)
        currency = self.lookups.company_currency()
        golden_column = self.golden_column(mapping)
        payloads = []
        for variant in variants:
            template = templates[int(variant["template"])]
            golden = next(
                (
                    self.golden_of(identifiers[i]["code"])
                    for i in variant.get("identifiers") or []
                    if i in identifiers
                    and not identifiers[i].get("type")
                    and self.golden_of(identifiers[i]["code"])
                ),
                None,
            )
            payloads.append(
                {
                    "id": str(variant["id"]),
                    "template_id": str(template["id"]),
                    "code": text(variant.get("code")),
                    "name": text(template.get("name")),
                    "description": text(variant.get("description")),
                    "list_price": plain(template.get("list_price")),
                    "cost_price": plain(variant.get("cost_price")),
                    "currency": currency,
                    "unit": self.lookups.uom_symbol(template.get("default_uom")),
                    "category": self._category(template)[0],
                    golden_column: golden,
                    "active": bool(variant.get("active", True)),
                }
            )
        return payloads

    # -- push ---------------------------------------------------------------------

    def find_golden(self, golden_ids: Sequence[str]) -> dict[str, tuple[int, bool]]:
        """Return ``{golden id: (variant id, active)}``, archived variants included."""
        codes = [self.golden_code(g) for g in golden_ids]
        found: dict[str, tuple[int, bool]] = {}
        for start in range(0, len(codes), self.config.page_size):
            rows = self.rpc.search_read(
                "product.identifier",
                [["code", "in", codes[start : start + self.config.page_size]], ["type", "=", None]],
                ["code", "product", "product.active"],
                context={"active_test": False},
            )
            for row in rows:
                golden = self.golden_of(row["code"])
                product = row.get("product.") or {}
                if golden is not None and row.get("product"):
                    found.setdefault(
                        golden, (int(row["product"]), bool(product.get("active", True)))
                    )
        return found

    def _category_writes(self, template: dict[str, Any] | None, name: Any) -> dict[str, Any]:
        if blank(name):
            return {}
        category = self.lookups.category(str(name))
        if category.get("accounting"):
            return {"account_category": int(category["id"])}
        ops: list[Any] = []
        if template is not None and not template.get("account_category"):
            first = next(iter(template.get("categories") or []), None)
            if first is not None:
                ops.append(["remove", [first]])
        ops.append(["add", [int(category["id"])]])
        return {"categories": ops}

    def update(self, ident: int, values: dict[str, Any], mapping: MappingSpec) -> bool:
        """Write what differs on variant ``ident`` and its template in one call."""
        variants, templates, identifiers = self._rows([ident])
        if not variants:
            raise RecordError(self.system, str(ident), "the product no longer exists in Tryton")
        current = self.read([ident], mapping)[0]
        variant = variants[0]
        template = templates[int(variant["template"])]
        golden_column = self.golden_column(mapping)
        cost_price = self._cost_price(ident, current.get("cost_price"), values)
        differs = {
            k: v for k, v in values.items() if k in current and not same_value(current[k], v)
        }
        write: dict[str, Any] = {}
        variant_write: dict[str, Any] = {}
        if "name" in differs:
            write["name"] = text(differs["name"])
        if "list_price" in differs and not blank(differs["list_price"]):
            write["list_price"] = Decimal(str(differs["list_price"]))
        if "unit" in differs and not blank(differs["unit"]):
            write["default_uom"] = self.lookups.uom_id(str(differs["unit"]))
        if "category" in differs:
            write.update(self._category_writes(template, differs["category"]))
        if "description" in differs:
            variant_write["description"] = text(differs["description"])
        if "code" in differs and not blank(differs["code"]):
            code = str(differs["code"]).strip()
            suffix = variant.get("suffix_code") or ""
            if suffix and code.endswith(suffix) and len(code) > len(suffix):
                write["code"] = code[: -len(suffix)]
            elif len(template.get("products") or []) == 1:
                write["code"] = code
                if suffix:
                    variant_write["suffix_code"] = None
            else:
                raise RecordError(
                    self.system,
                    str(ident),
                    f"code {code!r} does not end with the variant suffix {suffix!r} and the "
                    "template has other variants",
                )
        golden = values.get(golden_column)
        if not blank(golden) and not same_value(current.get(golden_column), golden):
            mine = [
                i
                for i in variant.get("identifiers") or []
                if i in identifiers
                and not identifiers[i].get("type")
                and self.golden_of(identifiers[i]["code"])
            ]
            code = self.golden_code(str(golden))
            variant_write["identifiers"] = (
                [["write", [mine[0]], {"code": code}]] if mine else [["create", [{"code": code}]]]
            )
        if variant_write:
            write["products"] = [["write", [ident], variant_write]]
        if write:
            self.rpc.model("product.template", "write", [template["id"]], write, write=True)
        if cost_price is not None:
            self.cost_prices.modify(ident, cost_price)
        return bool(write) or cost_price is not None

    def create(self, values: dict[str, Any], golden_id: str | None) -> int:
        """Create a goods template with one variant; return the variant's id."""
        name = text(values.get("name"))
        if name is None:
            raise RecordError(self.system, "new", "a Tryton product needs a name")
        cost_price = self._cost_price("new", None, values)
        unit = self.lookups.uom_id(text(values.get("unit")) or DEFAULT_UNIT)
        variant: dict[str, Any] = {"description": text(values.get("description"))}
        if cost_price is not None:
            variant["cost_price"] = cost_price
        if golden_id:
            variant["identifiers"] = [["create", [{"code": self.golden_code(golden_id)}]]]
        template: dict[str, Any] = {
            "name": name,
            "type": "goods",
            "code": text(values.get("code")),
            "default_uom": unit,
            "salable": True,
            "sale_uom": unit,
            "list_price": Decimal(str(values["list_price"]))
            if not blank(values.get("list_price"))
            else Decimal(0),
            "products": [["create", [variant]]],
            **self._category_writes(None, values.get("category")),
        }
        created = self.rpc.model("product.template", "create", [template], write=True)
        products = self.rpc.read("product.template", [int(created[0])], ["products"])
        return int(products[0]["products"][0])
