"""The transfer log: decide a disclosure first, then record it (Law 94-V Art. 9, 16).

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

from derbes.context import Context
from derbes.decisions.model import (
    Action,
    ActionKind,
    Decision,
    DecisionIndex,
    DecisionRules,
    Reason,
    ReasonCode,
    decide_many,
)
from derbes.decisions.service import MAX_BATCH, states_from_rows
from derbes.errors import DecisionDeniedError, InputError, NotFoundError
from derbes.platform.labels import Lang
from derbes.register.model.register import BasisKind, Purpose, Recipient, Register
from derbes.register.service import registers as register_service
from derbes.transfers.ports import TransferRecord

__all__ = ["SeenTransfer", "TransferRequest", "list_transfers", "record_transfer", "subject_view"]

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


def _index_for(sha256: str, register: Register, rules: DecisionRules, lang: Lang
               ) -> DecisionIndex:
    """Compiled once per register version and language (a few kept)."""
    key = (sha256, lang)
    index = _INDEXES.get(key)
    if index is None:
        if len(_INDEXES) > 32:
            _INDEXES.clear()
        index = _INDEXES[key] = DecisionIndex.build(register, rules, lang)
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


@dataclass(frozen=True)
class _Checked:
    """A transfer request checked against the register: what is decided and recorded."""

    subject_ids: tuple[str, ...]
    categories: tuple[str, ...]
    kind: ActionKind
    basis_kind: BasisKind
    law: str | None  # the basis's citation
    state_body: str | None
    number: str | None
    law_given: str | None


def _checked(request: TransferRequest, index: DecisionIndex, register: Register,
             today: date) -> _Checked:
    subject_ids = tuple(dict.fromkeys(request.subject_ids))
    if not subject_ids:
        raise InputError("name at least one subject", field="subject_ids")
    if len(subject_ids) > MAX_BATCH:
        raise InputError(f"at most {MAX_BATCH} subjects in one transfer", field="subject_ids")
    categories = tuple(dict.fromkeys(request.categories))
    recipient = index.recipient(request.recipient)
    index.purpose(request.purpose)
    index.check_categories(categories)
    basis_kind, law = _basis(register, request.purpose, request.recipient)
    checked = _Checked(
        subject_ids, categories,
        ActionKind.CROSS_BORDER if recipient.abroad else ActionKind.TRANSFER, basis_kind, law,
        _text(request.state_body, "state_body"),
        _text(request.request_number, "request_number", 100),
        _text(request.law_citation, "law_citation", 1000))
    if basis_kind is BasisKind.STATE_REQUEST:
        # Law 94-V Art. 9: disclosure without consent on a motivated request of a
        # state body; the log must say which body, which request, under which law.
        for name, value in (("state_body", checked.state_body),
                            ("request_number", checked.number),
                            ("request_date", request.request_date),
                            ("law_citation", checked.law_given)):
            if value is None:
                raise InputError(
                    f"a transfer on a state body's request (Law 94-V Art. 9) needs {name}",
                    field=name)
        assert request.request_date is not None
        if request.request_date > today:
            raise InputError("the request date is in the future", field="request_date")
    return checked


def _decisions(ctx: Context, request: TransferRequest, checked: _Checked, index: DecisionIndex
               ) -> list[Decision]:
    """Inside the recording transaction: every subject's decision, as of now."""
    uow = ctx.uow
    rows = uow.decision_facts.load(request.operator_id, checked.subject_ids)
    destroyed: dict[str, dict[str, Any]] = {}
    for event in rows.destroy_events:
        for s in event.subject_ids:
            if s in rows.subjects:
                destroyed.setdefault(s, {}).update(dict.fromkeys(event.categories, event.at))
    states = states_from_rows(uow, rows, destroyed, checked.subject_ids, ctx.now())
    actions = [Action(checked.kind, s, request.purpose, request.recipient, checked.categories)
               for s in checked.subject_ids]
    return decide_many(index, states, actions)


def record_transfer(ctx: Context, request: TransferRequest) -> TransferRecord:
    """Decide the transfer for each subject; record it if all are allowed, else refuse.

    The operator must be one the caller's scope admits."""
    ctx.scope.check(request.operator_id, f"operator {request.operator_id!r}")
    loaded = register_service.in_force(ctx.uow, request.operator_id)
    index = _index_for(loaded.sha256, loaded.register, ctx.rules.decisions, request.lang)
    now = ctx.now()
    checked = _checked(request, index, loaded.register, now.date())
    with ctx.uow as uow:
        decisions = _decisions(ctx, request, checked, index)
        if not all(d.allowed for d in decisions):
            raise _denied(checked.subject_ids, decisions)
        consent_ids = {
            s: tuple(dict.fromkeys(r.ref for r in d.reasons
                                   if r.code in _CONSENT_CODES and r.ref is not None))
            for s, d in zip(checked.subject_ids, decisions, strict=True)
        }
        uses_consent = any(consent_ids.values())
        record = TransferRecord(
            id=str(uuid.uuid4()), at=now, actor=ctx.actor, operator_id=request.operator_id,
            recipient_id=request.recipient, purpose=request.purpose,
            categories=checked.categories,
            basis_kind=BasisKind.CONSENT.value if uses_consent else checked.basis_kind.value,
            consent_ids=consent_ids,
            law_citation=checked.law_given or (None if uses_consent else checked.law),
            state_body=checked.state_body, request_number=checked.number,
            request_date=request.request_date,
            decision={"action": checked.kind.value, "allowed": True,
                      "reasons": _common_reasons(decisions)},
            request_id=ctx.request_id,
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


def list_transfers(ctx: Context, subject_id: str, *, limit: int = 100) -> list[TransferRecord]:
    """The subject's view: every disclosure of their PD, newest first (a subject of an
    operator outside the caller's scope does not exist for it)."""
    with ctx.uow as uow:
        subject = uow.vault.get(subject_id)
        if subject is None or not ctx.scope.admits(subject.operator_id):
            raise NotFoundError("no such subject", field="subject_id")
        return uow.transfers.for_subject(subject_id, limit=limit)


@dataclass(frozen=True)
class SeenTransfer:
    """A disclosure as the subject sees it: with the recipient and purpose the register
    in force names (None when the operator's register no longer declares them)."""

    record: TransferRecord
    recipient: Recipient | None
    purpose: Purpose | None


def subject_view(ctx: Context, subject_id: str, *, limit: int = 100) -> list[SeenTransfer]:
    """:func:`list_transfers`, each with the names the register in force gives."""
    registers: dict[str, Register | None] = {}
    out: list[SeenTransfer] = []
    for r in list_transfers(ctx, subject_id, limit=limit):
        if r.operator_id not in registers:
            try:
                registers[r.operator_id] = register_service.in_force(
                    ctx.uow, r.operator_id).register
            except NotFoundError:
                registers[r.operator_id] = None
        register = registers[r.operator_id]
        out.append(SeenTransfer(
            r, register.recipients.get(r.recipient_id) if register else None,
            register.purposes.get(r.purpose) if register else None))
    return out
