"""The columns a mapping reads from or writes to a system: what a REST connector asks for."""

from __future__ import annotations

from mappings.spec import MappingSpec


def mapping_columns(mapping: MappingSpec) -> list[str]:
    """Return every source column the mapping touches, in first-use order, without repeats.

    The primary key and updated-at column first, then the filter columns, the inbound
    columns, the outbound columns and the golden-id column: pulling all of them lets the
    map stage recognise our own pushes echoing back.
    """
    source = mapping.source
    columns: list[str] = [source.primary_key]
    if source.updated_at:
        columns.append(source.updated_at)
    columns.extend(source.where)
    for rule in mapping.inbound_rules().values():
        if rule.column is not None:
            columns.append(rule.column)
        columns.extend(rule.columns or ())
    if mapping.outbound is not None:
        columns.extend(mapping.outbound.fields)
        if mapping.outbound.golden_id_column:
            columns.append(mapping.outbound.golden_id_column)
    return list(dict.fromkeys(columns))
