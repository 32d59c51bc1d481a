"""A subject's state as decisions see it: stored facts (consents, blocks, destruction,
retention, contracts, age) reduced once per subject to frozensets and flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from derbes.consent.model.consent import ScopeKind

# ------------------------------------------------------------ subject state


@dataclass(frozen=True, slots=True)
class SubjectState:
    """What the decision point needs to know of one subject, at one time.

    ``consents`` maps each purpose with a valid consent to that consent's id;
    ``withdrawn`` / ``expired`` / ``reconsent`` name purposes whose consent was
    withdrawn, ran out, or needs renewing after a policy change (and has no
    valid one beside). Transfer and cross-border consents map a recipient (or
    :data:`ALL`) to the consent id. ``retention_expired`` names purposes whose
    retention period is over (the retention clocks fill it).
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


@dataclass(frozen=True)
class ConsentTimes:
    """When a stored consent was given, runs out (its term; its expiry), was withdrawn,
    and since when it needs renewing (a widened register)."""

    given_at: datetime | None = None
    valid_until: datetime | None = None
    expired_at: datetime | None = None
    withdrawn_at: datetime | None = None
    needs_reconsent_since: datetime | None = None


def consent_fact(
    consent_id: str,
    scope: ScopeKind | str,
    purposes: Sequence[str],
    recipients: Sequence[str],
    times: ConsentTimes,
    *,
    by_representative: bool = False,
) -> ConsentFact:
    """A stored consent of any scope as a :class:`ConsentFact` (cookies grant nothing here)."""
    kind = ScopeKind(scope)
    ends = [t for t in (times.valid_until, times.expired_at) if t is not None]
    return ConsentFact(
        id=consent_id,
        processing=kind is ScopeKind.PROCESSING,
        purposes=tuple(purposes) if kind in (ScopeKind.PROCESSING, ScopeKind.MARKETING) else (),
        transfer_to=tuple(recipients) if kind is ScopeKind.THIRD_PARTY_TRANSFER else (),
        cross_border_to=tuple(recipients) if kind is ScopeKind.CROSS_BORDER_TRANSFER else (),
        publication=kind is ScopeKind.PUBLICATION,
        by_representative=by_representative,
        given_at=times.given_at,
        valid_until=min(ends) if ends else None,
        withdrawn_at=times.withdrawn_at,
        needs_reconsent_since=times.needs_reconsent_since,
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


