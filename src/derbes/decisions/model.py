"""The decision point: may this action be done with this subject's PD, and why.

    index = DecisionIndex.build(register, rules)        # once per register version
    state = state_of(facts, now)                        # once per subject (cached)
    decide(index, state, Action(ActionKind.USE, "s1", "newsletters", None, ("contact.email",)))

Four actions (issue 4, item 6): ``use`` for a purpose, ``transfer`` to a recipient
for a purpose, ``cross_border`` transfer, ``publish`` in public sources; each on
named categories. The answer is allow / deny with every reason that applies,
each carrying its citation: the register's own (a purpose's legal basis, its
retention rule, a recipient's cross-border basis) where it has one, otherwise
the rule of law from ``data/decision_rules.yaml``.

Built for throughput, because operators call it on every access:

* :class:`DecisionIndex` compiles a register once: per purpose its categories
  as a frozenset, whether it needs consent, its recipients, and every reason it
  can produce, already formatted; per (purpose, recipient) pair the transfer and
  cross-border rules. A decision that does not depend on the subject's consents
  (a legal basis, a processor) is one precomputed :class:`Decision`.
* :class:`SubjectState` is a small immutable object of frozensets and dicts,
  with one flag (``restricted``) that lets the common case skip every block,
  destruction and retention check.
* :func:`decide` allocates at most one :class:`Reason` (the one naming the
  consent id) and one :class:`Decision` on the allow path.

What the caller gets wrong — an unknown purpose, recipient or category, a
missing field — is an :class:`~derbes.errors.InputError`, not a denial.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from derbes.consent.model.consent import ScopeKind, needs_consent, rests_on_consent
from derbes.errors import ConfigurationError, InputError
from derbes.platform.labels import Labels, Lang
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasisKind,
    Purpose,
    Recipient,
    Register,
)

__all__ = [
    "ALL",
    "Action",
    "ActionKind",
    "ConsentFact",
    "Decision",
    "DecisionIndex",
    "DecisionRules",
    "Reason",
    "ReasonCode",
    "ReasonText",
    "SubjectFacts",
    "SubjectState",
    "consent_fact",
    "decide",
    "decide_many",
    "state_of",
    "unknown_subject",
    "unverified_subject",
]

ALL: Final = "*"
"""In a consent's recipients: every recipient (transfer or cross-border)."""


class ActionKind(StrEnum):
    USE = "use"  # process for a purpose
    TRANSFER = "transfer"  # disclose to a recipient for a purpose
    CROSS_BORDER = "cross_border"  # disclose to a recipient abroad (Art. 16)
    PUBLISH = "publish"  # place in public sources


class ReasonCode(StrEnum):
    # allowed
    CONSENT = "consent"
    LEGAL_BASIS = "legal_basis"
    TRANSFER_CONSENT = "transfer_consent"
    PROCESSOR = "processor"
    RECIPIENT_BASIS = "recipient_basis"
    CROSS_BORDER_BASIS = "cross_border_basis"
    CROSS_BORDER_CONSENT = "cross_border_consent"
    PUBLICATION_CONSENT = "publication_consent"
    # denied
    SUBJECT_UNKNOWN = "subject_unknown"
    SUBJECT_DESTROYED = "subject_destroyed"
    SUBJECT_BLOCKED = "subject_blocked"
    STATE_UNVERIFIED = "state_unverified"
    CATEGORY_BLOCKED = "category_blocked"
    CATEGORY_DESTROYED = "category_destroyed"
    CATEGORY_NOT_NEEDED = "category_not_needed"
    CATEGORY_NOT_FOR_RECIPIENT = "category_not_for_recipient"
    RETENTION_EXPIRED = "retention_expired"
    RECIPIENT_NOT_DECLARED = "recipient_not_declared"
    RECIPIENT_NOT_ABROAD = "recipient_not_abroad"
    CROSS_BORDER_NOT_ALLOWED = "cross_border_not_allowed"
    TRANSFER_NOT_CONSENTED = "transfer_not_consented"
    PUBLICATION_NOT_CONSENTED = "publication_not_consented"
    CONSENT_ABSENT = "consent_absent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_EXPIRED = "consent_expired"
    RECONSENT_REQUIRED = "reconsent_required"
    MINOR_WITHOUT_REPRESENTATIVE = "minor_without_representative"
    NO_OBLIGATION = "no_obligation"


# Art. 16: these bases let PD cross the border without the subject's consent.
_CROSS_BORDER_WITHOUT_CONSENT = frozenset({
    CrossBorderBasisKind.ADEQUATE_PROTECTION,
    CrossBorderBasisKind.INTERNATIONAL_TREATY,
    CrossBorderBasisKind.LAW,
    CrossBorderBasisKind.CONTRACT_PERFORMANCE,
})
HOME_COUNTRY: Final = "KZ"


# ------------------------------------------------------------ values


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason of a decision; ``ref`` names what it is about.

    ``ref`` is the consent id for consent reasons, the category for category
    reasons, the recipient for recipient reasons, the purpose otherwise.
    """

    code: ReasonCode
    allowed: bool
    message: str
    citation: str
    ref: str | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Allowed with the reasons that allow it, or denied with every reason against."""

    allowed: bool
    reasons: tuple[Reason, ...]

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class Action:
    """What a caller wants to do. ``subject_id`` only routes batches to states."""

    kind: ActionKind
    subject_id: str = ""
    purpose: str | None = None
    recipient: str | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReasonText:
    """A reason code's rule of law and its message templates (ru, kk, en)."""

    allowed: bool
    citation: str
    message: Labels


@dataclass(frozen=True)
class DecisionRules:
    """The reasons' texts and fallback citations (``data/decision_rules.yaml``)."""

    reasons: Mapping[ReasonCode, ReasonText]

    def __post_init__(self) -> None:
        missing = [c.value for c in ReasonCode if c not in self.reasons]
        if missing:
            raise ConfigurationError(f"decision rules lack reason(s): {', '.join(missing)}")
        for code, text in self.reasons.items():
            if text.allowed != _ALLOWING.get(code, False):
                raise ConfigurationError(f"decision rule {code.value}: 'allowed' is wrong")

    def reason(
        self,
        code: ReasonCode,
        lang: Lang,
        *,
        citation: str | None = None,
        ref: str | None = None,
        **fields: str,
    ) -> Reason:
        text = self.reasons[code]
        message = text.message.get(lang).format_map(_Fields(fields))
        return Reason(code, text.allowed, message, citation or text.citation, ref)


_ALLOWING = {code: True for code in (
    ReasonCode.CONSENT, ReasonCode.LEGAL_BASIS, ReasonCode.TRANSFER_CONSENT,
    ReasonCode.PROCESSOR, ReasonCode.RECIPIENT_BASIS, ReasonCode.CROSS_BORDER_BASIS,
    ReasonCode.CROSS_BORDER_CONSENT, ReasonCode.PUBLICATION_CONSENT,
)}


class _Fields(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


# ------------------------------------------------------------ subject state


@dataclass(frozen=True, slots=True)
class SubjectState:
    """What the decision point needs to know of one subject, at one time.

    ``consents`` maps each purpose with a valid consent to that consent's id;
    ``withdrawn`` / ``expired`` / ``reconsent`` name purposes whose consent was
    withdrawn, ran out, or needs renewing after a policy change (and has no
    valid one beside). Transfer and cross-border consents map a recipient (or
    :data:`ALL`) to the consent id. ``retention_expired`` names purposes whose
    retention period is over (issue 6 fills it).
    """

    subject_id: str
    known: bool = True
    destroyed: bool = False
    blocked: bool = False
    blocked_categories: frozenset[str] = frozenset()
    destroyed_categories: frozenset[str] = frozenset()
    retention_expired: frozenset[str] = frozenset()
    consents: Mapping[str, str] = field(default_factory=dict)
    withdrawn: frozenset[str] = frozenset()
    expired: frozenset[str] = frozenset()
    reconsent: frozenset[str] = frozenset()
    transfer_consents: Mapping[str, str] = field(default_factory=dict)
    cross_border_consents: Mapping[str, str] = field(default_factory=dict)
    publication_consent: str | None = None
    minor_without_representative: bool = False
    # The subject withdrew processing consent; contract purposes go on only
    # while a contract with them is open (Law 94-V Art. 8 p.2).
    processing_withdrawn: bool = False
    open_contract: bool = False
    # The stored state does not match its seal (integrity/model/state_seal.py): nothing
    # read about the subject can be trusted, so everything is denied.
    unverified: bool = False
    restricted: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "restricted", bool(
            not self.known or self.unverified or self.destroyed or self.blocked
            or self.blocked_categories
            or self.destroyed_categories or self.retention_expired
            or (self.processing_withdrawn and not self.open_contract)
        ))


def unknown_subject(subject_id: str) -> SubjectState:
    """The state of a subject the operator does not hold: everything is denied."""
    return SubjectState(subject_id, known=False)


def unverified_subject(subject_id: str) -> SubjectState:
    """The state of a subject whose stored rows do not match their seal: everything is
    denied until the difference is explained (``derbes ledger verify``)."""
    return SubjectState(subject_id, unverified=True)


@dataclass(frozen=True)
class ConsentFact:
    """One stored consent, reduced to what decisions need (no PD).

    ``purposes``: purposes it consents to; ``transfer_to`` / ``cross_border_to``:
    recipients it allows transfer / cross-border transfer to (:data:`ALL` for
    every one); ``publication``: publication in public sources; ``processing``:
    a consent to processing as such, whose withdrawal is the subject's objection.
    """

    id: str
    processing: bool = False
    purposes: tuple[str, ...] = ()
    transfer_to: tuple[str, ...] = ()
    cross_border_to: tuple[str, ...] = ()
    publication: bool = False
    by_representative: bool = False
    given_at: datetime | None = None
    valid_until: datetime | None = None
    withdrawn_at: datetime | None = None
    needs_reconsent_since: datetime | None = None


def consent_fact(
    consent_id: str,
    scope: ScopeKind | str,
    purposes: Sequence[str],
    recipients: Sequence[str],
    *,
    by_representative: bool,
    given_at: datetime | None,
    valid_until: datetime | None,
    expired_at: datetime | None,
    withdrawn_at: datetime | None,
    needs_reconsent_since: datetime | None,
) -> ConsentFact:
    """A stored consent of any scope as a :class:`ConsentFact` (cookies grant nothing here)."""
    kind = ScopeKind(scope)
    ends = [t for t in (valid_until, expired_at) if t is not None]
    return ConsentFact(
        id=consent_id,
        processing=kind is ScopeKind.PROCESSING,
        purposes=tuple(purposes) if kind in (ScopeKind.PROCESSING, ScopeKind.MARKETING) else (),
        transfer_to=tuple(recipients) if kind is ScopeKind.THIRD_PARTY_TRANSFER else (),
        cross_border_to=tuple(recipients) if kind is ScopeKind.CROSS_BORDER_TRANSFER else (),
        publication=kind is ScopeKind.PUBLICATION,
        by_representative=by_representative,
        given_at=given_at,
        valid_until=min(ends) if ends else None,
        withdrawn_at=withdrawn_at,
        needs_reconsent_since=needs_reconsent_since,
    )


@dataclass(frozen=True)
class SubjectFacts:
    """Everything stored about a subject that bears on decisions (no PD)."""

    subject_id: str
    destroyed: bool = False
    blocked: bool = False
    blocked_categories: frozenset[str] = frozenset()
    destroyed_categories: frozenset[str] = frozenset()
    retention_expired: frozenset[str] = frozenset()
    minor: bool = False  # under the age of majority now
    open_contract: bool = False
    consents: Sequence[ConsentFact] = ()


def state_of(facts: SubjectFacts, now: datetime) -> SubjectState:
    """Reduce stored facts to a state, as of ``now``.

    A consent counts when it is not withdrawn, not past its term, not waiting
    for renewal after a widening policy change, and — for a minor — given by a
    legal representative (Law 94-V Art. 8). Withdrawing or losing one consent
    never touches another: a purpose with any valid consent stays consented.
    """
    valid: dict[str, str] = {}
    withdrawn: set[str] = set()
    expired: set[str] = set()
    reconsent: set[str] = set()
    transfer: dict[str, str] = {}
    cross_border: dict[str, str] = {}
    publication: str | None = None
    minor_alone = False
    last_withdrawal: datetime | None = None
    last_processing: datetime | None = None
    # Oldest first, so the newest valid consent names the purpose.
    ordered = facts.consents if len(facts.consents) < 2 \
        else sorted(facts.consents, key=_given_order)
    for consent in ordered:
        if consent.withdrawn_at is not None and consent.withdrawn_at <= now:
            withdrawn.update(consent.purposes)
            if consent.processing and (last_withdrawal is None
                                       or consent.withdrawn_at > last_withdrawal):
                last_withdrawal = consent.withdrawn_at
            continue
        if consent.processing and consent.given_at is not None:
            last_processing = consent.given_at
        if consent.valid_until is not None and consent.valid_until <= now:
            expired.update(consent.purposes)
            continue
        if consent.needs_reconsent_since is not None and consent.needs_reconsent_since <= now:
            reconsent.update(consent.purposes)
            continue
        if facts.minor and not consent.by_representative:
            minor_alone = True
            continue
        for purpose in consent.purposes:
            valid[purpose] = consent.id
        for recipient in consent.transfer_to:
            transfer[recipient] = consent.id
        for recipient in consent.cross_border_to:
            cross_border[recipient] = consent.id
        if consent.publication:
            publication = consent.id
    consented = valid.keys()
    return SubjectState(
        subject_id=facts.subject_id,
        destroyed=facts.destroyed,
        blocked=facts.blocked,
        blocked_categories=frozenset(facts.blocked_categories),
        destroyed_categories=frozenset(facts.destroyed_categories),
        retention_expired=frozenset(facts.retention_expired),
        consents=valid,
        withdrawn=frozenset(withdrawn - consented),
        expired=frozenset(expired - consented),
        reconsent=frozenset(reconsent - consented),
        transfer_consents=transfer,
        cross_border_consents=cross_border,
        publication_consent=publication,
        minor_without_representative=minor_alone,
        # A processing consent given after the last withdrawal ends the objection.
        processing_withdrawn=last_withdrawal is not None and (
            last_processing is None or last_processing < last_withdrawal),
        open_contract=facts.open_contract,
    )


def _given_order(consent: ConsentFact) -> tuple[bool, datetime | None, str]:
    return (consent.given_at is not None, consent.given_at, consent.id)


# ------------------------------------------------------------ compiled register


class _Purpose:
    """A purpose compiled for decisions: sets and ready-made reasons."""

    __slots__ = (
        "absent", "basis_reason", "categories", "consent_message", "consent_only",
        "consent_required", "contract_basis", "expired", "id", "law_basis", "minor",
        "no_obligation",
        "not_needed", "recipients", "reconsent", "retention_expired", "static_use",
        "withdrawn",
    )

    def __init__(self, purpose: Purpose, rules: DecisionRules, lang: Lang,
                 all_categories: Iterable[str]) -> None:
        self.id = purpose.id
        self.categories = frozenset(purpose.categories)
        self.recipients = frozenset(purpose.recipients)
        # Consent is needed when the register says so or the basis is consent
        # (the same rule the consent ledger applies when consent is given).
        # ``consent_required`` on a contract purpose means consent is collected too,
        # never that consent alone keeps it alive: while a contract with the
        # subject is open, the contract is the basis (Law 94-V Art. 8 p.2).
        self.consent_required = needs_consent(purpose)
        self.consent_only = rests_on_consent(purpose)
        self.contract_basis = purpose.basis.kind is BasisKind.CONTRACT
        # A law that requires the processing keeps it lawful whatever becomes of a
        # consent the policy also asks for (Law 94-V Art. 8 p.2, Art. 9).
        self.law_basis = purpose.basis.kind in (BasisKind.LEGAL_OBLIGATION,
                                                BasisKind.STATE_REQUEST)
        r = rules.reason
        p = purpose.id
        self.basis_reason: Reason | None = None
        self.static_use: Decision | None = None
        if not self.consent_only:
            self.basis_reason = r(ReasonCode.LEGAL_BASIS, lang, citation=purpose.basis.citation,
                                  ref=p, purpose=p, basis=purpose.basis.kind.value)
        if not self.consent_required or self.law_basis:
            assert self.basis_reason is not None
            self.static_use = Decision(True, (self.basis_reason,))
        consent = rules.reason(ReasonCode.CONSENT, lang, purpose=p)
        self.consent_message = consent.message, consent.citation
        self.absent = r(ReasonCode.CONSENT_ABSENT, lang, ref=p, purpose=p)
        self.withdrawn = r(ReasonCode.CONSENT_WITHDRAWN, lang, ref=p, purpose=p)
        self.expired = r(ReasonCode.CONSENT_EXPIRED, lang, ref=p, purpose=p)
        self.reconsent = r(ReasonCode.RECONSENT_REQUIRED, lang, ref=p, purpose=p)
        self.minor = r(ReasonCode.MINOR_WITHOUT_REPRESENTATIVE, lang, ref=p, purpose=p)
        self.no_obligation = r(ReasonCode.NO_OBLIGATION, lang, ref=p, purpose=p)
        self.retention_expired = r(
            ReasonCode.RETENTION_EXPIRED, lang, ref=p, purpose=p,
            citation=purpose.retention.citation if purpose.retention else None,
        )
        self.not_needed = {
            c: r(ReasonCode.CATEGORY_NOT_NEEDED, lang, ref=c, category=c, purpose=p)
            for c in all_categories if c not in self.categories
        }

    def consent_needed(self, state: SubjectState) -> bool:
        """Whether only a consent in force allows this purpose for the subject now."""
        if self.consent_only:
            return True
        if self.law_basis:
            return False
        return self.consent_required and not (self.contract_basis and state.open_contract)

    def consent_denial(self, state: SubjectState) -> Reason:
        """Why the consent this purpose needs is missing."""
        p = self.id
        if p in state.reconsent:
            return self.reconsent
        if p in state.withdrawn:
            return self.withdrawn
        if p in state.expired:
            return self.expired
        if state.minor_without_representative:
            return self.minor
        return self.absent

    def consent_reason(self, consent_id: str) -> Reason:
        message, citation = self.consent_message
        return Reason(ReasonCode.CONSENT, True, message, citation, consent_id)


class _Recipient:
    __slots__ = ("abroad", "categories", "country", "id", "not_abroad", "not_for_recipient",
                 "role")

    def __init__(self, recipient: Recipient, rules: DecisionRules, lang: Lang,
                 all_categories: Iterable[str]) -> None:
        self.id = recipient.id
        self.role = recipient.role
        # A recipient whose country the policy does not state may be abroad: a
        # transfer to it needs what a cross-border transfer needs (Law 94-V Art. 16).
        self.country = recipient.country or "not stated"
        self.abroad = recipient.may_be_abroad
        # No categories listed: the recipient gets what the purpose needs.
        self.categories = frozenset(recipient.categories) if recipient.categories else None
        self.not_abroad = rules.reason(ReasonCode.RECIPIENT_NOT_ABROAD, lang, ref=recipient.id,
                                       recipient=recipient.id)
        self.not_for_recipient = {
            c: rules.reason(ReasonCode.CATEGORY_NOT_FOR_RECIPIENT, lang, ref=c, category=c,
                            recipient=recipient.id)
            for c in all_categories
            if self.categories is not None and c not in self.categories
        }


class _Route:
    """A (purpose, recipient) pair compiled: what a transfer along it needs."""

    __slots__ = (
        "cross_border_allow", "cross_border_denial",
        "cross_border_message", "declared", "needs_cross_border_consent",
        "needs_transfer_consent", "not_declared", "purpose", "recipient", "static",
        "static_reasons", "transfer_allow", "transfer_denial", "transfer_message",
    )

    def __init__(self, purpose: Purpose, p: _Purpose, recipient: Recipient, rcp: _Recipient,
                 rules: DecisionRules, lang: Lang) -> None:
        r = rules.reason
        self.purpose = p
        self.recipient = rcp
        self.declared = recipient.id in p.recipients
        self.not_declared = r(ReasonCode.RECIPIENT_NOT_DECLARED, lang, ref=recipient.id,
                              recipient=recipient.id, purpose=purpose.id)
        # Law 94-V Art. 8: a consent-based purpose whose PD go to a third party
        # needs the subject's consent to that transfer. A processor acting on
        # the operator's instruction is not a third party (seed 001 p.2.3).
        # A recipient whose own basis is the contract with the subject (payment
        # systems, beneficiaries: seed 000 p.2.10), the law or a state request gets
        # the data for the purposes that name it without a separate transfer
        # consent; only a recipient resting on consent needs one (Art. 8 p.4). A
        # processor (role, or a processing agreement with the operator) needs none.
        is_processor = recipient.is_processor
        self.needs_transfer_consent = (recipient.basis.kind is BasisKind.CONSENT
                                       and not is_processor)
        self.transfer_allow: Reason | None = None
        if is_processor:
            self.transfer_allow = r(ReasonCode.PROCESSOR, lang, ref=recipient.id,
                                    citation=recipient.basis.citation, recipient=recipient.id)
        elif not self.needs_transfer_consent:
            basis = recipient.basis
            self.transfer_allow = r(ReasonCode.RECIPIENT_BASIS, lang, ref=recipient.id,
                                    citation=basis.citation, recipient=recipient.id,
                                    basis=basis.kind.value)
        consent = r(ReasonCode.TRANSFER_CONSENT, lang, recipient=recipient.id)
        self.transfer_message = consent.message, consent.citation
        self.transfer_denial = r(ReasonCode.TRANSFER_NOT_CONSENTED, lang, ref=recipient.id,
                                 recipient=recipient.id)
        cbb = recipient.cross_border_basis
        self.needs_cross_border_consent = rcp.abroad and (
            cbb is None or cbb.kind not in _CROSS_BORDER_WITHOUT_CONSENT)
        self.cross_border_allow: Reason | None = None
        if rcp.abroad and cbb is not None and not self.needs_cross_border_consent:
            self.cross_border_allow = r(ReasonCode.CROSS_BORDER_BASIS, lang, ref=recipient.id,
                                        citation=cbb.citation, country=rcp.country,
                                        basis=cbb.kind.value)
        cb_consent = r(ReasonCode.CROSS_BORDER_CONSENT, lang, recipient=recipient.id,
                       country=rcp.country)
        self.cross_border_message = cb_consent.message, cb_consent.citation
        self.cross_border_denial = r(ReasonCode.CROSS_BORDER_NOT_ALLOWED, lang,
                                     ref=recipient.id, recipient=recipient.id,
                                     country=rcp.country)
        # Reasons that hold whoever the subject is, in order.
        static: list[Reason] = []
        if p.basis_reason is not None:
            static.append(p.basis_reason)
        if self.transfer_allow is not None:
            static.append(self.transfer_allow)
        if self.cross_border_allow is not None:
            static.append(self.cross_border_allow)
        self.static_reasons = tuple(static)
        self.static: Decision | None = None
        if (self.declared and not p.consent_required and not self.needs_transfer_consent
                and not self.needs_cross_border_consent):
            self.static = Decision(True, self.static_reasons)


@dataclass(frozen=True, eq=False)
class DecisionIndex:
    """A register compiled for decisions, in one language. Build once per version."""

    operator_id: str
    lang: Lang
    purposes: Mapping[str, _Purpose]
    recipients: Mapping[str, _Recipient]
    routes: Mapping[tuple[str, str], _Route]
    categories: frozenset[str]
    subject_reasons: Mapping[ReasonCode, Reason]
    blocked: Mapping[str, Reason]
    destroyed: Mapping[str, Reason]
    publication_allow: tuple[str, str]
    publication_denial: Reason

    @classmethod
    def build(cls, register: Register, rules: DecisionRules, lang: Lang = Lang.EN) -> DecisionIndex:
        categories = frozenset(register.categories)
        purposes = {p.id: _Purpose(p, rules, lang, categories)
                    for p in register.purposes.values()}
        recipients = {r.id: _Recipient(r, rules, lang, categories)
                      for r in register.recipients.values()}
        routes = {
            (p.id, r.id): _Route(p, purposes[p.id], r, recipients[r.id], rules, lang)
            for p in register.purposes.values() for r in register.recipients.values()
        }
        subject_reasons = {
            code: rules.reason(code, lang)
            for code in (ReasonCode.SUBJECT_UNKNOWN, ReasonCode.SUBJECT_DESTROYED,
                         ReasonCode.SUBJECT_BLOCKED, ReasonCode.STATE_UNVERIFIED)
        }
        publication = rules.reason(ReasonCode.PUBLICATION_CONSENT, lang)
        return cls(
            operator_id=register.operator.id,
            lang=lang,
            purposes=purposes,
            recipients=recipients,
            routes=routes,
            categories=categories,
            subject_reasons=subject_reasons,
            blocked={c: rules.reason(ReasonCode.CATEGORY_BLOCKED, lang, ref=c, category=c)
                     for c in categories},
            destroyed={c: rules.reason(ReasonCode.CATEGORY_DESTROYED, lang, ref=c, category=c)
                       for c in categories},
            publication_allow=(publication.message, publication.citation),
            publication_denial=rules.reason(ReasonCode.PUBLICATION_NOT_CONSENTED, lang),
        )

    # --- input checks: what the caller got wrong is an InputError, not a denial

    def purpose(self, purpose_id: str | None) -> _Purpose:
        if purpose_id is None:
            raise InputError("this action needs a purpose", field="purpose")
        found = self.purposes.get(purpose_id)
        if found is None:
            raise InputError(f"unknown purpose {purpose_id!r} in the register of "
                             f"{self.operator_id}", field="purpose")
        return found

    def recipient(self, recipient_id: str | None) -> _Recipient:
        if recipient_id is None:
            raise InputError("this action needs a recipient", field="recipient")
        found = self.recipients.get(recipient_id)
        if found is None:
            raise InputError(f"unknown recipient {recipient_id!r} in the register of "
                             f"{self.operator_id}", field="recipient")
        return found

    def check_categories(self, categories: Sequence[str]) -> None:
        if not categories:
            raise InputError("name at least one category", field="categories")
        if not self.categories.issuperset(categories):
            unknown = next(c for c in categories if c not in self.categories)
            raise InputError(f"unknown category {unknown!r} in the register of "
                             f"{self.operator_id}", field="categories")

    def check(self, action: Action) -> None:
        """Raise the InputError :func:`decide` would raise for this action, if any."""
        kind = action.kind
        if kind is not ActionKind.PUBLISH:
            self.purpose(action.purpose)
            if kind is not ActionKind.USE:
                self.recipient(action.recipient)
        self.check_categories(action.categories)


# ------------------------------------------------------------ deciding


def decide(index: DecisionIndex, state: SubjectState, action: Action) -> Decision:
    """Allow or deny ``action`` on the subject in ``state``, with the reasons."""
    kind = action.kind
    if kind is ActionKind.USE:
        return _use(index, state, index.purpose(action.purpose), action.categories)
    if kind is ActionKind.TRANSFER or kind is ActionKind.CROSS_BORDER:
        p = index.purpose(action.purpose)
        rcp = index.recipient(action.recipient)
        return _transfer(index, state, index.routes[p.id, rcp.id], action.categories,
                         kind is ActionKind.CROSS_BORDER)
    if kind is ActionKind.PUBLISH:
        return _publish(index, state, action.categories)
    raise InputError(f"unknown action {kind!r}", field="action")  # pragma: no cover


def decide_many(
    index: DecisionIndex, states: Mapping[str, SubjectState], actions: Iterable[Action]
) -> list[Decision]:
    """Decide a batch; a subject without a state is unknown (denied)."""
    out: list[Decision] = []
    append = out.append
    get = states.get
    for action in actions:
        state = get(action.subject_id)
        if state is None:
            state = unknown_subject(action.subject_id)
        append(decide(index, state, action))
    return out


def _use(index: DecisionIndex, state: SubjectState, p: _Purpose,
         categories: Sequence[str]) -> Decision:
    if not state.restricted and categories and p.categories.issuperset(categories):
        static = p.static_use
        if static is not None:
            return static
        if not p.consent_needed(state):
            assert p.basis_reason is not None
            return Decision(True, (p.basis_reason,))
        consent_id = state.consents.get(p.id)
        if consent_id is not None:
            return Decision(True, (p.consent_reason(consent_id),))
        return Decision(False, (p.consent_denial(state),))
    index.check_categories(categories)
    denials = _subject_denials(index, state)
    if denials is not None:
        return denials
    reasons = _common_denials(index, state, p, categories)
    allow: Reason | None = p.basis_reason
    if p.consent_needed(state):
        consent_id = state.consents.get(p.id)
        if consent_id is None:
            reasons.append(p.consent_denial(state))
        else:
            allow = p.consent_reason(consent_id)
    if reasons:
        return Decision(False, tuple(reasons))
    assert allow is not None
    return Decision(True, (allow,))


def _transfer(index: DecisionIndex, state: SubjectState, route: _Route,
              categories: Sequence[str], cross_border_asked: bool) -> Decision:
    p = route.purpose
    rcp = route.recipient
    reasons: list[Reason]
    if (not state.restricted and route.declared and categories
            and p.categories.issuperset(categories)
            and (rcp.categories is None or rcp.categories.issuperset(categories))
            and (rcp.abroad or not cross_border_asked)):
        static = route.static
        if static is not None:
            return static
        reasons = []
    else:
        index.check_categories(categories)
        denials = _subject_denials(index, state)
        if denials is not None:
            return denials
        reasons = _common_denials(index, state, p, categories)
        if not route.declared:
            reasons.append(route.not_declared)
        if rcp.categories is not None:
            reasons.extend(rcp.not_for_recipient[c] for c in categories
                           if c in rcp.not_for_recipient)
        if cross_border_asked and not rcp.abroad:
            reasons.append(rcp.not_abroad)
    # Allowing reasons in order: the purpose, the transfer, the border.
    allow: list[Reason] = []
    if p.consent_needed(state):
        consent_id = state.consents.get(p.id)
        if consent_id is None:
            reasons.append(p.consent_denial(state))
        else:
            allow.append(p.consent_reason(consent_id))
    elif p.basis_reason is not None:
        allow.append(p.basis_reason)
    if route.transfer_allow is not None:
        allow.append(route.transfer_allow)
    if route.needs_transfer_consent:
        consent_id = state.transfer_consents.get(rcp.id) or state.transfer_consents.get(ALL)
        if consent_id is None:
            reasons.append(p.minor if state.minor_without_representative
                           else route.transfer_denial)
        else:
            message, citation = route.transfer_message
            allow.append(Reason(ReasonCode.TRANSFER_CONSENT, True, message, citation,
                                consent_id))
    if route.cross_border_allow is not None:
        allow.append(route.cross_border_allow)
    if route.needs_cross_border_consent:
        consent_id = (state.cross_border_consents.get(rcp.id)
                      or state.cross_border_consents.get(ALL))
        if consent_id is None:
            reasons.append(route.cross_border_denial)
        else:
            message, citation = route.cross_border_message
            allow.append(Reason(ReasonCode.CROSS_BORDER_CONSENT, True, message, citation,
                                consent_id))
    if reasons:
        return Decision(False, tuple(dict.fromkeys(reasons)))
    return Decision(True, tuple(allow))


def _publish(index: DecisionIndex, state: SubjectState, categories: Sequence[str]) -> Decision:
    index.check_categories(categories)
    if not state.restricted:
        reasons: list[Reason] = []
    else:
        denials = _subject_denials(index, state)
        if denials is not None:
            return denials
        reasons = _category_denials(index, state, categories)
    consent_id = state.publication_consent
    if consent_id is None:
        reasons.append(index.publication_denial)
    if reasons:
        return Decision(False, tuple(reasons))
    assert consent_id is not None
    message, citation = index.publication_allow
    return Decision(True, (Reason(ReasonCode.PUBLICATION_CONSENT, True, message, citation,
                                  consent_id),))


def _subject_denials(index: DecisionIndex, state: SubjectState) -> Decision | None:
    """A subject unknown, unverified or destroyed: that one reason says it all."""
    if not state.known:
        return Decision(False, (index.subject_reasons[ReasonCode.SUBJECT_UNKNOWN],))
    if state.unverified:
        return Decision(False, (index.subject_reasons[ReasonCode.STATE_UNVERIFIED],))
    if state.destroyed:
        return Decision(False, (index.subject_reasons[ReasonCode.SUBJECT_DESTROYED],))
    return None


def _common_denials(index: DecisionIndex, state: SubjectState, p: _Purpose,
                    categories: Sequence[str]) -> list[Reason]:
    reasons = _category_denials(index, state, categories)
    reasons.extend(p.not_needed[c] for c in categories if c in p.not_needed)
    if p.id in state.retention_expired:
        reasons.append(p.retention_expired)
    if p.contract_basis and state.processing_withdrawn and not state.open_contract:
        reasons.append(p.no_obligation)
    return reasons


def _category_denials(index: DecisionIndex, state: SubjectState,
                      categories: Sequence[str]) -> list[Reason]:
    reasons: list[Reason] = []
    if state.blocked:
        reasons.append(index.subject_reasons[ReasonCode.SUBJECT_BLOCKED])
    if state.blocked_categories:
        reasons.extend(index.blocked[c] for c in categories if c in state.blocked_categories)
    if state.destroyed_categories:
        reasons.extend(index.destroyed[c] for c in categories
                       if c in state.destroyed_categories)
    return reasons
