"""Data-subject requests (Law 94-V Art. 24): types, the state machine, reasoned destruction.

Pure. A request is filed, the requester's identity is verified, the request
is worked on, and it ends answered, refused with reasons, or withdrawn::

    received ──► verified ──► in_progress ──► answered
        │            │             │
        ├────────────┴─────────────┴────────► refused (reasons)
        └────────────┴─────────────┴────────► withdrawn (by the requester)

Nothing is disclosed before ``verified`` (``requests/service/transitions.begin`` enforces it);
every transition is stored with its actor and reason and audited.

Which deadline of the regime table each type runs on is data
(``data/request_types.yaml``, loaded by ``requests/adapters/rules.py``),
not a constant here.

Destruction (Art. 24: destroy PD collected or processed unlawfully; Digital
Code 2026: where a law requires keeping, stop processing, keep, explain) is
answered by :func:`destruction_outcome`: each category held is either
destroyed, or kept because a purpose whose basis is a legal obligation still
needs it (or an open contract, Art. 8 p.2), with the citation and, when the
lifecycle events tell it, the date until which — from the one clock rule
(``retention/model/clocks.py``), as every other answer.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from derbes.errors import ConflictError, InputError
from derbes.platform.choices import parse_choice
from derbes.register.model.register import (
    AfterRetention,
    BasisKind,
    Purpose,
    Register,
    Retention,
)
from derbes.retention.model.clocks import PurposeClock

# The audit action of a request's transition (audit_log.action).
AUDIT_ACTION = "request.transition"

MAX_REASON = 2000
MAX_REFERENCE = 200


class RequestType(StrEnum):
    ACCESS = "access"
    RECTIFICATION = "rectification"
    BLOCKING = "blocking"
    DESTRUCTION = "destruction"
    CONSENT_WITHDRAWAL = "consent_withdrawal"
    COMPLAINT = "complaint"
    PRETRIAL_CLAIM = "pretrial_claim"
    # Law 94-V Art. 19-1: an objection to automated processing that changes the
    # subject's rights, considered within the regime's term.
    AUTOMATED_OBJECTION = "automated_objection"


class RequestState(StrEnum):
    RECEIVED = "received"
    VERIFIED = "verified"
    IN_PROGRESS = "in_progress"
    ANSWERED = "answered"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"

    @property
    def closed(self) -> bool:
        return self in _CLOSED


_CLOSED = frozenset({RequestState.ANSWERED, RequestState.REFUSED, RequestState.WITHDRAWN})
# A request that got its answer (or refusal): the event ``request_answered`` of the clocks.
ANSWERED_STATES = (RequestState.ANSWERED, RequestState.REFUSED)

# Every allowed move; anything else is a ConflictError.
TRANSITIONS: Mapping[RequestState, frozenset[RequestState]] = {
    RequestState.RECEIVED: frozenset({RequestState.VERIFIED, RequestState.REFUSED,
                                      RequestState.WITHDRAWN}),
    RequestState.VERIFIED: frozenset({RequestState.IN_PROGRESS, RequestState.REFUSED,
                                      RequestState.WITHDRAWN}),
    RequestState.IN_PROGRESS: frozenset({RequestState.ANSWERED, RequestState.REFUSED,
                                         RequestState.WITHDRAWN}),
    RequestState.ANSWERED: frozenset(),
    RequestState.REFUSED: frozenset(),
    RequestState.WITHDRAWN: frozenset(),
}


class RequesterKind(StrEnum):
    SUBJECT = "subject"
    REPRESENTATIVE = "representative"  # by power of attorney, or a minor's legal representative


class VerificationMethod(StrEnum):
    SMS_OTP = "sms_otp"  # a code sent to the phone on record, typed back
    STAFF_DOCUMENT = "staff_document"  # staff saw an identity document (its reference)
    # Filed in the cabinet by a subject signed in with a code sent to the phone on record.
    CABINET_SESSION = "cabinet_session"


def parse_type(value: object) -> RequestType:
    return parse_choice(RequestType, value, "request type", "type")


def parse_state(value: object) -> RequestState:
    return parse_choice(RequestState, value, "request state", "state")


def check_transition(current: RequestState, target: RequestState) -> None:
    """Raise ConflictError unless ``current → target`` is a move of the state machine."""
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "none: the request is closed"
        raise ConflictError(
            f"a {current.value} request cannot become {target.value} (allowed: {allowed})",
            field="state",
        )


def checked_reason(reason: str | None, *, required: bool = False, where: str = "reason"
                   ) -> str | None:
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        if required:
            raise InputError("a reason is required", field=where)
        return None
    if len(text) > MAX_REASON:
        raise InputError(f"a reason is at most {MAX_REASON} characters", field=where)
    return text


def checked_reference(value: str | None, where: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_REFERENCE:
        raise InputError(f"a reference of 1 to {MAX_REFERENCE} characters is required",
                         field=where)
    return text


# ------------------------------------------------------------------- rules


@dataclass(frozen=True)
class TypeRule:
    """Which regime deadline a request type runs on, and the right it exercises."""

    type: RequestType
    deadline: str
    citation: str
    check: bool = False


@dataclass(frozen=True)
class RequestRules:
    types: Mapping[RequestType, TypeRule]
    verification_citation: str
    no_data_citation: str
    representative_citation: str
    destruction_keep_citation: str

    def deadline_of(self, request_type: RequestType) -> str:
        return self.types[request_type].deadline


def rules_from_dict(data: object, known_deadlines: Collection[str]) -> RequestRules:
    """Rules from the parsed ``request_types.yaml``; every problem is reported at once."""
    problems: list[str] = []
    if not isinstance(data, Mapping):
        raise InputError("request types: expected a mapping with 'types' and 'rules'")
    raw_types = data.get("types")
    types: dict[RequestType, TypeRule] = {}
    if not isinstance(raw_types, Mapping):
        problems.append("types: expected a mapping of request type -> deadline")
        raw_types = {}
    for key, raw in raw_types.items():
        try:
            kind = RequestType(str(key))
        except ValueError:
            problems.append(f"types.{key}: unknown request type")
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"types.{key}: expected a mapping")
            continue
        deadline, citation = raw.get("deadline"), raw.get("citation")
        if not isinstance(deadline, str) or deadline not in known_deadlines:
            problems.append(f"types.{key}.deadline: not a deadline of the regime table")
            continue
        if not isinstance(citation, str) or not citation.strip():
            problems.append(f"types.{key}.citation: missing")
            continue
        types[kind] = TypeRule(kind, deadline, citation.strip(), bool(raw.get("check", False)))
    missing = [t.value for t in RequestType if t not in types]
    if missing and not problems:
        problems.append(f"types: no deadline for {', '.join(missing)}")
    raw_rules = data.get("rules")
    texts: dict[str, str] = {}
    names = ("verification_citation", "no_data_citation", "representative_citation",
             "destruction_keep_citation")
    for name in names:
        value = raw_rules.get(name) if isinstance(raw_rules, Mapping) else None
        if not isinstance(value, str) or not value.strip():
            problems.append(f"rules.{name}: missing")
        else:
            texts[name] = " ".join(value.split())
    if problems:
        raise InputError("request types: " + "; ".join(problems), field="request_types")
    return RequestRules(types=types, **texts)


# ----------------------------------------------------------------- requests


@dataclass(frozen=True)
class Transition:
    request_id: str
    from_state: RequestState | None  # None: the request was filed
    to_state: RequestState
    at: datetime
    actor: str
    reason: str | None = None


@dataclass(frozen=True)
class SubjectRequest:
    """A request as stored. Sealed fields are ciphertext under the request's own data key
    (the key store); nothing here is PD in clear."""

    id: str
    operator_id: str
    subject_id: str | None  # None: nobody known by the identifiers given
    type: RequestType
    state: RequestState
    language: str
    received_at: datetime
    due_date: date
    deadline_id: str
    deadline_citation: str
    requester: RequesterKind
    representative_sealed: bytes | None = field(default=None, repr=False)
    verification_method: VerificationMethod | None = None
    verification_ref: str | None = None
    payload_sealed: bytes | None = field(default=None, repr=False)
    answer: Mapping[str, Any] | None = None  # JSON without PD
    answer_sealed: bytes | None = field(default=None, repr=False)  # the full answer
    refusal_reasons: tuple[str, ...] = ()
    pending_reason: str | None = None  # why an in-progress request is not finished yet
    closed_at: datetime | None = None
    updated_at: datetime | None = None

    def moved(self, target: RequestState, at: datetime) -> SubjectRequest:
        """This request in ``target`` (ConflictError for an illegal move)."""
        check_transition(self.state, target)
        return replace(self, state=target, updated_at=at,
                       closed_at=at if target.closed else None)

    @property
    def verified(self) -> bool:
        return self.verification_method is not None

    def overdue_on(self, day: date) -> bool:
        return not self.state.closed and self.due_date < day


# ---------------------------------------------------------------- retention


@dataclass(frozen=True)
class SubjectTerms:
    """What a destruction answer needs of the subject's clocks (``retention/model/clocks.py``):
    the purposes they are in with their clocks, and how many contracts are open."""

    clocks: Mapping[str, PurposeClock] = field(default_factory=dict)
    open_contracts: int = 0


class KeepGround(StrEnum):
    LEGAL_OBLIGATION = "legal_obligation"  # a law requires keeping (AML, credit dossier)
    OPEN_CONTRACT = "open_contract"  # an unfulfilled obligation (Law 94-V Art. 8 p.2)


@dataclass(frozen=True)
class KeptFor:
    """One purpose that keeps a category, why, and until when (None: not known yet)."""

    purpose: str
    ground: KeepGround
    citation: str
    retention: Retention | None
    until: date | None


@dataclass(frozen=True)
class KeptCategory:
    category: str
    kept_for: tuple[KeptFor, ...]

    @property
    def until(self) -> date | None:
        """The latest end of the purposes keeping it; None if one of them is not known."""
        ends = [k.until for k in self.kept_for]
        if not ends or any(e is None for e in ends):
            return None
        return max(e for e in ends if e is not None)


@dataclass(frozen=True)
class DestructionOutcome:
    """What a destruction request destroys, and what it keeps, why and until when."""

    destroy: tuple[str, ...]
    keep: tuple[KeptCategory, ...]
    keep_purposes: tuple[str, ...]  # purposes whose data stay (stores keep their rows)

    @property
    def partial(self) -> bool:
        return bool(self.keep)

    def as_dict(self) -> dict[str, Any]:
        return {
            "destroy": list(self.destroy),
            "keep": [{"category": k.category,
                      "until": k.until.isoformat() if k.until else None,
                      "kept_for": [{"purpose": f.purpose, "ground": f.ground.value,
                                    "citation": f.citation,
                                    "until": f.until.isoformat() if f.until else None,
                                    "then": (f.retention.then.value if f.retention
                                             else AfterRetention.DESTROY.value)}
                                   for f in k.kept_for]}
                     for k in self.keep],
            "keep_purposes": list(self.keep_purposes),
        }


def keeping_purposes(register: Register, terms: SubjectTerms, on: date
                     ) -> dict[str, KeptFor]:
    """Purposes the subject is in that must keep their data on ``on``: legal obligations
    whose retention has not ended, and contract purposes while a contract is open."""
    out: dict[str, KeptFor] = {}
    for purpose in register.purposes.values():
        clock = terms.clocks.get(purpose.id)
        if clock is None:
            continue  # the subject is not in this purpose: it keeps nothing of theirs
        basis = purpose.basis
        if basis.kind is BasisKind.LEGAL_OBLIGATION:
            if clock.end_date is not None and clock.end_date < on:
                continue  # its term is over: nothing keeps the data any more
            citation = basis.citation or (purpose.retention.citation if purpose.retention
                                          else "")
            out[purpose.id] = KeptFor(purpose.id, KeepGround.LEGAL_OBLIGATION, citation,
                                      purpose.retention, clock.end_date)
        elif basis.kind is BasisKind.CONTRACT and terms.open_contracts > 0:
            out[purpose.id] = KeptFor(purpose.id, KeepGround.OPEN_CONTRACT,
                                      basis.citation or "Law 94-V Art. 8 p.2",
                                      purpose.retention, None)
    return out


class AutomatedRight(StrEnum):
    """What the subject may ask about a decision made by automated means
    (Digital Code Art. 43); the objection's answer names each."""

    TO_BE_TOLD = "to_be_told"
    EXPLANATION = "explanation"
    HUMAN_REVIEW = "human_review"


def automated_purposes(register: Register, named: str | None = None) -> tuple[Purpose, ...]:
    """The purposes an objection to automated processing concerns: the one named, or
    every purpose whose policy says it decides by automated means."""
    if named is not None:
        purpose = register.purposes.get(named)
        if purpose is None:
            raise InputError(f"unknown purpose {named!r}", field="payload.purpose")
        return (purpose,)
    return tuple(p for p in register.purposes.values() if p.automated_decision is True)


def destruction_outcome(
    register: Register,
    held: Collection[str],
    terms: SubjectTerms,
    on: date,
) -> DestructionOutcome:
    """Split the categories ``held`` into destroyed and kept (with every purpose keeping it)."""
    keepers = keeping_purposes(register, terms, on)
    destroy: list[str] = []
    keep: list[KeptCategory] = []
    for category in sorted(set(held)):
        kept_for = tuple(keepers[p.id] for p in register.purposes_for_category(category)
                         if p.id in keepers)
        if kept_for:
            keep.append(KeptCategory(category, kept_for))
        else:
            destroy.append(category)
    return DestructionOutcome(tuple(destroy), tuple(keep), tuple(sorted(keepers)))
