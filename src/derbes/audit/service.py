"""Use cases of the access audit log: verify the chain, look entries up, raise alerts.

Writing entries is not here: services that read, write or destroy PD call
``uow.audit.record(...)`` themselves, inside their own unit of work, so the
entry commits or rolls back with the change (see ``audit/ports.py``).
After a read they call :func:`check_bulk_access` in the same unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from derbes.audit.model.alert_rules import (
    AccessEvent,
    AccessRules,
    BulkReadRule,
    bulk_access,
    same_window,
    window_start,
)
from derbes.audit.model.log import AuditEntry, verify_log
from derbes.audit.ports import AccessAlert, AuditQuery, NewAlert
from derbes.errors import InputError
from derbes.integrity.model.anchor import Anchor, against_chain
from derbes.platform.chain import ChainBreak, ChainEntry, Verification
from derbes.uow import UnitOfWork

__all__ = [
    "AuditQuery", "HeadStatus", "Verification", "alerts", "check_bulk_access", "head_status",
    "parse_head", "search", "show", "verify", "with_anchor",
]


def verify(
    uow: UnitOfWork, key: bytes, expected_head: tuple[int, str] | None = None,
    anchor: Anchor | None = None,
) -> Verification:
    """Walk the whole log and report every break (edited, deleted, inserted, reordered).

    The head the writer recorded is read first, so entries appended while the
    log is read are not mistaken for insertions. ``expected_head`` is a
    (seq, hash) kept outside the database, e.g. printed by an earlier run, and
    ``anchor`` the latest signed head written outside it (``derbes audit
    anchor``): either catches a tail cut off together with a rewound head row,
    and a log emptied with its head zeroed.
    """
    with uow:
        recorded = uow.audit.head()

        def fetch(seq: int) -> ChainEntry | None:
            entry = uow.audit.entry(seq)
            return None if entry is None else entry.chain_entry()

        def stream() -> Iterator[ChainEntry]:
            for entry in uow.audit.entries():
                yield entry.chain_entry()

        result = verify_log(key, stream(), fetch=fetch, recorded_head=recorded,
                            expected_head=expected_head)
        return with_anchor(result, anchor, lambda seq: (e.hash if (e := fetch(seq)) else None))


@dataclass(frozen=True)
class HeadStatus:
    """The log's head held against its latest anchor, without walking the log: what a
    page shows at every visit (the full walk is :func:`verify`)."""

    head_seq: int
    anchor: Anchor | None
    broken: ChainBreak | None  # the anchored entry is gone or changed; None: it holds

    @property
    def holds(self) -> bool:
        return self.broken is None


def head_status(uow: UnitOfWork, anchor: Anchor | None) -> HeadStatus:
    """Whether the log still ends at or after its latest anchor and holds the anchored
    entry unchanged (one read of the head, one of the anchored entry)."""
    with uow:
        head_seq, _ = uow.audit.head()

        def stored(seq: int) -> str | None:
            entry = uow.audit.entry(seq)
            return None if entry is None else entry.chain_entry().hash

        broken = None if anchor is None else against_chain(anchor, head_seq, stored)
    return HeadStatus(head_seq, anchor, broken)


def with_anchor(result: Verification, anchor: Anchor | None,
                stored_hash: Callable[[int], str | None]) -> Verification:
    """``result`` plus the break the anchor finds, if any."""
    if anchor is None:
        return result
    found = against_chain(anchor, result.head_seq, stored_hash)
    if found is None:
        return result
    breaks = sorted((*result.breaks, found), key=lambda b: b.seq)
    return replace(result, breaks=tuple(breaks))


def parse_head(text: str) -> tuple[int, str]:
    """An expected head written as ``<seq>:<hash>`` (as ``derbes audit verify`` prints it)."""
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64 or not all(
        c in "0123456789abcdef" for c in digest
    ):
        raise InputError("an expected head reads <seq>:<64 hex digits>", field="expected_head")
    return int(seq), digest


def show(
    uow: UnitOfWork,
    *,
    subject_id: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The newest entries matching the filters, newest first."""
    return search(uow, AuditQuery(subject_id, actor, action, limit))


def search(uow: UnitOfWork, query: AuditQuery) -> list[AuditEntry]:
    """The newest entries ``query`` admits, newest first (a page: ``query.limit`` of
    them, the next page starts below the last one's ``seq``)."""
    if query.limit < 1:
        raise InputError("the limit must be at least 1", field="limit")
    if query.since and query.until and query.until <= query.since:
        raise InputError("the end of the period must come after its start", field="until")
    with uow:
        return uow.audit.search(query)


def alerts(uow: UnitOfWork, *, actor: str | None = None, limit: int = 100) -> list[AccessAlert]:
    """Access alerts, newest first."""
    if limit < 1:
        raise InputError("the limit must be at least 1", field="limit")
    with uow:
        return uow.alerts.list(actor=actor, limit=limit)


def check_bulk_access(
    uow: UnitOfWork,
    actor: str,
    now: datetime,
    rules: AccessRules | BulkReadRule,
) -> list[AccessAlert]:
    """Count what ``actor`` read in each rule's window and write an alert when a rule is exceeded.

    Call it inside the caller's open unit of work, after recording the read;
    it does not commit. One alert per actor and rule per window: while an
    alert raised less than a window ago stands, no recount and no new row
    (a scrape of thousands of subjects is one alert per window, and each read
    during it costs one query). Returns the alerts written now. ``rules``: the
    access rules in force (``ctx.rules.alerts``), or one of them.
    """
    written: list[AccessAlert] = []
    for rule in rules.bulk_reads if isinstance(rules, AccessRules) else (rules,):
        standing = uow.alerts.latest(actor, rule.name)
        if standing is not None and same_window(standing.at, rule, now):
            continue
        entries = uow.audit.by_actor(actor, since=window_start(rule, now), actions=rule.actions)
        finding = bulk_access(
            rule, (AccessEvent(e.at, e.action, e.subject_ids) for e in entries), now
        )
        if finding is None:
            continue
        written.append(uow.alerts.add(NewAlert(
            at=now,
            actor=actor,
            rule=rule.name,
            count=finding.count,
            window_seconds=rule.window_seconds,
            first_at=finding.first_at,
            last_at=finding.last_at,
            details={
                "max_subjects": rule.max_subjects,
                "actions": sorted(rule.actions),
                "citation": rule.citation,
            },
        )))
    return written
