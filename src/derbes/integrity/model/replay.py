"""Replaying the chains: what the projections must hold if nobody wrote around derbes.

The decision point reads projections (``consents``, ``subjects``,
``category_blocks``, ``contracts``, ``lifecycle_events``); every change to
them is written in the same transaction as a chain entry that says what
changed. Replaying the chains from the start therefore gives the one state
each projection row must have:

* :class:`ConsentReplay` — the consent ledger: given, withdrawn (in part or
  whole), expired, marked for re-consent;
* :class:`SubjectReplay` — the access audit log: subjects added, blocked and
  unblocked (whole or per category), destroyed (by the vault or the retention
  sweep), and lifecycle events (with their fingerprints; contract events move
  the contract they name).

Only authentic entries are replayed (the caller checks each entry's own
hash): a forged entry is reported by the chain verification, and the rows it
would have justified then show up here as differences. :class:`Mismatch` is
one difference, named by table, subject, row and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from derbes.audit.model.log import AuditAction, AuditEntry
from derbes.consent.model.consent import LedgerEvent
from derbes.consent.model.ledger import LedgerEntry
from derbes.errors import DerbesError
from derbes.lifecycle.model import (
    AUDIT_OPERATION,
    CONTRACT_EVENTS,
    Contract,
    EventType,
    LifecycleEvent,
    apply,
)
from derbes.vault.model.records import SubjectRecord

__all__ = [
    "ConsentReplay",
    "ExpectedBlock",
    "ExpectedConsent",
    "ExpectedEvent",
    "ExpectedSubject",
    "Mismatch",
    "SubjectReplay",
    "text_of",
]

# Which mark of a consent row each ledger event sets.
_EVIDENCE_ONLY = frozenset({LedgerEvent.COOKIE_CHOICE.value,
                            LedgerEvent.COOKIE_CHOICE_LINKED.value})
_MARKS = {
    LedgerEvent.WITHDRAWN.value: "withdrawn_at",
    LedgerEvent.WITHDRAWAL_REFUSED_IN_PART.value: "withdrawn_at",
    LedgerEvent.EXPIRED.value: "expired_at",
    LedgerEvent.RECONSENT_REQUIRED.value: "needs_reconsent_since",
}


def text_of(value: Any) -> str | None:
    """A value as it is shown in a report (instants in UTC ISO form)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in sorted(value.items()))
    return str(value)


@dataclass(frozen=True)
class Mismatch:
    """A projection row that differs from what the chains say.

    ``field`` is a column, or ``row`` when the row itself is missing or
    extra; ``expected`` is what the chain says, ``found`` what the table holds.
    """

    table: str
    subject_id: str | None
    ref: str | None
    field: str
    expected: str | None
    found: str | None

    @property
    def message(self) -> str:
        where = self.table + (f"[{self.ref}]" if self.ref else "")
        who = f"subject {self.subject_id}: " if self.subject_id else ""
        if self.field == "row":
            return f"{who}{where}: the chains say {self.expected}, the table {self.found}"
        return (f"{who}{where}.{self.field}: the chains say {self.expected!s}, "
                f"the table holds {self.found!s}")


def _instant(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list | tuple) else ()


# ------------------------------------------------------------------ consents


@dataclass
class ExpectedConsent:
    """A ``consents`` row as the ledger makes it."""

    id: str
    subject_id: str
    operator_id: str
    act_id: str
    scope: str
    purposes: tuple[str, ...]
    recipients: tuple[str, ...]
    cookie_categories: tuple[str, ...]
    policy_version: str
    policy_hash: str
    channel: str
    evidence_refs: dict[str, str]
    given_by: str
    given_at: datetime
    valid_until: datetime | None
    request_hash: str
    evidence_sha256: str | None
    representative_sha256: str | None
    withdrawn_at: datetime | None = None
    expired_at: datetime | None = None
    needs_reconsent_since: datetime | None = None


@dataclass
class ConsentReplay:
    """The consents the ledger makes; ``problems``: entries that make no sense."""

    consents: dict[str, ExpectedConsent] = field(default_factory=dict)
    problems: list[Mismatch] = field(default_factory=list)
    entries: int = 0

    def apply(self, entry: LedgerEntry) -> None:
        self.entries += 1
        p = entry.payload
        if entry.event in _EVIDENCE_ONLY:
            return  # evidence only: no consents row replays from it
        if entry.event == LedgerEvent.GIVEN.value:
            if entry.consent_id in self.consents:
                self.problems.append(Mismatch(
                    "consent_ledger", entry.subject_id, entry.consent_id, "row",
                    "one 'given' entry per consent", f"another at seq {entry.seq}"))
                return
            given = p.get("scope")
            scope: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            refs = p.get("evidence_refs")
            self.consents[entry.consent_id] = ExpectedConsent(
                id=entry.consent_id, subject_id=entry.subject_id,
                operator_id=str(p.get("operator_id")), act_id=str(p.get("act_id")),
                scope=str(scope.get("kind")), purposes=_strings(scope.get("purposes")),
                recipients=_strings(scope.get("recipients")),
                cookie_categories=_strings(scope.get("cookie_categories")),
                policy_version=str(p.get("policy_version")),
                policy_hash=str(p.get("policy_hash")), channel=str(p.get("channel")),
                evidence_refs={str(k): str(v) for k, v in refs.items()}
                if isinstance(refs, Mapping) else {},
                given_by=str(p.get("given_by")), given_at=entry.at,
                valid_until=_instant(p.get("valid_until")),
                request_hash=str(p.get("request_hash")),
                evidence_sha256=p.get("evidence_sha256"),
                representative_sha256=p.get("representative_sha256"),
            )
            return
        found = self.consents.get(entry.consent_id)
        if found is None:
            self.problems.append(Mismatch(
                "consent_ledger", entry.subject_id, entry.consent_id, "row",
                "a 'given' entry before any other", f"{entry.event} at seq {entry.seq}"))
            return
        # Each mark is set once, like the repository's "where not set yet".
        mark = _MARKS.get(entry.event)
        if mark is not None and getattr(found, mark) is None:
            setattr(found, mark, entry.at)


# ------------------------------------------------------------------ subjects


@dataclass(frozen=True)
class ExpectedBlock:
    category: str
    blocked_at: datetime
    unblocked_at: datetime | None
    reason: str


@dataclass(frozen=True)
class ExpectedEvent:
    """A lifecycle event as its audit entry recorded it (``occurred_at`` as it came in)."""

    fingerprint: str
    type: str
    contract_id: str | None
    occurred_at: str


@dataclass
class ExpectedSubject:
    """A subject's rows as the audit log makes them: its ``subjects`` row, its blocks,
    contracts and lifecycle events."""

    record: SubjectRecord
    blocks: list[ExpectedBlock] = field(default_factory=list)
    contracts: dict[str, Contract] = field(default_factory=dict)
    events: dict[str, ExpectedEvent] = field(default_factory=dict)  # by event id
    # Categories destroyed (when), and those written again since (when): a value
    # row of a destroyed category needs a write after its destruction.
    destroyed_categories: dict[str, datetime] = field(default_factory=dict)
    rewritten: dict[str, datetime] = field(default_factory=dict)

    def value_allowed(self, category: str) -> bool:
        """Whether a value of ``category`` may be stored, as the audit log tells."""
        if self.record.destroyed:
            return False
        return category not in self.destroyed_categories or category in self.rewritten


@dataclass
class SubjectReplay:
    """The subjects, blocks, contracts and lifecycle events the audit log makes."""

    subjects: dict[str, ExpectedSubject] = field(default_factory=dict)
    problems: list[Mismatch] = field(default_factory=list)
    entries: int = 0

    def apply(self, entry: AuditEntry) -> None:
        self.entries += 1
        details = entry.details
        operation = details.get("operation")
        if entry.action == AuditAction.SUBJECT_WRITE.value:
            if operation == "add":
                for sid in entry.subject_ids:
                    self.subjects[sid] = ExpectedSubject(
                        SubjectRecord(sid, str(details.get("operator_id")), entry.at))
            elif operation == AUDIT_OPERATION:
                for sid in entry.subject_ids:
                    self._event(entry, sid)
            elif operation == "update":
                for sid in entry.subject_ids:
                    found = self.subjects.get(sid)
                    if found is not None:
                        found.rewritten.update(dict.fromkeys(entry.categories, entry.at))
        elif entry.action == AuditAction.SUBJECT_BLOCK.value:
            for sid in entry.subject_ids:
                subject = self._subject(entry, sid)
                if subject is not None:
                    self._block(entry, subject, operation)
        elif entry.action == AuditAction.SUBJECT_DESTROY.value:
            whole = operation == "destroy_subject" or (
                operation == "retention_sweep" and details.get("mode") == "shred")
            if not whole:
                if operation in ("destroy_categories", "retention_sweep"):
                    for sid in entry.subject_ids:
                        found = self.subjects.get(sid)
                        if found is None:
                            continue
                        for category in entry.categories:
                            found.destroyed_categories[category] = entry.at
                            found.rewritten.pop(category, None)
                return  # values of connected databases are no projection of derbes
            for sid in entry.subject_ids:
                subject = self._subject(entry, sid)
                if subject is None:
                    continue
                if not subject.record.destroyed:
                    subject.record = replace(subject.record, destroyed_at=entry.at,
                                             blocked_at=None, block_reason=None)
                subject.blocks.clear()

    def _subject(self, entry: AuditEntry, sid: str) -> ExpectedSubject | None:
        found = self.subjects.get(sid)
        if found is None:
            self.problems.append(Mismatch(
                "audit_log", sid, str(entry.seq), "row", "the subject added first",
                f"{entry.action} of a subject never added"))
        return found

    def _block(self, entry: AuditEntry, subject: ExpectedSubject, operation: Any) -> None:
        details = entry.details
        reason = str(details.get("reason"))
        if operation == "block":
            if details.get("scope") == "subject":
                subject.record = replace(subject.record, blocked_at=entry.at,
                                         block_reason=reason)
            else:
                subject.blocks.extend(ExpectedBlock(c, entry.at, None, reason)
                                      for c in entry.categories)
            return
        if operation != "unblock":
            return
        # "scope" is recorded since blocks are replayed; before that, an unblock
        # without categories was an unblock of the whole subject.
        whole = details.get("scope", "subject" if not entry.categories else "categories") \
            == "subject"
        if whole:
            subject.record = replace(subject.record, blocked_at=None, block_reason=None)
        lifted = None if whole else set(entry.categories)
        subject.blocks[:] = [
            replace(b, unblocked_at=entry.at)
            if b.unblocked_at is None and (lifted is None or b.category in lifted) else b
            for b in subject.blocks]

    def _event(self, entry: AuditEntry, sid: str) -> None:
        subject = self._subject(entry, sid)
        if subject is None:
            return
        details = entry.details
        event_id = str(details.get("event_id"))
        contract_id = details.get("contract_id")
        subject.events[event_id] = ExpectedEvent(
            str(details.get("fingerprint")), str(details.get("type")),
            contract_id if isinstance(contract_id, str) else None,
            str(details.get("occurred_at")))
        try:
            kind = EventType(str(details.get("type")))
        except ValueError:
            return
        occurred = _instant(details.get("occurred_at"))
        if kind not in CONTRACT_EVENTS or not isinstance(contract_id, str) or occurred is None:
            return
        event = LifecycleEvent(event_id, sid, kind, occurred, entry.at, contract_id)
        try:
            subject.contracts[contract_id] = apply(subject.contracts.get(contract_id), event)
        except DerbesError as exc:
            self.problems.append(Mismatch("audit_log", sid, str(entry.seq), "row",
                                          "an event its contract accepts", exc.message))

