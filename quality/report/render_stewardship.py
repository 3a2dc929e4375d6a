"""HTML sections of the audit report for stewards and auditors of identity and push-back:
identity changes (merges, splits, moves, detaches, retirements), the review queue, and
what the publish safeguards held back (dead letters, deferred updates, approvals).
"""

from __future__ import annotations

from quality.report import html_kit as kit
from quality.report.html_kit import Column
from quality.report.model import AuditReport

_EVENT_MEANING = {
    "merge": "golden records merged into this one",
    "split": "split off from",
    "move": "records moved here from",
    "detach": "records deleted at their source left this golden record",
    "retire": "golden record retired",
}


def identity_section(report: AuditReport) -> str:
    """Return the section listing the run's identity changes other than plain creates."""
    changes = report.identity_changes
    lead = (
        "Every change of identity in this run except a new golden record: merge (ids merged "
        "into one), split (records left a golden record for a new one), move (records "
        "changed at their source and now belong to another golden record), detach (records "
        "deleted at their source left their golden record) and retire (an id no longer in "
        "use). Each names the records concerned."
    )
    if not changes.total:
        return kit.section(
            "identity", "Identity changes", lead, kit.empty("No identity changed in this run.")
        )
    rows: list[list[kit.Cell]] = [
        [
            c.event,
            c.golden_id,
            ", ".join(c.other_golden_ids) or None,
            ", ".join(c.members) or None,
            _EVENT_MEANING.get(c.event),
        ]
        for c in changes.items
    ]
    table = kit.table(
        [
            Column("Event"),
            Column("Golden id", css="mono"),
            Column("Other golden ids", css="mono"),
            Column("Records", css="mono"),
            Column("Meaning"),
        ],
        rows,
        table_id="identity-table",
    )
    return kit.section(
        "identity", "Identity changes", lead, table + kit.cap_note(report.identity_changes)
    )


def review_section(report: AuditReport) -> str:
    """Return the section of the review queue: open pairs this run scored, with evidence."""
    queue = report.review
    lead = (
        f"Pairs the matcher was unsure about (between the lower and upper thresholds) wait for "
        f"a steward: <code>crmsync review show ID</code>, then <code>crmsync review decide ID "
        f"merge|reject</code>; the next run applies the decision. Open pairs of "
        f"{kit.text(report.header.entity)} in all: {kit.number(queue.open_total)}; steward "
        f"decisions this run applied: {kit.number(queue.applied)}. Evidence: the fields "
        "weighing most, with their agreement level and weight (positive for, negative "
        "against a match)."
    )
    if not queue.pairs.total:
        return kit.section(
            "review",
            "Review queue",
            lead,
            kit.empty("This run left no open pair for review."),
        )
    rows: list[list[kit.Cell]] = [
        [
            p.review_id,
            f"{p.left}{' (new)' if p.new_in_run else ''}",
            p.left_name,
            p.right,
            p.right_name,
            f"{p.probability:.3f}",
            None if p.match_weight is None else f"{p.match_weight:+.1f}",
            p.evidence,
        ]
        for p in queue.pairs.items
    ]
    table = kit.table(
        [
            Column("Id", True),
            Column("Record", css="mono"),
            Column("Name"),
            Column("Other record", css="mono"),
            Column("Name"),
            Column("Probability", True),
            Column("Weight", True),
            Column("Evidence"),
        ],
        rows,
        table_id="review-table",
    )
    return kit.section("review", "Review queue", lead, table + kit.cap_note(queue.pairs))


def safety_section(report: AuditReport) -> str:
    """Return the section of what publishing held back: dead letters, deferrals, approvals."""
    safety = report.safety
    lead = (
        "Nothing here was lost: dead letters are records a target refused (with its message), "
        "retried every run while the others went on; deferred updates were not written "
        "because the target changed the record since our pull (re-pulled and re-matched "
        "next run, never overwritten); approvals are mass changes the circuit breaker "
        "stopped until <code>crmsync approve RUN_ID</code>."
    )
    parts = [
        f"<h3>Dead letters (open: {kit.number(safety.dead_letters.total)})</h3>",
        kit.table(
            [
                Column("Target"),
                Column("Target id", css="mono"),
                Column("Golden id", css="mono"),
                Column("Operation"),
                Column("Target's message"),
                Column("Attempts", True),
                Column("First run", css="mono"),
                Column("Last run", css="mono"),
            ],
            [
                [
                    d.target,
                    d.target_id,
                    d.golden_id,
                    d.operation,
                    d.error,
                    d.attempts,
                    d.first_run,
                    d.last_run,
                ]
                for d in safety.dead_letters.items
            ],
            table_id="dead-letters-table",
        )
        if safety.dead_letters.total
        else kit.empty("No record is parked as a dead letter."),
        kit.cap_note(safety.dead_letters),
        f"<h3>Deferred in this run ({kit.number(safety.deferred.total)})</h3>",
        kit.table(
            [
                Column("Target"),
                Column("Target id", css="mono"),
                Column("Golden id", css="mono"),
                Column("Target change time as pulled"),
                Column("Detail"),
                Column("Resolved by run", css="mono"),
            ],
            [
                [
                    d.target,
                    d.target_id,
                    d.golden_id,
                    d.expected_updated_at,
                    d.detail,
                    d.resolved_run,
                ]
                for d in safety.deferred.items
            ],
            table_id="deferred-table",
        )
        if safety.deferred.total
        else kit.empty("No update was deferred in this run."),
        kit.cap_note(safety.deferred),
        "<h3>Approvals</h3>",
        kit.table(
            [
                Column("Stopped run", css="mono"),
                Column("Target"),
                Column("Changes", True),
                Column("Target records", True),
                Column("Allowed", True),
                Column("Status"),
            ],
            [
                [a.run_id, a.target, a.changes, a.target_records, a.max_changes, a.status]
                for a in safety.approvals
            ],
            table_id="approvals-table",
        )
        if safety.approvals
        else kit.empty("No mass change waits for approval."),
    ]
    return kit.section("held-back", "Held back at publish", lead, "".join(parts))
