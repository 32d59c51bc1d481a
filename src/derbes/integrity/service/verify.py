"""Use cases that bind the projections to the chains: compare them, seal them.

:func:`verify_projections` replays the consent ledger and the access audit
log (``integrity/model/replay.py``) and compares every row the decision point reads —
``consents``, ``subjects``, ``category_blocks``, ``contracts``,
``lifecycle_events`` — with what the chains say, field by field, then checks
every subject's state seal. Each difference names the table, the subject, the
row and the field. It reads everything once, in pages, in one transaction.

:func:`seal_subjects` (``derbes ledger seal``) seals the subjects whose rows
match the chains exactly, and refuses the others: how subjects stored before
seals existed become answerable, and how a subject is sealed again once an
operator has put its rows right.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from derbes.audit.model.log import AuditEntry
from derbes.consent.model.ledger import ledger_key
from derbes.integrity.model.replay import (
    ConsentReplay,
    ExpectedBlock,
    ExpectedConsent,
    ExpectedEvent,
    ExpectedSubject,
    Mismatch,
    SubjectReplay,
    text_of,
)
from derbes.integrity.model.state_seal import changed_components, matches, seal_key
from derbes.integrity.ports import Row
from derbes.integrity.service.sealing import reseal
from derbes.lifecycle.model import Contract, EventType, LifecycleEvent
from derbes.platform.chain import link
from derbes.uow import UnitOfWork

__all__ = ["ProjectionReport", "SealReport", "seal_subjects", "verify_projections"]

PAGE = 1000
E = TypeVar("E")
Progress = Callable[[str, int], None]
"""Told (stage, items done since the last call) as the work goes on."""


@dataclass(frozen=True)
class ProjectionReport:
    ledger_entries: int
    audit_entries: int
    consents: int  # rows compared
    subjects: int
    seals: int
    mismatches: tuple[Mismatch, ...]

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def subjects_at_fault(self) -> set[str]:
        return {m.subject_id for m in self.mismatches if m.subject_id}


@dataclass(frozen=True)
class SealReport:
    sealed: int
    refused: tuple[str, ...]  # subjects whose rows differ from the chains
    report: ProjectionReport


def _none(_: str, __: int) -> None:
    return None


def _audit_authentic(key: bytes, entry: AuditEntry) -> bool:
    expected = link(key, entry.seq, entry.prev_hash, entry.payload())
    return hmac.compare_digest(expected, entry.hash)


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def _digest(value: Any) -> str | None:
    return None if value is None else hashlib.sha256(bytes(value)).hexdigest()


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, datetime) and isinstance(found, datetime):
        return expected.astimezone(UTC) == found.astimezone(UTC)
    return bool(expected == found)


@dataclass
class _Diff:
    table: str
    subject_id: str | None
    ref: str | None
    out: list[Mismatch] = field(default_factory=list)

    def check(self, name: str, expected: Any, found: Any) -> None:
        if not _same(expected, found):
            self.out.append(Mismatch(self.table, self.subject_id, self.ref, name,
                                     text_of(expected), text_of(found)))

    def row(self, expected: str, found: str) -> None:
        self.out.append(Mismatch(self.table, self.subject_id, self.ref, "row", expected, found))


# ------------------------------------------------------------------ consents


def _consent(expected: ExpectedConsent | None, row: Row) -> list[Mismatch]:
    diff = _Diff("consents", str(row.get("subject_id")), str(row.get("id")))
    if expected is None:
        diff.row("no such consent", "a row no ledger entry gave (inserted)")
        return diff.out
    diff.check("subject_id", expected.subject_id, row.get("subject_id"))
    diff.check("operator_id", expected.operator_id, row.get("operator_id"))
    diff.check("act_id", expected.act_id, row.get("act_id"))
    diff.check("scope", expected.scope, row.get("scope"))
    diff.check("purposes", list(expected.purposes), _json(row.get("purposes")))
    diff.check("recipients", list(expected.recipients), _json(row.get("recipients")))
    diff.check("cookie_categories", list(expected.cookie_categories),
               _json(row.get("cookie_categories")))
    diff.check("policy_version", expected.policy_version, row.get("policy_version"))
    diff.check("policy_hash", expected.policy_hash, row.get("policy_hash"))
    diff.check("channel", expected.channel, row.get("channel"))
    diff.check("evidence_refs", expected.evidence_refs, _json(row.get("evidence_refs")))
    diff.check("given_by", expected.given_by, row.get("given_by"))
    diff.check("request_hash", expected.request_hash, row.get("request_hash"))
    for name in ("given_at", "valid_until", "withdrawn_at", "expired_at",
                 "needs_reconsent_since"):
        diff.check(name, getattr(expected, name), row.get(name))
    diff.check("evidence_sealed", expected.evidence_sha256,
               _digest(row.get("evidence_sealed")))
    diff.check("representative_sealed", expected.representative_sha256,
               _digest(row.get("representative_sealed")))
    return diff.out


def _pages(read: Callable[[str], list[Row]], key: str) -> Iterator[list[Row]]:
    after = ""
    while True:
        page = read(after)
        if not page:
            return
        yield page
        after = str(page[-1][key])
        if len(page) < PAGE:
            return


# ------------------------------------------------------------------ subjects


def _subject(expected: ExpectedSubject | None, row: Row) -> list[Mismatch]:
    sid = str(row.get("id"))
    diff = _Diff("subjects", sid, None)
    if expected is None:
        diff.row("no such subject", "a row no audit entry added (inserted)")
        return diff.out
    for name in ("operator_id", "created_at", "blocked_at", "block_reason", "destroyed_at"):
        diff.check(name, getattr(expected.record, name), row.get(name))
    return diff.out


def _key_of(at: Any) -> str:
    return text_of(at) or ""


@dataclass(frozen=True)
class _Walk(Generic[E]):
    """How the stored rows of one table are held against the rows the chains expect.

    Every stored row is found among the expected ones by its key and compared field
    by field; a stored row nothing expects was inserted, an expected row nothing
    stores was deleted.
    """

    table: str
    key: Callable[[Row], tuple[str, ...]]  # the row's key; its first part is its ref
    compare: Callable[[_Diff, E, Row], None]
    stray: Callable[[tuple[str, ...]], tuple[str, str]]  # (expected, found) of an insert
    missing: Callable[[tuple[str, ...], E], str]  # what was expected of a deleted row

    def __call__(self, sid: str, expected: Mapping[tuple[str, ...], E],
                 rows: Sequence[Row]) -> list[Mismatch]:
        out: list[Mismatch] = []
        wanted = dict(expected)
        for row in rows:
            key = self.key(row)
            diff = _Diff(self.table, sid, key[0])
            item = wanted.pop(key, None)
            if item is None:
                diff.row(*self.stray(key))
            else:
                self.compare(diff, item, row)
            out.extend(diff.out)
        out.extend(Mismatch(self.table, sid, key[0], "row", self.missing(key, wanted[key]),
                            "missing (deleted)") for key in sorted(wanted))
        return out


def _by_column(table: str, column: str, compare: Callable[[_Diff, E, Row], None], *,
               inserted: tuple[str, str]) -> _Walk[E]:
    """The walk of a table whose rows are known by one column."""
    return _Walk(table, key=lambda row: (str(row.get(column)),), compare=compare,
                 stray=lambda _: inserted, missing=lambda _, __: "present")


def _keyed(expected: Mapping[str, E]) -> dict[tuple[str, ...], E]:
    return {(key,): value for key, value in expected.items()}


def _compare_block(diff: _Diff, block: ExpectedBlock, row: Row) -> None:
    diff.check("unblocked_at", block.unblocked_at, row.get("unblocked_at"))
    diff.check("reason", block.reason, row.get("reason"))


def _block_missing(key: tuple[str, ...], block: ExpectedBlock) -> str:
    state = "lifted" if block.unblocked_at is not None else "in force"
    return f"a block from {key[1]} ({state})"


_blocks_walk: _Walk[ExpectedBlock] = _Walk(
    "category_blocks",
    key=lambda row: (str(row.get("category")), _key_of(row.get("blocked_at"))),
    compare=_compare_block,
    stray=lambda key: ("no such block", f"a block from {key[1]} no audit entry made"),
    missing=_block_missing)


def _blocks(sid: str, expected: Sequence[ExpectedBlock], rows: Sequence[Row]
            ) -> list[Mismatch]:
    return _blocks_walk(sid, {(b.category, _key_of(b.blocked_at)): b for b in expected}, rows)


def _compare_contract(diff: _Diff, contract: Contract, row: Row) -> None:
    diff.check("opened_at", contract.opened_at, row.get("opened_at"))
    diff.check("closed_at", contract.closed_at, row.get("closed_at"))


def _contracts(sid: str, expected: ExpectedSubject, rows: Sequence[Row]) -> list[Mismatch]:
    walk = _by_column("contracts", "contract_id", _compare_contract,
                      inserted=("no such contract", "a row no recorded event made (inserted)"))
    return walk(sid, _keyed(expected.contracts), rows)


def _fingerprint(row: Row, event: ExpectedEvent) -> str | None:
    """The fingerprint of the stored event, with the instant written as it came in."""
    try:
        occurred = datetime.fromisoformat(event.occurred_at)
        data = _json(row.get("data"))
        return LifecycleEvent(
            str(row.get("event_id")), str(row.get("subject_id")), EventType(str(row.get("type"))),
            occurred, occurred, row.get("contract_id"),
            data if isinstance(data, Mapping) else {"": data}).fingerprint()
    except (ValueError, TypeError):
        return None


def _compare_event(diff: _Diff, event: ExpectedEvent, row: Row) -> None:
    diff.check("type", event.type, row.get("type"))
    diff.check("contract_id", event.contract_id, row.get("contract_id"))
    try:
        occurred: Any = datetime.fromisoformat(event.occurred_at)
    except ValueError:
        occurred = event.occurred_at
    diff.check("occurred_at", occurred, row.get("occurred_at"))
    diff.check("fingerprint", event.fingerprint, row.get("fingerprint"))
    if _fingerprint(row, event) != event.fingerprint:
        diff.check("data", "the data the event came with", "other data")


def _events(sid: str, expected: ExpectedSubject, rows: Sequence[Row]) -> list[Mismatch]:
    walk = _by_column("lifecycle_events", "event_id", _compare_event,
                      inserted=("no such event", "a row no audit entry recorded (inserted)"))
    return walk(sid, _keyed(expected.events), rows)


def _values(sid: str, expected: ExpectedSubject, categories: set[str]) -> list[Mismatch]:
    """Values of categories destroyed and never written again (a destruction undone)."""
    out: list[Mismatch] = []
    for category in sorted(categories):
        if expected.value_allowed(category):
            continue
        when = expected.record.destroyed_at or expected.destroyed_categories.get(category)
        out.append(Mismatch("pd_values", sid, category, "row",
                            f"no value: destroyed at {text_of(when)}",
                            "a value no audit entry wrote after the destruction"))
    return out


# ------------------------------------------------------------------ use cases


def _replayed(uow: UnitOfWork, audit_key: bytes, progress: Progress
              ) -> tuple[ConsentReplay, SubjectReplay]:
    lkey = ledger_key(audit_key)
    consents = ConsentReplay()
    for n, entry in enumerate(uow.consent_ledger.entries(), start=1):
        if entry.authentic(lkey):
            consents.apply(entry)
        if n % PAGE == 0:
            progress("ledger", PAGE)
    subjects = SubjectReplay()
    for n, audit_entry in enumerate(uow.audit.entries(), start=1):
        if _audit_authentic(audit_key, audit_entry):
            subjects.apply(audit_entry)
        if n % PAGE == 0:
            progress("audit", PAGE)
    return consents, subjects


def verify_projections(uow: UnitOfWork, audit_key: bytes, *,
                       progress: Progress | None = None) -> ProjectionReport:
    """Compare every projection the decision point reads with the chains, and the seals."""
    tell = progress or _none
    skey = seal_key(audit_key)
    out: list[Mismatch] = []
    consents = subjects = seals = 0
    with uow:
        uow.read_consistently()  # the chains and the tables as of one instant
        given, made = _replayed(uow, audit_key, tell)
        out.extend(given.problems)
        out.extend(made.problems)
        for page in _pages(lambda after: uow.projections.consents(after=after), "id"):
            for row in page:
                out.extend(_consent(given.consents.pop(str(row.get("id")), None), row))
            consents += len(page)
            tell("consents", len(page))
        out.extend(Mismatch("consents", c.subject_id, c.id, "row", "present",
                            "missing (deleted)") for c in given.consents.values())
        for page in _pages(lambda after: uow.projections.subjects(after=after), "id"):
            ids = [str(r["id"]) for r in page]
            blocks = uow.projections.category_blocks(ids)
            contracts = uow.projections.contracts(ids)
            events = uow.projections.events(ids)
            held = uow.projections.value_categories(ids)
            snapshots = uow.seals.snapshots(ids)
            stored = uow.seals.stored(ids)
            for row, sid in zip(page, ids, strict=True):
                expected = made.subjects.pop(sid, None)
                out.extend(_subject(expected, row))
                if expected is not None:
                    out.extend(_blocks(sid, expected.blocks, blocks.get(sid, ())))
                    out.extend(_contracts(sid, expected, contracts.get(sid, ())))
                    out.extend(_events(sid, expected, events.get(sid, ())))
                    out.extend(_values(sid, expected, held.get(sid, set())))
                seal = stored.get(sid)
                state = snapshots.get(sid)
                if seal is None or not seal.mac:
                    out.append(Mismatch("subject_seals", sid, None, "row", "a seal",
                                        "none: the subject was never sealed"))
                elif state is None or not matches(skey, state, seal.mac):
                    changed = [] if state is None else changed_components(seal.components,
                                                                          state)
                    what = ", ".join(changed) if changed else "the seal itself"
                    out.append(Mismatch("subject_seals", sid, None, "mac",
                                        "the seal of the rows as stored",
                                        f"a seal of other rows (changed: {what})"))
                seals += 1
            subjects += len(page)
            tell("subjects", len(page))
        out.extend(Mismatch("subjects", s.record.id, None, "row", "present", "missing (deleted)")
                   for s in made.subjects.values())
    out.sort(key=lambda m: (m.subject_id or "", m.table, m.ref or "", m.field))
    return ProjectionReport(ledger_entries=given.entries, audit_entries=made.entries,
                            consents=consents, subjects=subjects, seals=seals,
                            mismatches=tuple(out))


def seal_subjects(uow: UnitOfWork, audit_key: bytes, *,
                  progress: Progress | None = None) -> SealReport:
    """Seal every subject whose rows match the chains; list the others, unsealed."""
    report = verify_projections(uow, audit_key, progress=progress)
    # A subject whose only fault is its seal may be sealed; any other difference
    # must be put right first.
    refused = {m.subject_id for m in report.mismatches
               if m.subject_id and m.table != "subject_seals"}
    wanted = sorted({m.subject_id for m in report.mismatches
                     if m.subject_id and m.table == "subject_seals"} - refused)
    sealed = 0
    key = seal_key(audit_key)
    for start in range(0, len(wanted), PAGE):
        with uow:
            sealed += reseal(uow.seals, key, wanted[start:start + PAGE])
            uow.commit()
    return SealReport(sealed=sealed, refused=tuple(sorted(refused)), report=report)


def summary(mismatches: Iterable[Mismatch]) -> dict[str, int]:
    """How many differences per table."""
    counts: dict[str, int] = {}
    for m in mismatches:
        counts[m.table] = counts.get(m.table, 0) + 1
    return counts
