"""The audit report's content: plain, frozen dataclasses, free of any storage or markup.

:mod:`quality.report.collect` fills an :class:`AuditReport` from the store; the HTML,
JSON and CSV writers only read it. Every value here is already safe to show: personal
values are masked (unless the report was asked to be unmasked) and nothing comes from the
configuration except non-secret settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Capped(Generic[T]):
    """The first items of a long list and how many there are in all."""

    items: tuple[T, ...]
    total: int

    @property
    def omitted(self) -> int:
        """How many items the list leaves out."""
        return self.total - len(self.items)


@dataclass(frozen=True)
class RunHeader:
    """Which run the report is about and how it ended."""

    run_id: str
    entity: str
    status: str
    cause: str | None
    started_at: datetime | None
    finished_at: datetime | None


@dataclass(frozen=True)
class SourceInput:
    """What one source system delivered in the run."""

    system: str
    pulled: int
    source_total: int | None
    newest_source_change: str | None
    mode: str | None


@dataclass(frozen=True)
class RuleResult:
    """How one quality rule fared on one stage; ``checked`` is None when it was not logged."""

    stage: str
    rule: str
    column: str | None
    checked: int | None
    failed: int
    detail: str | None = None

    @property
    def passed(self) -> int | None:
        """Records that passed the rule, when the number checked is known."""
        return None if self.checked is None else max(self.checked - self.failed, 0)

    @property
    def failure_pct(self) -> float | None:
        """Failed records as a percentage of those checked, when known."""
        if not self.checked:
            return None
        return 100.0 * self.failed / self.checked


@dataclass(frozen=True)
class BatchGate:
    """One batch gate on one subject (a source, a table, the batch) and its decision.

    ``decision`` is ``passed``, ``blocked``, or ``not reached`` (the run ended earlier).
    """

    gate: str
    subject: str | None
    detail: str | None
    decision: str


@dataclass(frozen=True)
class QuarantineItem:
    """One reason one record was held back (the value is masked where personal)."""

    system: str
    source_id: str
    stage: str
    rule: str
    column: str | None
    value: str | None
    reason: str


@dataclass(frozen=True)
class MatchMember:
    """A source record in a golden record, with the score and reason that linked it.

    ``linked_in_run`` is True when this run wrote the link (a new or moved record).
    """

    record: str
    score: float | None
    reason: str | None
    linked_in_run: bool = False


@dataclass(frozen=True)
class Merge:
    """A golden record of several source records that the run created, merged or joined.

    ``event`` is ``create`` or ``merge`` (a match event of the run) or ``link`` (new source
    records joined an existing golden record).
    """

    golden_id: str
    event: str
    name: str | None
    members: tuple[MatchMember, ...]

    @property
    def weakest_score(self) -> float | None:
        """The lowest member score: the link an auditor should look at first."""
        scores = [m.score for m in self.members if m.score is not None]
        return min(scores) if scores else None


@dataclass(frozen=True)
class LineageValue:
    """One golden value (dotted field path) and the source record and rule it came from."""

    field: str
    value: str | None
    record: str | None
    rule: str | None


@dataclass(frozen=True)
class GoldenLineage:
    """The lineage of every value of one golden record updated in the run."""

    golden_id: str
    name: str | None
    values: tuple[LineageValue, ...]


@dataclass(frozen=True)
class TargetPush:
    """What publishing did to one target; ``published`` is False when it never ran."""

    target: str
    created: int
    updated: int
    unchanged: int
    failed: int
    published: bool


@dataclass(frozen=True)
class FailedPush:
    """An outbox item of the run that did not reach its target."""

    target: str
    operation: str
    golden_id: str
    target_id: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class StaleRecord:
    """A golden record no source has confirmed for a while."""

    golden_id: str
    name: str | None
    confirmed_at: datetime
    age_days: int


@dataclass(frozen=True)
class Staleness:
    """Golden records not confirmed within ``after_days``: how many, and the oldest."""

    after_days: int
    count: int
    oldest: tuple[StaleRecord, ...]


@dataclass(frozen=True)
class TrendPoint:
    """One run of the entity as a point of the trend chart."""

    run_id: str
    started_at: datetime
    status: str
    pulled: int
    quarantined: int
    golden_records: int


@dataclass(frozen=True)
class IdentityCounts:
    """Identity changes of the run, by match event."""

    created: int = 0
    merged: int = 0
    split: int = 0
    retired: int = 0
    moved: int = 0
    detached: int = 0


@dataclass(frozen=True)
class IdentityChange:
    """A match event other than a plain create: ``merge``, ``split``, ``move``, ``detach``
    (records deleted at their source left the golden record) or ``retire``.

    ``other_golden_ids`` are the ids merged away, split from or moved out of; ``members``
    the records concerned (for a move: the records that moved).
    """

    event: str
    golden_id: str
    other_golden_ids: tuple[str, ...]
    members: tuple[str, ...]


@dataclass(frozen=True)
class ReviewPair:
    """An uncertain pair of the review queue, as the run left it.

    ``evidence`` sums up the explanation: the fields weighing most, each with its
    agreement level and weight. Names are masked where personal.
    """

    review_id: int
    left: str
    right: str
    left_name: str | None
    right_name: str | None
    probability: float
    match_weight: float | None
    evidence: str
    left_golden_id: str | None
    right_golden_id: str | None
    new_in_run: bool


@dataclass(frozen=True)
class ReviewQueue:
    """The steward's queue for the run's entity.

    ``pairs``: open pairs this run scored (new or still uncertain); ``open_total``: every
    open pair of the entity; ``applied``: steward decisions this run applied.
    """

    pairs: Capped[ReviewPair]
    open_total: int
    applied: int


@dataclass(frozen=True)
class DeadLetterItem:
    """A record a target refused and that is still parked (retried every run)."""

    target: str
    target_id: str
    golden_id: str
    operation: str
    error: str
    attempts: int
    first_run: str
    last_run: str


@dataclass(frozen=True)
class DeferredItem:
    """An update this run did not write: the target changed the record since our pull."""

    target: str
    target_id: str
    golden_id: str
    expected_updated_at: str | None
    detail: str
    resolved_run: str | None


@dataclass(frozen=True)
class ApprovalItem:
    """A mass change the publish circuit breaker stopped, and where its approval stands."""

    run_id: str
    target: str
    changes: int
    target_records: int
    max_changes: int
    status: str


@dataclass(frozen=True)
class PublishSafety:
    """What the publish safeguards held back: open dead letters of the entity, updates
    this run deferred, and approvals (this run's requests and the entity's pending ones)."""

    dead_letters: Capped[DeadLetterItem]
    deferred: Capped[DeferredItem]
    approvals: tuple[ApprovalItem, ...]


@dataclass(frozen=True)
class AuditReport:
    """Everything the audit report of one run shows, in section order."""

    header: RunHeader
    generated_at: datetime
    unmasked: bool
    inputs: tuple[SourceInput, ...]
    inputs_logged: bool
    rules: tuple[RuleResult, ...]
    rules_logged: bool
    batch_gates: tuple[BatchGate, ...]
    quarantine: tuple[QuarantineItem, ...]
    older_open_quarantine: int
    identity: IdentityCounts
    merges: Capped[Merge]
    lineage: Capped[GoldenLineage]
    pushes: tuple[TargetPush, ...]
    failed_pushes: Capped[FailedPush]
    staleness: Staleness
    trend: tuple[TrendPoint, ...]
    data_docs: str | None = None
    identity_changes: Capped[IdentityChange] = field(default_factory=lambda: Capped((), 0))
    review: ReviewQueue = field(default_factory=lambda: ReviewQueue(Capped((), 0), 0, 0))
    safety: PublishSafety = field(
        default_factory=lambda: PublishSafety(Capped((), 0), Capped((), 0), ())
    )

    @property
    def quarantined_records(self) -> int:
        """Distinct records quarantined in this run."""
        return len({(q.system, q.source_id) for q in self.quarantine})

    @property
    def pulled(self) -> int:
        """Records pulled from all sources in this run."""
        return sum(i.pulled for i in self.inputs)
