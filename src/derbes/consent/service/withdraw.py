"""Withdrawing consent: one scope of a subject's consent, answered per purpose."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from derbes.consent.model import consent as rules_of
from derbes.consent.model import withdrawal as withdrawal_rules
from derbes.consent.model.consent import Consent, LedgerEvent, ScopeKind
from derbes.consent.model.ledger import LedgerRecord
from derbes.consent.model.withdrawal import WithdrawalOutcome
from derbes.consent.service.subjects import live_subject, regime_of
from derbes.context import Context
from derbes.deadlines import service as deadlines
from derbes.errors import NotFoundError
from derbes.register.model.register import Register
from derbes.register.service.in_force import in_force_in
from derbes.retention.service import clocks as retention
from derbes.vault.ports import SubjectRecord

__all__ = ["WITHDRAWAL_STOP", "WithdrawalResult", "withdraw_consent", "withdrawal_preview",
           "withdrawal_terms"]

# The regime deadline within which processing on a withdrawn consent stops.
WITHDRAWAL_STOP = "consent_withdrawal_stop"


@dataclass(frozen=True)
class WithdrawalResult:
    withdrawal_id: str
    subject_id: str
    scope: ScopeKind
    event: LedgerEvent
    consent_ids: tuple[str, ...]
    outcomes: tuple[WithdrawalOutcome, ...]
    at: datetime


def withdrawal_terms(ctx: Context, subject_id: str, register: Register, now: datetime
                     ) -> withdrawal_rules.WithdrawalTerms:
    """Inside an open unit of work: the subject's clocks (one clock rule) and the
    statutory term to stop, for answering a withdrawal made at ``now``."""
    due = deadlines.due_by(regime_of(ctx, register), WITHDRAWAL_STOP, now, ctx.rules.calendars)
    found = retention.clocks_of(ctx.uow, subject_id, register, calendars=ctx.rules.calendars)
    history = found.history
    return withdrawal_rules.WithdrawalTerms(
        on=now.date(),
        clocks=found.purposes, open_contracts=history.open_contracts,
        last_contract_closed=history.last_contract_closed, stop_by=due.due,
        stop_citation=due.citation)


def _answer(ctx: Context, subject: SubjectRecord, kind: ScopeKind, now: datetime
            ) -> tuple[list[Consent], Register, tuple[WithdrawalOutcome, ...]]:
    """Inside an open unit of work: mark the scope's consents withdrawn at ``now`` and
    answer per purpose (the caller commits, or leaves the change to roll back)."""
    uow = ctx.uow
    given = uow.consents.for_subject(subject.id, kind)
    if not given:
        raise NotFoundError(f"the subject gave no consent of scope {kind.value}",
                            field="scope")
    register = in_force_in(uow, subject.operator_id).register
    uow.consents.mark_withdrawn([c.id for c in given], now)
    # The clocks are read with this withdrawal applied: its day starts them.
    terms = withdrawal_terms(ctx, subject.id, register, now)
    return given, register, withdrawal_rules.withdrawal_outcomes(
        register, kind, given, terms, ctx.rules.consent)


def withdrawal_preview(ctx: Context, subject_id: str, scope: ScopeKind | str
                       ) -> tuple[WithdrawalOutcome, ...]:
    """What withdrawing ``scope`` now would answer (Law 94-V Art. 8 p.2), per purpose,
    without withdrawing: the same steps as :func:`withdraw_consent` in a unit of work
    that is rolled back, so the preview and the answer cannot disagree."""
    kind = rules_of.parse_scope_kind(scope)
    with ctx.uow as uow:
        subject = live_subject(uow, subject_id, ctx.scope, allow_destroyed=True)
        _, _, outcomes = _answer(ctx, subject, kind, ctx.now())
        # Nothing is committed: leaving the block rolls the marks back.
    return outcomes


def withdraw_consent(ctx: Context, subject_id: str, scope: ScopeKind | str) -> WithdrawalResult:
    """Withdraw one scope of a subject's consent; the answer is per purpose.

    Every consent of that scope is marked withdrawn (other scopes are not
    touched) and one ledger entry per consent records the outcomes: what
    stopped now, and what continues because of an open contract or the law,
    with the citation and, where known, the date until which. Withdrawing
    again later (say, after the contract is closed) is allowed and answered
    afresh.
    """
    kind = rules_of.parse_scope_kind(scope)
    now = ctx.now()
    withdrawal_id = str(uuid.uuid4())
    uow = ctx.uow
    with uow:
        subject = live_subject(uow, subject_id, ctx.scope, allow_destroyed=True)
        given, register, outcomes = _answer(ctx, subject, kind, now)
        event = withdrawal_rules.withdrawal_event(outcomes)
        uow.consent_ledger.append([LedgerRecord(
            at=now, event=event.value, consent_id=c.id, subject_id=subject.id,
            payload={"withdrawal_id": withdrawal_id, "scope": kind.value,
                     "already_withdrawn": c.withdrawn_at is not None,
                     "outcomes": [o.as_dict() for o in outcomes],
                     "actor": ctx.actor, "request_id": ctx.request_id},
        ) for c in given])
        retention.update_clocks(uow, subject.id, now, calendars=ctx.rules.calendars,
                                register=register)
        uow.commit()
    return WithdrawalResult(withdrawal_id, subject.id, kind, event,
                            tuple(c.id for c in given), outcomes, now)
