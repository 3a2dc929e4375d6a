"""Unit tests of the golden-id anchor rule: which unlinked records carrying a golden id
may join it (hard constraints win), and how a golden-id column's value is read."""

from __future__ import annotations

from mappings.models import Customer, CustomerKind, SourceRef
from sync.stages.carried_ids import allowed_anchors, golden_id_value, rules_of


def customer(system: str, sid: str, name: str, tax_id: str | None = None, **extra) -> Customer:
    return Customer(
        source=SourceRef(system=system, entity="customer", source_id=sid),
        name=name,
        tax_id=tax_id,
        **extra,
    )


ERP_MEMBER = customer("erp", "100", "Beier & Holzapfel GmbH", "DE811907980")
PREVIOUS = {ERP_MEMBER.source.key(): "GC-1"}


def test_a_record_carrying_a_golden_id_joins_it_even_when_its_values_differ():
    # A target that keeps little of what we wrote: the name alone does not match.
    orphan = customer("crm", "CRM-7", "B&H")
    held = allowed_anchors(
        rules_of("customer", {}), [ERP_MEMBER, orphan], {orphan.source.key(): "GC-1"}, PREVIOUS
    )
    assert held == {orphan.source.key(): "GC-1"}


def test_a_different_tax_id_wins_over_the_golden_id_column():
    copied = customer("crm", "CRM-8", "Beier & Holzapfel GmbH", "DE129273398")
    same = customer("crm", "CRM-9", "Beier & Holzapfel GmbH", "DE811907980")
    person = customer("crm", "CRM-10", "Beier & Holzapfel GmbH", kind=CustomerKind.PERSON)
    carried = {r.source.key(): "GC-1" for r in (copied, same, person)}
    held = allowed_anchors(
        rules_of("customer", {}), [ERP_MEMBER, copied, same, person], carried, PREVIOUS
    )
    assert held == {same.source.key(): "GC-1"}


def test_a_golden_record_without_current_members_takes_its_carrier():
    orphan = customer("crm", "CRM-11", "Quillmoor Lantern Works GmbH", "DE100000001")
    held = allowed_anchors(rules_of("customer", {}), [orphan], {orphan.source.key(): "GC-2"}, {})
    assert held == {orphan.source.key(): "GC-2"}


def test_entities_without_rules_anchor_every_carrier():
    assert rules_of("order", {}) is None
    assert allowed_anchors(None, [], {"a/order/1": "G-1"}, {}) == {"a/order/1": "G-1"}


def test_golden_id_column_values():
    assert golden_id_value(" GC-1 ") == "GC-1"
    assert golden_id_value("") is None
    assert golden_id_value(None) is None
