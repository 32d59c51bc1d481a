"""The transfer log: decide a disclosure first, then record it (issue 4, item 7).

:func:`record_transfer` answers, for every subject of the disclosure, the same
question the decision point answers (``transfer``, or ``cross_border`` for a
recipient abroad), inside the transaction that records it, so a withdrawal or
block committed a moment before is honoured. Any denial refuses the whole
transfer with every reason (:class:`~derbes.errors.DecisionDeniedError`);
nothing is recorded.

The basis recorded is the consent (its ids, per subject) or the legal basis
with its citation. A transfer on a state body's motivated request (Law 94-V
Art. 9; basis ``state_request`` of the purpose or the recipient) must name
the body, the request's number and date, and the law the request rests on.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from derbes.decisions.adapters.rules import load_decision_rules
from derbes.decisions.model import Action, ActionKind, Decision, DecisionIndex, Reason, ReasonCode
from derbes.decisions.service import MAX_BATCH, decide_all, states_from_rows
from derbes.errors import DecisionDeniedError, InputError, NotFoundError
from derbes.platform.clock import Clock
from derbes.platform.labels import Lang
from derbes.register.model.register import BasisKind, Register
from derbes.register.service import registers as register_service
from derbes.transfers.adapters.store import TransferRecord
from derbes.uow import UnitOfWork

__all__ = ["TransferRequest", "list_transfers", "record_transfer"]

MAX_TEXT = 300
_CONSENT_CODES = frozenset({ReasonCode.CONSENT, ReasonCode.TRANSFER_CONSENT,
                            ReasonCode.CROSS_BORDER_CONSENT})


@dataclass(frozen=True)
class TransferRequest:
    """A disclosure about to be made. The request fields are Art. 9 transfers' own."""

    operator_id: str
    recipient: str
    purpose: str
    categories: tuple[str, ...]
    subject_ids: tuple[str, ...]
    state_body: str | None = None
    request_number: str | None = None
    request_date: date | None = None
    law_citation: str | None = None
    lang: Lang = Lang.EN


_INDEXES: dict[tuple[str, Lang], DecisionIndex] = {}


def _index_for(sha256: str, register: Register, lang: Lang) -> DecisionIndex:
    """Compiled once per register version and language (a few kept)."""
    key = (sha256, lang)
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) > 32:
            _INDEXES.clear()
        index = _INDEXES[key] = DecisionIndex.build(register, load_decision_rules(), lang)
    return index


def _text(value: str | None, name: str, limit: int = MAX_TEXT) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise InputError(f"{name} is longer than {limit} characters", field=name)
    return cleaned


def _basis(register: Register, purpose_id: str, recipient_id: str) -> tuple[BasisKind, str | None]:
    """The legal basis a transfer without consent rests on, and its citation."""
    purpose = register.purposes[purpose_id]
    recipient = register.recipients[recipient_id]
    if BasisKind.STATE_REQUEST in (purpose.basis.kind, recipient.basis.kind):
        basis = recipient.basis if recipient.basis.kind is BasisKind.STATE_REQUEST \
            else purpose.basis
    elif recipient.basis.kind is not BasisKind.CONSENT:
        basis = recipient.basis
    else:
        basis = purpose.basis
    return basis.kind, basis.citation


def _denied(subject_ids: Sequence[str], decisions: Sequence[Decision]) -> DecisionDeniedError:
    reasons: list[dict[str, str | None]] = []
    for subject_id, decision in zip(subject_ids, decisions, strict=True):
        if not decision.allowed:
            reasons.extend({"subject_id": subject_id, "code": r.code.value,
                            "message": r.message, "citation": r.citation, "ref": r.ref}
                           for r in decision.reasons)
    first = reasons[0]
    refused = sum(1 for d in decisions if not d.allowed)
    return DecisionDeniedError(
        f"the transfer is refused for {refused} of {len(decisions)} subject(s): "
        f"{first['message']}",
        citation=first["citation"] or "",
        reasons=reasons,
    )


def record_transfer(
    uow: UnitOfWork,
    clock: Clock,
    request: TransferRequest,
    actor: str,
    request_id: str | None = None,
) -> TransferRecord:
    """Decide the transfer for each subject; record it if all are allowed, else refuse."""
    subject_ids = tuple(dict.fromkeys(request.subject_ids))
    if not subject_ids:
        raise InputError("name at least one subject", field="subject_ids")
    if len(subject_ids) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} subjects in one transfer", field="subject_ids")
    categories = tuple(dict.fromkeys(request.categories))
    loaded = register_service.in_force(uow, request.operator_id)
    register = loaded.register
    index = _index_for(loaded.sha256, register, request.lang)
    recipient = index.recipient(request.recipient)
    index.purpose(request.purpose)
    index.check_categories(categories)
    kind = ActionKind.CROSS_BORDER if recipient.abroad else ActionKind.TRANSFER
    actions = [Action(kind, s, request.purpose, request.recipient, categories)
               for s in subject_ids]
    basis_kind, law = _basis(register, request.purpose, request.recipient)
    state_body = _text(request.state_body, "state_body")
    number = _text(request.request_number, "request_number", 100)
    law_given = _text(request.law_citation, "law_citation", 1000)
    now = clock.now()
    if basis_kind is BasisKind.STATE_REQUEST:
        # Law 94-V Art. 9: disclosure without consent on a motivated request of a
        # state body; the log must say which body, which request, under which law.
        for name, value in (("state_body", state_body), ("request_number", number),
                            ("request_date", request.request_date),
                            ("law_citation", law_given)):
            if value is None:
                raise InputError(
                    f"a transfer on a state body's request (Law 94-V Art. 9) needs {name}",
                    field=name)
        assert request.request_date is not None
        if request.request_date > now.date():
            raise InputError("the request date is in the future", field="request_date")
    with uow:
        rows = uow.decision_facts.load(request.operator_id, subject_ids)
        destroyed: dict[str, dict[str, Any]] = {}
        for event in rows.destroy_events:
            for s in event.subject_ids:
                if s in rows.subjects:
                    destroyed.setdefault(s, {}).update(dict.fromkeys(event.categories, event.at))
        states = states_from_rows(uow, rows, destroyed, subject_ids, now)
        decisions = decide_all(index, states, actions)
        if not all(d.allowed for d in decisions):
            raise _denied(subject_ids, decisions)
        consent_ids = {
            s: tuple(dict.fromkeys(r.ref for r in d.reasons
                                   if r.code in _CONSENT_CODES and r.ref is not None))
            for s, d in zip(subject_ids, decisions, strict=True)
        }
        uses_consent = any(consent_ids.values())
        record = TransferRecord(
            id=str(uuid.uuid4()),
            at=now,
            actor=actor,
            operator_id=request.operator_id,
            recipient_id=request.recipient,
            purpose=request.purpose,
            categories=categories,
            basis_kind=BasisKind.CONSENT.value if uses_consent else basis_kind.value,
            consent_ids=consent_ids,
            law_citation=law_given or (None if uses_consent else law),
            state_body=state_body,
            request_number=number,
            request_date=request.request_date,
            decision={"action": kind.value, "allowed": True,
                      "reasons": _common_reasons(decisions)},
            request_id=request_id,
        )
        uow.transfers.add(record)
        uow.commit()
    return record


def _common_reasons(decisions: Sequence[Decision]) -> list[dict[str, str]]:
    """The reasons that allowed the transfer, without per-subject consent ids."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for decision in decisions:
        for reason in decision.reasons:
            _remember(seen, reason)
    return list(seen.values())


def _remember(seen: dict[tuple[str, str], dict[str, str]], reason: Reason) -> None:
    key = (reason.code.value, reason.message)
    if key not in seen:
        seen[key] = {"code": reason.code.value, "message": reason.message,
                     "citation": reason.citation}


def list_transfers(
    uow: UnitOfWork, subject_id: str, *, operator_id: str | None = None, limit: int = 100
) -> list[TransferRecord]:
    """The subject's view: every disclosure of their PD, newest first."""
    with uow:
        subject = uow.vault.get(subject_id)
        if subject is None or (operator_id is not None and subject.operator_id != operator_id):
            raise NotFoundError("no such subject", field="subject_id")
        return uow.transfers.for_subject(subject_id, limit=limit)
