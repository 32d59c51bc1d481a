"""The register compiled for decisions (:class:`DecisionIndex`), and :func:`decide`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from derbes.consent.model.consent import needs_consent, rests_on_consent
from derbes.decisions.model.reasons import (
    ALL,
    Action,
    ActionKind,
    Decision,
    DecisionRules,
    Reason,
    ReasonCode,
)
from derbes.decisions.model.state import SubjectState, unknown_subject
from derbes.errors import InputError
from derbes.platform.labels import Lang
from derbes.register.model.register import (
    BasisKind,
    CrossBorderBasisKind,
    Purpose,
    Recipient,
    Register,
)

# Art. 16: these bases let PD cross the border without the subject's consent.
_CROSS_BORDER_WITHOUT_CONSENT = frozenset({
    CrossBorderBasisKind.ADEQUATE_PROTECTION,
    CrossBorderBasisKind.INTERNATIONAL_TREATY,
    CrossBorderBasisKind.LAW,
    CrossBorderBasisKind.CONTRACT_PERFORMANCE,
})

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

    # The look-ups run once or twice per decision: the known id returns at once,
    # and only a miss pays for working out which error it is.

    def purpose(self, purpose_id: str | None) -> _Purpose:
        if purpose_id is not None and (found := self.purposes.get(purpose_id)) is not None:
            return found
        raise self._not_in_register("purpose", purpose_id)

    def recipient(self, recipient_id: str | None) -> _Recipient:
        if recipient_id is not None and (found := self.recipients.get(recipient_id)) is not None:
            return found
        raise self._not_in_register("recipient", recipient_id)

    def _not_in_register(self, field: str, wanted: str | None) -> InputError:
        if wanted is None:
            return InputError(f"this action needs a {field}", field=field)
        return InputError(f"unknown {field} {wanted!r} in the register of "
                          f"{self.operator_id}", field=field)

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
    """Decide a batch; a subject without a state is unknown (denied). An invalid action
    fails the batch with an :class:`InputError` naming it by position (``actions[3].purpose``).
    """
    out: list[Decision] = []
    append = out.append
    get = states.get
    i = 0
    try:
        for i, action in enumerate(actions):  # noqa: B007 - i names a failing action
            state = get(action.subject_id)
            append(decide(index, state if state is not None
                          else unknown_subject(action.subject_id), action))
    except InputError as exc:
        raise InputError(exc.message, field=f"actions[{i}].{exc.field or 'action'}") from None
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
