"""The banner of an operator, and recording a visitor's answer in the consent ledger.

A choice is one entry of the consent ledger (the one hash chain of consent evidence),
event ``cookie_choice``: the consent ledger's ``subject_id`` is the visitor's random
pseudonymous id and its ``consent_id`` the choice's id, so an operator proves what a
browser was shown and answered without holding any personal data of the visitor. A
choice that does not match the banner in force is refused, stored nowhere but in the
access audit log, which records the refusal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from derbes.audit.model.log import AuditRecord
from derbes.banner.model.config import (
    BANNER_TEXTS,
    VISITOR_ID,
    BannerConfig,
    Choice,
    banner_config,
)
from derbes.banner.model.config import check_choice as check
from derbes.consent.model.consent import LedgerEvent
from derbes.consent.model.ledger import LedgerEntry, LedgerRecord
from derbes.context import Context
from derbes.errors import ConflictError, InputError, NotFoundError
from derbes.platform.i18n import labels
from derbes.register.service.in_force import find_in_force

__all__ = ["LINKED_ACTION", "REFUSED_ACTION", "Recorded", "banner_of", "link_visitor",
           "record_choice"]

REFUSED_ACTION = "banner_choice_refused"


@dataclass(frozen=True)
class Recorded:
    choice: Choice
    seq: int
    at: datetime
    replayed: bool  # the same choice was recorded before: nothing was added


def banner_of(ctx: Context, operator_id: str) -> BannerConfig:
    """The banner of the operator's register in force."""
    with ctx.uow as uow:
        loaded = find_in_force(uow, operator_id)
    if loaded is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    texts = {key: labels(message) for key, message in BANNER_TEXTS.items()}
    return banner_config(loaded.register, texts)


def _refused(ctx: Context, operator_id: str, error: InputError, now: datetime) -> None:
    """Audit a refused choice (no PD: ids, the field and the reason)."""
    with ctx.uow as uow:
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=REFUSED_ACTION, request_id=ctx.request_id,
            details={"operator_id": operator_id, "field": error.field,
                     "reason": error.message}))
        uow.commit()


def _same(entry: LedgerEntry, choice: Choice) -> bool:
    return dict(entry.payload.get("evidence", {})) == choice.evidence()


def record_choice(ctx: Context, operator_id: str, raw: Mapping[str, object]) -> Recorded:
    """Check ``raw`` against the operator's banner in force and append it to the consent
    ledger, once per (visitor, choice id); a forged or stale choice is refused
    (``InputError`` with the field) and audited, and nothing is stored."""
    now = ctx.now()
    try:
        config = banner_of(ctx, operator_id)
        choice = check(config, raw)
    except (InputError, NotFoundError) as exc:
        refusal = exc if isinstance(exc, InputError) else InputError(
            exc.message, field="operator")
        _refused(ctx, operator_id, refusal, now)
        raise refusal from None
    with ctx.uow as uow:
        # Locked first: two copies of one choice sent at once cannot both be appended.
        uow.consent_ledger.lock_head()
        before = [e for e in uow.consent_ledger.for_subject(choice.visitor_id)
                  if e.consent_id == choice.choice_id]
        if before:
            if not _same(before[0], choice):
                raise ConflictError("this choice id was recorded with other answers",
                                    field="choice_id")
            return Recorded(choice, before[0].seq, before[0].at, replayed=True)
        [entry] = uow.consent_ledger.append([LedgerRecord(
            at=now, event=LedgerEvent.COOKIE_CHOICE.value, consent_id=choice.choice_id,
            subject_id=choice.visitor_id,
            payload={"evidence": choice.evidence(), "actor": ctx.actor,
                     "request_id": ctx.request_id})])
        uow.commit()
    return Recorded(choice, entry.seq, entry.at, replayed=False)


LINKED_ACTION = "banner.choice_linked"


def link_visitor(ctx: Context, operator_id: str, visitor_id: str | None, subject_id: str,
                 session_id: str) -> int:
    """The visitor of this browser signed in to the operator's cabinet as ``subject_id``:
    their banner answers (entries of the visitor id) become the subject's evidence too.

    The ledger is append-only, so the answers are not rewritten: one entry of the
    subject names the visitor id and the choices it links (once per choice), and the
    access log records the link. A visitor id that is not a random UUID, or answers of
    another operator's banner, link nothing. The number of choices linked now."""
    if visitor_id is None or not VISITOR_ID.match(visitor_id):
        return 0
    with ctx.uow as uow:
        uow.consent_ledger.lock_head()
        mine = [e for e in uow.consent_ledger.for_subject(visitor_id)
                if e.event == LedgerEvent.COOKIE_CHOICE.value
                and dict(e.payload.get("evidence", {})).get("operator_id") == operator_id]
        done = {str(c) for e in uow.consent_ledger.for_subject(subject_id)
                if e.event == LedgerEvent.COOKIE_CHOICE_LINKED.value
                for c in e.payload.get("choices", [])}
        new = [e for e in mine if e.consent_id not in done]
        if not new:
            return 0
        now = ctx.now()
        uow.consent_ledger.append([LedgerRecord(
            at=now, event=LedgerEvent.COOKIE_CHOICE_LINKED.value,
            consent_id=new[-1].consent_id, subject_id=subject_id,
            payload={"visitor_id": visitor_id, "operator_id": operator_id,
                     "choices": [e.consent_id for e in new], "seqs": [e.seq for e in new],
                     "session_id": session_id, "actor": ctx.actor,
                     "request_id": ctx.request_id})])
        uow.audit.record(AuditRecord(
            at=now, actor=ctx.actor, action=LINKED_ACTION, subject_ids=[subject_id],
            request_id=ctx.request_id,
            details={"operator_id": operator_id, "choices": len(new),
                     "session_id": session_id}))
        uow.commit()
    return len(new)
