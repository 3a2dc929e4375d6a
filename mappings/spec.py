"""The shape of a mapping file: how one system's entity maps to and from the canonical model.

One YAML file per system and entity (``mappings/<system>_<entity>.yaml``)::

    system: sandbox_crm
    entity: customer
    source: {table: accounts, primary_key: account_id, updated_at: modified_at}
    inbound:                       # canonical field (dotted) <- source column rule
      name: account_name
      kind: {column: account_type, values: {Company: company, Person: person}}
      credit_limit.amount: credit_limit
    outbound:
      golden_id_column: mdm_golden_id
      updated_at_column: modified_at
      create: {id_template: "ACC-{golden_id}", values: {created_at: "{now}"}}
      fields:                      # target column <- canonical field rule
        account_name: name
        account_type: {field: kind, values: {company: Company, person: Person}}
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InboundRule(_Spec):
    """How one canonical field is read from a source record.

    Exactly one of ``column``, ``columns`` or ``const`` is given.
    """

    column: str | None = Field(None, description="Source column to read.")
    columns: list[str] | None = Field(
        None, description="Several source columns joined with `join` (blanks skipped)."
    )
    join: str = Field(" ", description="Separator for `columns`.")
    const: Any = Field(None, description="A constant value.")
    values: dict[str, Any] | None = Field(
        None, description="Lookup of source values to canonical values; unknown values pass."
    )
    default: Any = Field(None, description="Value used when the source value is missing.")
    split: str | None = Field(None, description="Split the value into a list on this separator.")

    @model_validator(mode="after")
    def _one_source(self) -> InboundRule:
        given = [self.column is not None, self.columns is not None, self.const is not None]
        if sum(given) != 1:
            raise ValueError("give exactly one of 'column', 'columns' or 'const'")
        return self


class OutboundRule(_Spec):
    """How one target column is written from a golden record.

    Exactly one of ``field`` or ``const`` is given.
    """

    field: str | None = Field(None, description="Canonical field (dotted path) to write.")
    const: Any = Field(None, description="A constant value.")
    values: dict[str, Any] | None = Field(
        None, description="Lookup of canonical values to target values; unknown values pass."
    )
    slice: tuple[int, int] | None = Field(
        None, description="Characters [start, end) of the value, for fixed-width columns."
    )
    join: str | None = Field(None, description="Join a list value with this separator.")
    wrap: tuple[int, int] | None = Field(
        None,
        description="[width, line]: break the text at spaces into lines of at most `width` "
        "characters and write line number `line` (0-based); for name1/name2-style columns "
        "that are read back joined with a space.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> OutboundRule:
        if (self.field is None) == (self.const is None):
            raise ValueError("give exactly one of 'field' or 'const'")
        return self


class SourceSpec(_Spec):
    """Where the records of the entity live in the system."""

    table: str = Field(description="Table (SQL) or resource (REST) holding the records.")
    primary_key: str = Field(description="Column holding the record's unique id.")
    updated_at: str | None = Field(
        None,
        description="Column with the last-change timestamp used as incremental cursor; "
        "omit it to fall back to a full scan with content hashes.",
    )
    where: dict[str, Any] = Field(
        default_factory=dict, description="Equality filters applied to every pull."
    )


class CreateSpec(_Spec):
    """How a record is created in a target that does not hold the golden record yet."""

    id_template: str = Field(
        description="Template of the new record's primary key; `{golden_id}` is available."
    )
    values: dict[str, Any] = Field(
        default_factory=dict,
        description="Extra column values for new records; `{now}` becomes the current time.",
    )


class OutboundSpec(_Spec):
    """How golden records are written back to the system."""

    table: str | None = Field(None, description="Target table; defaults to the source table.")
    golden_id_column: str | None = Field(
        None, description="Column that receives the golden id (the cross-reference)."
    )
    updated_at_column: str | None = Field(
        None, description="Column the target's own change timestamp lives in; set on write."
    )
    create: CreateSpec | None = Field(
        None, description="Create missing records; omit to only update linked records."
    )
    fields: dict[str, str | OutboundRule] = Field(
        description="Target column → canonical field (or rule)."
    )

    def rules(self) -> dict[str, OutboundRule]:
        """Return every target column's rule, shorthand strings expanded."""
        return {
            column: OutboundRule(field=rule) if isinstance(rule, str) else rule
            for column, rule in self.fields.items()
        }


class MappingSpec(_Spec):
    """One system's entity mapping, inbound and outbound."""

    system: str = Field(description="System name as configured.")
    entity: str = Field(description="Canonical entity: customer, contact, product, order, cost.")
    description: str = Field("", description="What the mapping covers.")
    source: SourceSpec
    inbound: dict[str, str | InboundRule] = Field(
        description="Canonical field (dotted path) → source column (or rule)."
    )
    outbound: OutboundSpec | None = None

    def inbound_rules(self) -> dict[str, InboundRule]:
        """Return every canonical field's rule, shorthand strings expanded."""
        return {
            path: InboundRule(column=rule) if isinstance(rule, str) else rule
            for path, rule in self.inbound.items()
        }
