"""What changed between two versions of a processing register, and what it means.

:func:`diff` compares an old and a new :class:`~derbes.register.model.register.Register`
and returns one :class:`Change` per fact that changed. Each change says

- its **kind** (:class:`ChangeKind`, a stable name such as
  ``category_added_to_purpose``),
- its **effect** on processing (:class:`Effect`): it *widens* processing (more
  PD, more purposes, more recipients, abroad, longer, fewer ways for the
  subject to say no), *narrows* it, or is *neutral* (wording, contacts,
  channels, lint waivers),
- the **path** in the YAML (``purposes[2].categories[4]``) and the **side** it
  points into (the new file for what was added or changed, the old file for
  what was removed),
- the **purposes** it affects, and
- for a widening change, the **consent scopes that need re-consent**
  (:class:`ReconsentScope`): processing for purpose X; third-party transfer to
  recipient R for purpose X; cross-border transfer (to recipient R, or of the
  database itself); cookie category C.

Silence never counts as consent (Law 94-V Art. 8; seed 004 p.10.5 promised the
opposite, lint DRB012): a subject who does not answer the notice of a
widening change has not agreed to it. ``register/service/policy_change.py`` therefore
marks every consent that a re-consent scope touches with
``needs_reconsent_since`` and appends a ``reconsent_required`` ledger event.

What a re-consent scope touches, and what the mark means
--------------------------------------------------------
A consent (a row of the consents projection, ``consent/model/consent.py``) has one
scope kind and names purposes, recipients or cookie categories. A re-consent
scope of this module touches the active consents below (``*`` among a
consent's recipients stands for all of them):

======================================  =========================================
re-consent scope                        consents it marks
======================================  =========================================
processing, purpose X                   scope processing or marketing naming X
third-party transfer to R (purpose X)   scope third_party_transfer naming R or ``*``
cross-border transfer to R (purpose X)  scope cross_border_transfer naming R or ``*``
cross-border transfer, no recipient     every cross_border_transfer consent (the
                                        database or a copy of it goes abroad)
cookie category C                       scope cookies naming C
======================================  =========================================

Transfer consents name recipients, not purposes, so the purpose of a transfer
scope says why the scope is asked again, not which consents it marks.

A consent marked ``needs_reconsent_since`` **does not count as consent**,
from that instant, for anything it covers, until the subject gives a fresh
consent (a new record under the new policy version); the decision point denies
any action that would rest on it. The mark is per consent record, and a record
is one act of the subject given on one notice: when a processing consent names
purposes X and Y and only X widened, the whole record stops counting. That is
deliberately on the side of the subject (Art. 8: consent must cover what is
actually done); the ``reconsent_required`` ledger event names exactly which
scopes and which changes caused the mark, so the notice asking the subject
again can say precisely what changed. A purpose, recipient or cookie that is
*new* needs no mark: no existing consent names it, and no consent is ever
presumed for it; only a consent to every recipient (``*``) is marked, since it
would otherwise cover the new recipient silently.

Changes that widen processing on a basis other than consent (a new purpose on
a legal obligation, a purpose that stops needing consent) are reported as
widening with no re-consent scope: there is no consent to ask again, but the
subject must be told.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeVar

from derbes.consent.model.consent import ALL_RECIPIENTS, Consent, ScopeKind, needs_consent
from derbes.platform.labels import Labels
from derbes.register.model.register import (
    BasisKind,
    Cookie,
    CookieCategory,
    CookieParty,
    CrossBorderBasis,
    CrossBorderBasisKind,
    LegalBasis,
    Purpose,
    Recipient,
    RecipientRole,
    Register,
    Retention,
)

KZ = "KZ"

ART_8 = "Law 94-V Art. 8"
ART_8_CONTENT = "Law 94-V Art. 8; Rules No. 395/НҚ (content of consent)"
ART_8_SILENCE = "Law 94-V Art. 8 (silence is not consent)"
ART_9 = "Law 94-V Art. 9"
ART_12 = "Law 94-V Art. 12 p.2"
ART_16 = "Law 94-V Art. 16"
ART_24 = "Law 94-V Art. 24"
COOKIES = "seed 002 p.8.1 (cookies)"


class Effect(StrEnum):
    WIDENS = "widens"
    NARROWS = "narrows"
    NEUTRAL = "neutral"


class Side(StrEnum):
    """Which file a change's path points into."""

    OLD = "old"
    NEW = "new"


class ChangeKind(StrEnum):
    # operator
    OPERATOR_CHANGED = "operator_changed"  # another legal person (id or BIN)
    OPERATOR_DETAILS_CHANGED = "operator_details_changed"
    PRIMARY_DATABASE_MOVED = "primary_database_moved"
    COPIES_ABROAD_ADDED = "copies_abroad_added"
    COPIES_ABROAD_REMOVED = "copies_abroad_removed"
    POLICY_CHANGED = "policy_changed"
    # declarations of categories, subject categories, tasks
    DEFINITION_ADDED = "definition_added"
    DEFINITION_REMOVED = "definition_removed"
    DEFINITION_CHANGED = "definition_changed"
    # purposes
    PURPOSE_ADDED = "purpose_added"
    PURPOSE_REMOVED = "purpose_removed"
    CATEGORY_ADDED_TO_PURPOSE = "category_added_to_purpose"
    CATEGORY_REMOVED_FROM_PURPOSE = "category_removed_from_purpose"
    SUBJECTS_ADDED_TO_PURPOSE = "subjects_added_to_purpose"
    SUBJECTS_REMOVED_FROM_PURPOSE = "subjects_removed_from_purpose"
    RECIPIENT_ADDED_TO_PURPOSE = "recipient_added_to_purpose"
    RECIPIENT_REMOVED_FROM_PURPOSE = "recipient_removed_from_purpose"
    SOURCE_ADDED_TO_PURPOSE = "source_added_to_purpose"
    SOURCE_REMOVED_FROM_PURPOSE = "source_removed_from_purpose"
    METHODS_CHANGED = "methods_changed"
    BASIS_CHANGED = "basis_changed"
    CONSENT_REQUIREMENT_CHANGED = "consent_requirement_changed"
    RETENTION_LENGTHENED = "retention_lengthened"
    RETENTION_SHORTENED = "retention_shortened"
    RETENTION_TRIGGER_CHANGED = "retention_trigger_changed"
    RETENTION_OUTCOME_CHANGED = "retention_outcome_changed"
    AUTOMATED_DECISION_INTRODUCED = "automated_decision_introduced"
    AUTOMATED_DECISION_DROPPED = "automated_decision_dropped"
    DATA_LIST_OPENED = "data_list_opened"  # exhaustive: true -> false
    DATA_LIST_CLOSED = "data_list_closed"  # exhaustive: false -> true
    PURPOSE_TASK_CHANGED = "purpose_task_changed"
    CONSENT_BUNDLING_CHANGED = "consent_bundling_changed"
    # recipients
    RECIPIENT_ADDED = "recipient_added"
    RECIPIENT_REMOVED = "recipient_removed"
    RECIPIENT_BECAME_CROSS_BORDER = "recipient_became_cross_border"
    RECIPIENT_NO_LONGER_CROSS_BORDER = "recipient_no_longer_cross_border"
    RECIPIENT_COUNTRY_CHANGED = "recipient_country_changed"  # abroad -> another state
    CATEGORY_ADDED_TO_RECIPIENT = "category_added_to_recipient"
    CATEGORY_REMOVED_FROM_RECIPIENT = "category_removed_from_recipient"
    RECIPIENT_ROLE_CHANGED = "recipient_role_changed"
    RECIPIENT_ACTIONS_ADDED = "recipient_actions_added"
    RECIPIENT_ACTIONS_REMOVED = "recipient_actions_removed"
    RECIPIENT_BASIS_CHANGED = "recipient_basis_changed"
    CROSS_BORDER_BASIS_CHANGED = "cross_border_basis_changed"
    # cookies
    COOKIE_ADDED = "cookie_added"
    COOKIE_REMOVED = "cookie_removed"
    COOKIE_LIFETIME_LENGTHENED = "cookie_lifetime_lengthened"
    COOKIE_LIFETIME_SHORTENED = "cookie_lifetime_shortened"
    COOKIE_CATEGORY_CHANGED = "cookie_category_changed"
    COOKIE_PARTY_CHANGED = "cookie_party_changed"
    COOKIE_PROVIDER_CHANGED = "cookie_provider_changed"
    # consent setup, minors, the rest
    SEPARATE_SCOPE_ADDED = "separate_scope_added"
    SEPARATE_SCOPE_REMOVED = "separate_scope_removed"
    CONSENT_CHANNELS_CHANGED = "consent_channels_changed"
    MINORS_CHANGED = "minors_changed"
    REQUEST_CHANNELS_CHANGED = "request_channels_changed"
    REGIME_OVERRIDES_CHANGED = "regime_overrides_changed"
    WAIVERS_CHANGED = "waivers_changed"
    LIMITS_CHANGED = "limits_changed"
    TEXT_CHANGED = "text_changed"


# An added thing and its removal are the same change read backwards: diff(A, B)
# reports one where diff(B, A) reports the other, with the opposite effect.
INVERSE: Mapping[ChangeKind, ChangeKind] = {
    a: b
    for x, y in (
        (ChangeKind.COPIES_ABROAD_ADDED, ChangeKind.COPIES_ABROAD_REMOVED),
        (ChangeKind.DEFINITION_ADDED, ChangeKind.DEFINITION_REMOVED),
        (ChangeKind.PURPOSE_ADDED, ChangeKind.PURPOSE_REMOVED),
        (ChangeKind.CATEGORY_ADDED_TO_PURPOSE, ChangeKind.CATEGORY_REMOVED_FROM_PURPOSE),
        (ChangeKind.SUBJECTS_ADDED_TO_PURPOSE, ChangeKind.SUBJECTS_REMOVED_FROM_PURPOSE),
        (ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE),
        (ChangeKind.SOURCE_ADDED_TO_PURPOSE, ChangeKind.SOURCE_REMOVED_FROM_PURPOSE),
        (ChangeKind.RETENTION_LENGTHENED, ChangeKind.RETENTION_SHORTENED),
        (ChangeKind.AUTOMATED_DECISION_INTRODUCED, ChangeKind.AUTOMATED_DECISION_DROPPED),
        (ChangeKind.DATA_LIST_OPENED, ChangeKind.DATA_LIST_CLOSED),
        (ChangeKind.RECIPIENT_ADDED, ChangeKind.RECIPIENT_REMOVED),
        (ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, ChangeKind.RECIPIENT_NO_LONGER_CROSS_BORDER),
        (ChangeKind.CATEGORY_ADDED_TO_RECIPIENT, ChangeKind.CATEGORY_REMOVED_FROM_RECIPIENT),
        (ChangeKind.RECIPIENT_ACTIONS_ADDED, ChangeKind.RECIPIENT_ACTIONS_REMOVED),
        (ChangeKind.COOKIE_ADDED, ChangeKind.COOKIE_REMOVED),
        (ChangeKind.COOKIE_LIFETIME_LENGTHENED, ChangeKind.COOKIE_LIFETIME_SHORTENED),
        (ChangeKind.SEPARATE_SCOPE_ADDED, ChangeKind.SEPARATE_SCOPE_REMOVED),
    )
    for a, b in ((x, y), (y, x))
}


@dataclass(frozen=True, order=True)
class ReconsentScope:
    """One consent scope the subject must be asked for again.

    ``purpose`` is None for a cookie category and for a cross-border transfer
    of the database itself (``copies_abroad``, ``primary_database_country``);
    ``recipient`` is set for transfer scopes (None: the database itself).
    """

    kind: ScopeKind
    purpose: str | None = None
    recipient: str | None = None
    cookie_category: str | None = None

    def describe(self) -> str:
        if self.kind is ScopeKind.PROCESSING:
            return f"processing for purpose {self.purpose}"
        if self.kind is ScopeKind.THIRD_PARTY_TRANSFER:
            return f"third-party transfer to recipient {self.recipient} (purpose {self.purpose})"
        if self.kind is ScopeKind.CROSS_BORDER_TRANSFER:
            if self.recipient is None:
                return "cross-border transfer (the database or a copy of it abroad)"
            where = f" (purpose {self.purpose})" if self.purpose else ""
            return f"cross-border transfer to recipient {self.recipient}{where}"
        return f"cookie category {self.cookie_category}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind.value,
            "purpose": self.purpose,
            "recipient": self.recipient,
            "cookie_category": self.cookie_category,
            "description": self.describe(),
        }


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    effect: Effect
    path: str  # dotted YAML path, in the file named by ``side``
    side: Side
    explanation: str
    citation: str | None = None
    item: str | None = None  # the id / name / value added, removed or changed
    purposes: tuple[str, ...] = ()
    reconsent: tuple[ReconsentScope, ...] = ()
    before: str | None = None
    after: str | None = None

    @property
    def needs_reconsent(self) -> bool:
        return bool(self.reconsent)


@dataclass(frozen=True)
class RegisterDiff:
    operator_id: str
    old_version: str
    new_version: str
    changes: tuple[Change, ...] = field(default_factory=tuple)

    @property
    def empty(self) -> bool:
        return not self.changes

    @property
    def widens(self) -> bool:
        return any(c.effect is Effect.WIDENS for c in self.changes)

    @property
    def narrows(self) -> bool:
        return any(c.effect is Effect.NARROWS for c in self.changes)

    @property
    def reconsent_scopes(self) -> tuple[ReconsentScope, ...]:
        return tuple(sorted({s for c in self.changes for s in c.reconsent}, key=_scope_key))

    @property
    def reconsent_required(self) -> bool:
        return any(c.reconsent for c in self.changes)

    @property
    def reconsent_purposes(self) -> tuple[str, ...]:
        """Purposes whose consents must be asked again (transfer scopes included)."""
        return tuple(sorted({s.purpose for s in self.reconsent_scopes if s.purpose}))

    @property
    def new_purposes(self) -> tuple[str, ...]:
        return tuple(c.item for c in self.changes
                     if c.kind is ChangeKind.PURPOSE_ADDED and c.item is not None)

    def of_effect(self, effect: Effect) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.effect is effect)

    def summary(self) -> str:
        """One sentence for a DPO: does this version widen processing, and for what."""
        if self.empty:
            return "no changes"
        parts: list[str] = []
        if self.reconsent_required:
            fresh = set(self.new_purposes)
            again = [p for p in self.reconsent_purposes if p not in fresh]
            asks: list[str] = []
            if again:
                asks.append(f"purposes {', '.join(again)}")
            asks += [s.describe() for s in self.reconsent_scopes if s.purpose is None]
            text = "widens processing"
            if asks:
                text += f": re-consent required for {'; '.join(asks)}"
            new_asked = [p for p in self.reconsent_purposes if p in fresh]
            if new_asked:
                text += f"; new consent needed for new purposes {', '.join(new_asked)}"
            parts.append(text + " (silence is not consent)")
        quiet = [c for c in self.of_effect(Effect.WIDENS) if not c.reconsent]
        if quiet:
            label = "also widens" if parts else "widens processing"
            parts.append(
                f"{label} without re-consent ({len(quiet)} change(s) on a basis other "
                "than consent or for new subjects only): subjects must be notified"
            )
        if not parts:
            if self.narrows:
                parts.append("narrows processing only: no re-consent needed")
            else:
                parts.append("neutral changes only (wording, contacts, settings): "
                             "no re-consent needed")
        counts = {e: len(self.of_effect(e)) for e in Effect}
        tally = ", ".join(f"{n} {e.value}" for e, n in counts.items() if n)
        return f"{'; '.join(parts)} [{tally}]"


def _scope_key(scope: ReconsentScope) -> tuple[str, str, str, str]:
    return (
        scope.kind.value,
        scope.purpose or "",
        scope.recipient or "",
        scope.cookie_category or "",
    )


# ---------------------------------------------------------------- consent needs

def purpose_needs_consent(purpose: Purpose) -> bool:
    """Processing for ``purpose`` rests on consent (the rule of ``consent/model/consent.py``)."""
    return needs_consent(purpose)


def transfer_needs_consent(purpose: Purpose, recipient: Recipient) -> bool:
    """A disclosure to ``recipient`` for ``purpose`` rests on the subject's consent.

    The decision point's rule (``decisions/model.py``): the purpose needs consent,
    or the recipient's own basis is consent, and the recipient is an independent
    third party; a processor acts on the operator's instruction (seed 001 p.2.3).
    """
    if recipient.role is RecipientRole.PROCESSOR:
        return False
    return needs_consent(purpose) or recipient.basis.kind is BasisKind.CONSENT


def cross_border_needs_consent(recipient: Recipient) -> bool:
    """A transfer abroad rests on consent unless another Art. 16 basis is stated."""
    if not recipient.cross_border:
        return False
    basis = recipient.cross_border_basis
    return basis is None or basis.kind is CrossBorderBasisKind.CONSENT


def cookie_needs_consent(category: CookieCategory) -> bool:
    return category is not CookieCategory.STRICTLY_NECESSARY


def _processing(purpose: Purpose) -> tuple[ReconsentScope, ...]:
    if purpose_needs_consent(purpose):
        return (ReconsentScope(ScopeKind.PROCESSING, purpose=purpose.id),)
    return ()


def _transfer(purpose: Purpose, recipient: Recipient) -> tuple[ReconsentScope, ...]:
    out: list[ReconsentScope] = []
    if transfer_needs_consent(purpose, recipient):
        out.append(
            ReconsentScope(ScopeKind.THIRD_PARTY_TRANSFER, purpose=purpose.id,
                           recipient=recipient.id)
        )
    out.extend(_abroad(purpose, recipient))
    return tuple(out)


def _abroad(purpose: Purpose, recipient: Recipient) -> tuple[ReconsentScope, ...]:
    if cross_border_needs_consent(recipient):
        return (
            ReconsentScope(ScopeKind.CROSS_BORDER_TRANSFER, purpose=purpose.id,
                           recipient=recipient.id),
        )
    return ()


def _cookie(category: CookieCategory) -> tuple[ReconsentScope, ...]:
    if cookie_needs_consent(category):
        return (ReconsentScope(ScopeKind.COOKIES, cookie_category=category.value),)
    return ()


_DATABASE_ABROAD = ReconsentScope(ScopeKind.CROSS_BORDER_TRANSFER)


def every_scope(register: Register) -> tuple[ReconsentScope, ...]:
    """Every consent scope the register can rest on (a change of operator touches all)."""
    out: list[ReconsentScope] = []
    for purpose in register.purposes.values():
        out.extend(_processing(purpose))
        for rid in purpose.recipients:
            out.extend(_transfer(purpose, register.recipients[rid]))
    for cookie in register.cookies:
        out.extend(_cookie(cookie.category))
    return tuple(dict.fromkeys(out))


# How much control the subject keeps under a basis: consent (withdraw at any
# time, Art. 8 p.2) > contract (ends with it) > a law (Art. 9). Moving to a
# basis the subject controls less widens processing.
_BASIS_RANK: Mapping[BasisKind, int] = {
    BasisKind.CONSENT: 0,
    BasisKind.CONTRACT: 1,
    BasisKind.LEGAL_OBLIGATION: 2,
    BasisKind.STATE_REQUEST: 2,
    BasisKind.VITAL_INTERESTS: 2,
}


def _basis_effect(before: BasisKind, after: BasisKind) -> Effect:
    a, b = _BASIS_RANK[before], _BASIS_RANK[after]
    return Effect.WIDENS if b > a else Effect.NARROWS if b < a else Effect.NEUTRAL


def _xb_rank(basis: CrossBorderBasis | None) -> int:
    # No stated basis reads as "consent" (lint DRB007 flags it): the strictest.
    return 0 if basis is None or basis.kind is CrossBorderBasisKind.CONSENT else 1


def _text(value: Labels | None) -> str | None:
    return None if value is None else value.en


def _basis_text(basis: LegalBasis) -> str:
    return basis.kind.value + (f" ({basis.citation})" if basis.citation else "")


def _retention_text(retention: Retention | None) -> str:
    if retention is None:
        return "no retention rule"
    return f"{retention.period} after {retention.trigger.value}"


_T = TypeVar("_T")


def _added(old: Sequence[_T], new: Sequence[_T]) -> list[_T]:
    before = set(old)
    return [x for x in dict.fromkeys(new) if x not in before]


# ---------------------------------------------------------------- the differ


class _Differ:
    def __init__(self, old: Register, new: Register) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []

    def add(self, change: Change) -> None:
        reconsent = tuple(dict.fromkeys(change.reconsent))
        if change.effect is not Effect.WIDENS:
            reconsent = ()  # only a widening change calls for consent again
        self.changes.append(
            Change(
                kind=change.kind,
                effect=change.effect,
                path=change.path,
                side=change.side,
                explanation=change.explanation,
                citation=change.citation,
                item=change.item,
                purposes=tuple(dict.fromkeys(change.purposes)),
                reconsent=reconsent,
                before=change.before,
                after=change.after,
            )
        )

    def text(self, old: Labels | None, new: Labels | None, path: str,
             purposes: tuple[str, ...] = ()) -> None:
        if old != new:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, path, Side.NEW,
                "wording changed; the notice is regenerated, processing is the same",
                before=_text(old), after=_text(new), purposes=purposes,
            ))

    def run(self) -> tuple[Change, ...]:
        self.operator()
        self.policy()
        self.definitions()
        self.purposes()
        self.recipients()
        self.cookies()
        self.consent_setup()
        self.rest()
        return tuple(self.changes)

    # ---------------------------------------------------------- operator, policy

    def operator(self) -> None:
        old, new = self.old.operator, self.new.operator
        identity_changed = old.id != new.id or (
            old.bin is not None and new.bin is not None and old.bin != new.bin
        )
        if identity_changed:
            field_name = "id" if old.id != new.id else "bin"
            self.add(Change(
                ChangeKind.OPERATOR_CHANGED, Effect.WIDENS, f"operator.{field_name}", Side.NEW,
                "another operator (id or BIN): every consent was given to the previous one "
                "and names it",
                citation=ART_8_CONTENT,
                before=f"{old.id} / BIN {old.bin}", after=f"{new.id} / BIN {new.bin}",
                purposes=tuple(p for p in self.new.purposes
                               if purpose_needs_consent(self.new.purposes[p])),
                reconsent=every_scope(self.new),
            ))
        elif old.bin != new.bin:
            self.add(Change(
                ChangeKind.OPERATOR_DETAILS_CHANGED, Effect.NEUTRAL, "operator.bin", Side.NEW,
                "the BIN is now stated (or no longer stated): same operator",
                before=old.bin, after=new.bin,
            ))
        self.text(old.names, new.names, "operator.names")
        details = (
            ("kind", old.kind.value, new.kind.value),
            ("legal_address", _text(old.legal_address), _text(new.legal_address)),
            ("contacts", repr(old.contacts), repr(new.contacts)),
            ("licence", repr(old.licence), repr(new.licence)),
            ("responsible_person", repr(old.responsible_person), repr(new.responsible_person)),
            ("sites", ", ".join(old.sites), ", ".join(new.sites)),
            ("apps", ", ".join(old.apps), ", ".join(new.apps)),
        )
        for name, before, after in details:
            if before != after:
                self.add(Change(
                    ChangeKind.OPERATOR_DETAILS_CHANGED, Effect.NEUTRAL, f"operator.{name}",
                    Side.NEW, f"operator {name.replace('_', ' ')} changed; processing is the "
                    "same",
                    before=before if name in {"kind", "sites", "apps"} else None,
                    after=after if name in {"kind", "sites", "apps"} else None,
                ))
        self.database(old.primary_database_country, new.primary_database_country)
        for country in _added(old.copies_abroad, new.copies_abroad):
            self.add(Change(
                ChangeKind.COPIES_ABROAD_ADDED, Effect.WIDENS,
                f"operator.copies_abroad[{new.copies_abroad.index(country)}]", Side.NEW,
                f"a copy of the database is now kept in {country}: PD goes abroad",
                citation=f"{ART_12}; {ART_16}", item=country,
                reconsent=(_DATABASE_ABROAD,),
            ))
        for country in _added(new.copies_abroad, old.copies_abroad):
            self.add(Change(
                ChangeKind.COPIES_ABROAD_REMOVED, Effect.NARROWS,
                f"operator.copies_abroad[{old.copies_abroad.index(country)}]", Side.OLD,
                f"no copy of the database is kept in {country} any more",
                citation=ART_16, item=country,
            ))

    def database(self, before: str, after: str) -> None:
        if before == after:
            return
        if after == KZ:
            effect, why = Effect.NARROWS, "the primary database comes back to Kazakhstan"
        else:
            effect = Effect.WIDENS
            why = f"the primary database moves to {after}: PD goes abroad"
        self.add(Change(
            ChangeKind.PRIMARY_DATABASE_MOVED, effect, "operator.primary_database_country",
            Side.NEW, why, citation=f"{ART_12}; {ART_16}", before=before, after=after,
            reconsent=(_DATABASE_ABROAD,),
        ))

    def policy(self) -> None:
        old, new = self.old.policy, self.new.policy
        for name, before, after in (
            ("version", old.version, new.version),
            ("date", old.date.isoformat(), new.date.isoformat()),
            ("languages", ", ".join(old.languages), ", ".join(new.languages)),
            ("source", old.source, new.source),
        ):
            if before != after:
                self.add(Change(
                    ChangeKind.POLICY_CHANGED, Effect.NEUTRAL, f"policy.{name}", Side.NEW,
                    f"policy {name} changed", before=before, after=after,
                ))
        old_change, new_change = old.change, new.change
        old_silence = bool(old_change and old_change.silence_means_consent)
        new_silence = bool(new_change and new_change.silence_means_consent)
        if old_silence != new_silence:
            self.add(Change(
                ChangeKind.POLICY_CHANGED, Effect.NEUTRAL,
                "policy.change.silence_means_consent", Side.NEW,
                "the policy now claims that silence after a change is consent; derbes never "
                "treats it so (lint DRB012)" if new_silence else
                "the policy no longer claims that silence after a change is consent",
                citation=ART_8_SILENCE, before=str(old_silence).lower(),
                after=str(new_silence).lower(),
            ))
        self.text(
            old_change.method if old_change else None,
            new_change.method if new_change else None,
            "policy.change.method",
        )

    # ---------------------------------------------------------- declarations

    def definitions(self) -> None:
        old_cats = {k: v for k, v in self.old.categories.items() if not v.base}
        new_cats = {k: v for k, v in self.new.categories.items() if not v.base}
        self.declared("data_categories", old_cats, new_cats, lambda c: (
            c.labels, f"{c.sensitivity.value}, {c.value_type.value}", c.description))
        old_subj = {k: v for k, v in self.old.subject_categories.items() if not v.base}
        new_subj = {k: v for k, v in self.new.subject_categories.items() if not v.base}
        self.declared("subject_categories", old_subj, new_subj, lambda s: (s.labels, "", None))
        self.declared("tasks", dict(self.old.tasks), dict(self.new.tasks),
                      lambda t: (t.labels, "", None))

    def declared(
        self,
        section: str,
        old: Mapping[str, _T],
        new: Mapping[str, _T],
        facts: Callable[[_T], tuple[Labels, str, Labels | None]],
    ) -> None:
        new_index = {k: i for i, k in enumerate(new)}
        old_index = {k: i for i, k in enumerate(old)}
        for key in new:
            path = f"{section}[{new_index[key]}]"
            if key not in old:
                self.add(Change(
                    ChangeKind.DEFINITION_ADDED, Effect.NEUTRAL, path, Side.NEW,
                    f"{key} declared; it widens nothing until a purpose uses it", item=key,
                ))
                continue
            (old_labels, old_facts, old_desc), (new_labels, new_facts, new_desc) = (
                facts(old[key]), facts(new[key])
            )
            if old_facts != new_facts:
                self.add(Change(
                    ChangeKind.DEFINITION_CHANGED, Effect.NEUTRAL, path, Side.NEW,
                    f"definition of {key} changed (sensitivity, value type)", item=key,
                    before=old_facts, after=new_facts,
                ))
            self.text(old_labels, new_labels, f"{path}.labels")
            self.text(old_desc, new_desc, f"{path}.description")
        for key in old:
            if key not in new:
                self.add(Change(
                    ChangeKind.DEFINITION_REMOVED, Effect.NEUTRAL, f"{section}[{old_index[key]}]",
                    Side.OLD, f"{key} no longer declared", item=key,
                ))

    # ---------------------------------------------------------- purposes

    def purposes(self) -> None:
        old, new = self.old.purposes, self.new.purposes
        for pid, purpose in new.items():
            if pid not in old:
                self.purpose_added(purpose)
            else:
                self.purpose_changed(old[pid], purpose)
        for pid in old:
            if pid not in new:
                self.add(Change(
                    ChangeKind.PURPOSE_REMOVED, Effect.NARROWS, self.old.purpose_path(pid),
                    Side.OLD, f"purpose {pid} is no longer pursued", citation=ART_24, item=pid,
                    purposes=(pid,),
                ))

    def purpose_added(self, purpose: Purpose) -> None:
        scopes = list(_processing(purpose))
        for rid in purpose.recipients:
            scopes.extend(_transfer(purpose, self.new.recipients[rid]))
        if scopes:
            why = (f"new purpose {purpose.id} on basis {purpose.basis.kind.value}: its own "
                   "consent is needed; no existing consent covers it")
        else:
            why = (f"new purpose {purpose.id} on basis {_basis_text(purpose.basis)}: no "
                   "consent is needed, subjects must be notified")
        self.add(Change(
            ChangeKind.PURPOSE_ADDED, Effect.WIDENS, self.new.purpose_path(purpose.id), Side.NEW,
            why, citation=ART_8 if scopes else ART_9, item=purpose.id, purposes=(purpose.id,),
            reconsent=tuple(scopes),
        ))

    def purpose_changed(self, old: Purpose, new: Purpose) -> None:
        pid, path, old_path = new.id, self.new.purpose_path(new.id), self.old.purpose_path(old.id)
        mine = (pid,)
        for cat in _added(old.categories, new.categories):
            self.add(Change(
                ChangeKind.CATEGORY_ADDED_TO_PURPOSE, Effect.WIDENS,
                f"{path}.categories[{new.categories.index(cat)}]", Side.NEW,
                f"purpose {pid} now also processes {cat}: consent covered the old list of PD",
                citation=ART_8_CONTENT, item=cat, purposes=mine, reconsent=_processing(new),
            ))
        for cat in _added(new.categories, old.categories):
            self.add(Change(
                ChangeKind.CATEGORY_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                f"{old_path}.categories[{old.categories.index(cat)}]", Side.OLD,
                f"purpose {pid} no longer processes {cat}", item=cat, purposes=mine,
            ))
        for subj in _added(old.subjects, new.subjects):
            self.add(Change(
                ChangeKind.SUBJECTS_ADDED_TO_PURPOSE, Effect.WIDENS,
                f"{path}.subjects[{new.subjects.index(subj)}]", Side.NEW,
                f"purpose {pid} now also concerns subjects of category {subj}; they give "
                "their own consent, existing consents are not touched",
                item=subj, purposes=mine,
            ))
        for subj in _added(new.subjects, old.subjects):
            self.add(Change(
                ChangeKind.SUBJECTS_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                f"{old_path}.subjects[{old.subjects.index(subj)}]", Side.OLD,
                f"purpose {pid} no longer concerns subjects of category {subj}",
                item=subj, purposes=mine,
            ))
        for rid in _added(old.recipients, new.recipients):
            recipient = self.new.recipients[rid]
            where = " abroad" if recipient.cross_border else ""
            self.add(Change(
                ChangeKind.RECIPIENT_ADDED_TO_PURPOSE, Effect.WIDENS,
                f"{path}.recipients[{new.recipients.index(rid)}]", Side.NEW,
                f"purpose {pid} now discloses PD to {rid}{where} "
                f"({recipient.role.value}, basis {recipient.basis.kind.value})",
                citation=f"{ART_8_CONTENT}; {ART_16}" if recipient.cross_border
                else ART_8_CONTENT, item=rid, purposes=mine,
                reconsent=_transfer(new, recipient),
            ))
        for rid in _added(new.recipients, old.recipients):
            self.add(Change(
                ChangeKind.RECIPIENT_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                f"{old_path}.recipients[{old.recipients.index(rid)}]", Side.OLD,
                f"purpose {pid} no longer discloses PD to {rid}", item=rid, purposes=mine,
            ))
        for src in _added(old.sources, new.sources):
            self.add(Change(
                ChangeKind.SOURCE_ADDED_TO_PURPOSE, Effect.WIDENS,
                f"{path}.sources[{new.sources.index(src)}]", Side.NEW,
                f"purpose {pid} now also collects PD from {src}",
                citation=ART_24, item=src, purposes=mine, reconsent=_processing(new),
            ))
        for src in _added(new.sources, old.sources):
            self.add(Change(
                ChangeKind.SOURCE_REMOVED_FROM_PURPOSE, Effect.NARROWS,
                f"{old_path}.sources[{old.sources.index(src)}]", Side.OLD,
                f"purpose {pid} no longer collects PD from {src}", item=src, purposes=mine,
            ))
        if set(old.methods) != set(new.methods):
            self.add(Change(
                ChangeKind.METHODS_CHANGED, Effect.NEUTRAL, f"{path}.methods", Side.NEW,
                f"methods of processing for {pid} changed", purposes=mine,
                before=", ".join(old.methods), after=", ".join(new.methods),
            ))
        self.basis(old, new, path)
        self.retention(old, new, path)
        self.purpose_flags(old, new, path)
        self.text(old.labels, new.labels, f"{path}.labels", mine)
        self.text(old.description, new.description, f"{path}.description", mine)
        if old.clause != new.clause:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.clause", Side.NEW,
                "the policy clause reference changed", before=old.clause, after=new.clause,
                purposes=mine,
            ))

    def basis(self, old: Purpose, new: Purpose, path: str) -> None:
        pid, mine = new.id, (new.id,)
        if old.basis.kind != new.basis.kind:
            effect = _basis_effect(old.basis.kind, new.basis.kind)
            why = {
                Effect.WIDENS: "the subject controls processing less under the new basis "
                "(withdrawing consent may no longer stop it); subjects must be notified",
                Effect.NARROWS: "the subject controls processing more under the new basis",
                Effect.NEUTRAL: "a basis of the same kind (a law) replaces the other",
            }[effect]
            self.add(Change(
                ChangeKind.BASIS_CHANGED, effect, f"{path}.basis.kind", Side.NEW,
                f"basis of {pid} changed: {why}", citation=f"{ART_8}; {ART_9}",
                purposes=mine, before=_basis_text(old.basis), after=_basis_text(new.basis),
            ))
        elif old.basis.citation != new.basis.citation:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.basis.citation", Side.NEW,
                f"the citation of the basis of {pid} changed", purposes=mine,
                before=old.basis.citation, after=new.basis.citation,
            ))
        self.text(old.basis.note, new.basis.note, f"{path}.basis.note", mine)
        if purpose_needs_consent(old) != purpose_needs_consent(new):
            if purpose_needs_consent(new):
                effect = Effect.NARROWS
                why = (f"{pid} now needs consent: subjects who have not given it are denied; "
                       "no consent is presumed")
            else:
                effect = Effect.WIDENS
                why = (f"{pid} no longer needs consent: processing goes on without the "
                       "subject's agreement; subjects must be notified")
            self.add(Change(
                ChangeKind.CONSENT_REQUIREMENT_CHANGED, effect, f"{path}.consent_required",
                Side.NEW, why, citation=ART_8, purposes=mine,
                before=str(old.consent_required).lower(),
                after=str(new.consent_required).lower(),
            ))
        elif old.consent_required != new.consent_required:
            self.add(Change(
                ChangeKind.CONSENT_REQUIREMENT_CHANGED, Effect.NEUTRAL,
                f"{path}.consent_required", Side.NEW,
                f"{pid} rests on consent either way (basis consent)", citation=ART_8,
                purposes=mine, before=str(old.consent_required).lower(),
                after=str(new.consent_required).lower(),
            ))

    def retention(self, old: Purpose, new: Purpose, path: str) -> None:
        pid, mine = new.id, (new.id,)
        a, b = old.retention, new.retention
        before, after = _retention_text(a), _retention_text(b)
        where = f"{path}.retention"
        if a is None and b is None:
            return
        if a is None or b is None:
            longer = b is None  # no rule at all: kept without a limit
            self.add(Change(
                ChangeKind.RETENTION_LENGTHENED if longer else ChangeKind.RETENTION_SHORTENED,
                Effect.WIDENS if longer else Effect.NARROWS, where, Side.NEW,
                f"{pid} has no retention rule any more: PD kept without a stated limit"
                if longer else f"{pid} now has a retention rule",
                citation=ART_24, purposes=mine, before=before, after=after,
                reconsent=_processing(new) if longer else (),
            ))
            return
        if a.trigger != b.trigger:
            self.add(Change(
                ChangeKind.RETENTION_TRIGGER_CHANGED, Effect.WIDENS, f"{where}.trigger",
                Side.NEW,
                f"the retention clock of {pid} starts at another event; it cannot be shown "
                "to be no longer, so it counts as widening",
                citation=ART_24, purposes=mine, before=before, after=after,
                reconsent=_processing(new),
            ))
        elif b.period.is_longer_than(a.period):
            self.add(Change(
                ChangeKind.RETENTION_LENGTHENED, Effect.WIDENS, f"{where}.period", Side.NEW,
                f"PD for {pid} is kept longer", citation=ART_24, purposes=mine,
                before=before, after=after, reconsent=_processing(new),
            ))
        elif a.period.is_longer_than(b.period):
            self.add(Change(
                ChangeKind.RETENTION_SHORTENED, Effect.NARROWS, f"{where}.period", Side.NEW,
                f"PD for {pid} is kept shorter", citation=ART_24, purposes=mine,
                before=before, after=after,
            ))
        elif a.period != b.period:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{where}.period", Side.NEW,
                "the same period written another way", purposes=mine,
                before=str(a.period), after=str(b.period),
            ))
        if a.then != b.then:
            self.add(Change(
                ChangeKind.RETENTION_OUTCOME_CHANGED, Effect.NEUTRAL, f"{where}.then", Side.NEW,
                f"PD for {pid} is {b.then.value}d instead of {a.then.value}d at the end of "
                "retention; either way it is no longer PD",
                purposes=mine, before=a.then.value, after=b.then.value,
            ))
        if a.citation != b.citation:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{where}.citation", Side.NEW,
                "the citation of the retention rule changed", purposes=mine,
                before=a.citation, after=b.citation,
            ))
        self.text(a.note, b.note, f"{where}.note", mine)

    def purpose_flags(self, old: Purpose, new: Purpose, path: str) -> None:
        pid, mine = new.id, (new.id,)
        if old.automated_decision != new.automated_decision:
            if new.automated_decision:
                self.add(Change(
                    ChangeKind.AUTOMATED_DECISION_INTRODUCED, Effect.WIDENS,
                    f"{path}.automated_decision", Side.NEW,
                    f"decisions for {pid} are now made automatically",
                    citation=f"{ART_24}; seed 002 p.5.3", purposes=mine,
                    before="false", after="true", reconsent=_processing(new),
                ))
            else:
                self.add(Change(
                    ChangeKind.AUTOMATED_DECISION_DROPPED, Effect.NARROWS,
                    f"{path}.automated_decision", Side.NEW,
                    f"decisions for {pid} are no longer made automatically",
                    citation=ART_24, purposes=mine, before="true", after="false",
                ))
        if old.exhaustive != new.exhaustive:
            if not new.exhaustive:
                self.add(Change(
                    ChangeKind.DATA_LIST_OPENED, Effect.WIDENS, f"{path}.exhaustive", Side.NEW,
                    f"the list of PD for {pid} is no longer exhaustive (\"other information\")",
                    citation=f"{ART_8_CONTENT}; lint DRB006", purposes=mine,
                    before="true", after="false", reconsent=_processing(new),
                ))
            else:
                self.add(Change(
                    ChangeKind.DATA_LIST_CLOSED, Effect.NARROWS, f"{path}.exhaustive", Side.NEW,
                    f"the list of PD for {pid} is now exhaustive", citation=ART_8_CONTENT,
                    purposes=mine, before="false", after="true",
                ))
        if old.task != new.task:
            self.add(Change(
                ChangeKind.PURPOSE_TASK_CHANGED, Effect.NEUTRAL, f"{path}.task", Side.NEW,
                f"{pid} is filed under another task", purposes=mine,
                before=old.task, after=new.task,
            ))
        if set(old.consent_bundled_with) != set(new.consent_bundled_with):
            self.add(Change(
                ChangeKind.CONSENT_BUNDLING_CHANGED, Effect.NEUTRAL,
                f"{path}.consent_bundled_with", Side.NEW,
                f"the purposes whose acceptance collects consent for {pid} changed "
                "(lint DRB013 judges bundling)", citation=ART_8, purposes=mine,
                before=", ".join(old.consent_bundled_with),
                after=", ".join(new.consent_bundled_with),
            ))

    # ---------------------------------------------------------- recipients

    def users(self, register: Register, rid: str) -> tuple[Purpose, ...]:
        return register.purposes_of_recipient(rid)

    def recipients(self) -> None:
        old, new = self.old.recipients, self.new.recipients
        for rid, recipient in new.items():
            if rid not in old:
                users = self.users(self.new, rid)
                scopes = [s for p in users for s in _transfer(p, recipient)]
                where = f" in {recipient.country}" if recipient.cross_border else ""
                self.add(Change(
                    ChangeKind.RECIPIENT_ADDED, Effect.WIDENS if users else Effect.NEUTRAL,
                    self.new.recipient_path(rid), Side.NEW,
                    f"new recipient {rid}{where} ({recipient.role.value}), named by "
                    f"{', '.join(p.id for p in users)}" if users else
                    f"new recipient {rid} declared; no purpose discloses PD to it",
                    citation=f"{ART_8_CONTENT}; {ART_16}" if recipient.cross_border
                    else ART_8_CONTENT,
                    item=rid, purposes=tuple(p.id for p in users), reconsent=tuple(scopes),
                    after=recipient.country,
                ))
            else:
                self.recipient_changed(old[rid], recipient)
        for rid, recipient in old.items():
            if rid not in new:
                users = self.users(self.old, rid)
                self.add(Change(
                    ChangeKind.RECIPIENT_REMOVED, Effect.NARROWS if users else Effect.NEUTRAL,
                    self.old.recipient_path(rid), Side.OLD,
                    f"recipient {rid} no longer receives PD", item=rid,
                    purposes=tuple(p.id for p in users), before=recipient.country,
                ))

    def recipient_changed(self, old: Recipient, new: Recipient) -> None:
        rid, path = new.id, self.new.recipient_path(new.id)
        users = self.users(self.new, rid)
        ids = tuple(p.id for p in users)
        transfer = tuple(s for p in users for s in _transfer(p, new))
        if old.country != new.country:
            abroad = tuple(s for p in users for s in _abroad(p, new))
            if not old.cross_border:
                self.add(Change(
                    ChangeKind.RECIPIENT_BECAME_CROSS_BORDER, Effect.WIDENS, f"{path}.country",
                    Side.NEW, f"recipient {rid} is now in {new.country}: transfers to it are "
                    f"cross-border (basis: {_xb_text(new.cross_border_basis)})",
                    citation=ART_16, item=rid, purposes=ids,
                    before=old.country, after=new.country, reconsent=abroad,
                ))
            elif not new.cross_border:
                self.add(Change(
                    ChangeKind.RECIPIENT_NO_LONGER_CROSS_BORDER, Effect.NARROWS,
                    f"{path}.country", Side.NEW,
                    f"recipient {rid} is now in Kazakhstan: no cross-border transfer",
                    citation=ART_16, item=rid, purposes=ids,
                    before=old.country, after=new.country,
                ))
            else:
                self.add(Change(
                    ChangeKind.RECIPIENT_COUNTRY_CHANGED, Effect.WIDENS, f"{path}.country",
                    Side.NEW, f"recipient {rid} moves to another state ({new.country}); "
                    "the protection there is not the one consented to",
                    citation=ART_16, item=rid, purposes=ids,
                    before=old.country, after=new.country, reconsent=abroad,
                ))
        for cat in _added(old.categories, new.categories):
            self.add(Change(
                ChangeKind.CATEGORY_ADDED_TO_RECIPIENT, Effect.WIDENS,
                f"{path}.categories[{new.categories.index(cat)}]", Side.NEW,
                f"recipient {rid} now also receives {cat}", citation=ART_8_CONTENT,
                item=cat, purposes=ids, reconsent=transfer,
            ))
        for cat in _added(new.categories, old.categories):
            self.add(Change(
                ChangeKind.CATEGORY_REMOVED_FROM_RECIPIENT, Effect.NARROWS,
                f"{self.old.recipient_path(rid)}.categories[{old.categories.index(cat)}]",
                Side.OLD, f"recipient {rid} no longer receives {cat}", item=cat, purposes=ids,
            ))
        if old.role != new.role:
            processor = RecipientRole.PROCESSOR
            if old.role is processor:
                effect, why = Effect.WIDENS, "no longer acts on the operator's instruction"
            elif new.role is processor:
                effect, why = Effect.NARROWS, "now acts only on the operator's instruction"
            else:
                effect, why = Effect.NEUTRAL, "is an independent recipient either way"
            self.add(Change(
                ChangeKind.RECIPIENT_ROLE_CHANGED, effect, f"{path}.role", Side.NEW,
                f"recipient {rid} {why}", citation="seed 001 p.2.3", item=rid, purposes=ids,
                before=old.role.value, after=new.role.value, reconsent=transfer,
            ))
        gained = _added(old.actions, new.actions)
        lost = _added(new.actions, old.actions)
        if gained:
            self.add(Change(
                ChangeKind.RECIPIENT_ACTIONS_ADDED, Effect.WIDENS, f"{path}.actions", Side.NEW,
                f"recipient {rid} may now also {', '.join(a.value for a in gained)} PD",
                item=rid, purposes=ids, before=", ".join(a.value for a in old.actions),
                after=", ".join(a.value for a in new.actions), reconsent=transfer,
            ))
        if lost:
            self.add(Change(
                ChangeKind.RECIPIENT_ACTIONS_REMOVED, Effect.NARROWS, f"{path}.actions",
                Side.NEW,
                f"recipient {rid} may no longer {', '.join(a.value for a in lost)} PD",
                item=rid, purposes=ids, before=", ".join(a.value for a in old.actions),
                after=", ".join(a.value for a in new.actions),
            ))
        if old.basis.kind != new.basis.kind:
            effect = _basis_effect(old.basis.kind, new.basis.kind)
            self.add(Change(
                ChangeKind.RECIPIENT_BASIS_CHANGED, effect, f"{path}.basis.kind", Side.NEW,
                f"transfers to {rid} rest on another basis"
                + (": the subject's refusal may no longer stop them; subjects must be notified"
                   if effect is Effect.WIDENS else ""),
                citation=f"{ART_8}; {ART_9}", item=rid, purposes=ids,
                before=_basis_text(old.basis), after=_basis_text(new.basis),
            ))
        elif old.basis.citation != new.basis.citation:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.basis.citation", Side.NEW,
                f"the citation of the basis of transfers to {rid} changed", item=rid,
                before=old.basis.citation, after=new.basis.citation,
            ))
        # A recipient that just moved abroad states its basis with the move (above).
        if old.cross_border and new.cross_border and (
                old.cross_border_basis != new.cross_border_basis):
            a, b = _xb_rank(old.cross_border_basis), _xb_rank(new.cross_border_basis)
            effect = Effect.WIDENS if b > a else Effect.NARROWS if b < a else Effect.NEUTRAL
            self.add(Change(
                ChangeKind.CROSS_BORDER_BASIS_CHANGED, effect, f"{path}.cross_border_basis",
                Side.NEW,
                f"transfers abroad to {rid} "
                + {Effect.WIDENS: "no longer wait for the subject's consent; subjects must be "
                   "notified", Effect.NARROWS: "now need the subject's consent",
                   Effect.NEUTRAL: "rest on another stated basis"}[effect],
                citation=ART_16, item=rid, purposes=ids,
                before=_xb_text(old.cross_border_basis), after=_xb_text(new.cross_border_basis),
            ))
        self.text(old.names, new.names, f"{path}.names", ids)
        self.text(old.description, new.description, f"{path}.description", ids)
        self.text(old.basis.note, new.basis.note, f"{path}.basis.note", ids)

    # ---------------------------------------------------------- cookies

    def cookies(self) -> None:
        old = {c.name: (i, c) for i, c in enumerate(self.old.cookies)}
        new = {c.name: (i, c) for i, c in enumerate(self.new.cookies)}
        for name, (i, cookie) in new.items():
            path = f"cookies[{i}]"
            if name not in old:
                self.add(Change(
                    ChangeKind.COOKIE_ADDED, Effect.WIDENS, path, Side.NEW,
                    f"new {cookie.party.value}-party cookie {name} "
                    f"({cookie.category.value}, {cookie.lifetime})"
                    + ("" if cookie_needs_consent(cookie.category)
                       else "; strictly necessary, no consent needed"),
                    citation=COOKIES, item=name, reconsent=_cookie(cookie.category),
                    after=cookie.category.value,
                ))
            else:
                self.cookie_changed(old[name][1], cookie, path)
        for name, (i, cookie) in old.items():
            if name not in new:
                self.add(Change(
                    ChangeKind.COOKIE_REMOVED, Effect.NARROWS, f"cookies[{i}]", Side.OLD,
                    f"cookie {name} is no longer set", citation=COOKIES, item=name,
                    before=cookie.category.value,
                ))

    def cookie_changed(self, old: Cookie, new: Cookie, path: str) -> None:
        name, scopes = new.name, _cookie(new.category)
        if new.lifetime.is_longer_than(old.lifetime):
            self.add(Change(
                ChangeKind.COOKIE_LIFETIME_LENGTHENED, Effect.WIDENS, f"{path}.lifetime",
                Side.NEW, f"cookie {name} stays longer on the device", citation=COOKIES,
                item=name, before=str(old.lifetime), after=str(new.lifetime), reconsent=scopes,
            ))
        elif old.lifetime.is_longer_than(new.lifetime):
            self.add(Change(
                ChangeKind.COOKIE_LIFETIME_SHORTENED, Effect.NARROWS, f"{path}.lifetime",
                Side.NEW, f"cookie {name} stays shorter on the device", citation=COOKIES,
                item=name, before=str(old.lifetime), after=str(new.lifetime),
            ))
        elif old.lifetime != new.lifetime:
            self.add(Change(
                ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.lifetime", Side.NEW,
                "the same lifetime written another way", item=name,
                before=str(old.lifetime), after=str(new.lifetime),
            ))
        if old.category != new.category:
            self.add(Change(
                ChangeKind.COOKIE_CATEGORY_CHANGED, Effect.WIDENS, f"{path}.category", Side.NEW,
                f"cookie {name} is now set as {new.category.value}: "
                + ("consent to that category did not include it" if scopes
                   else "it is now set without consent"),
                citation=COOKIES, item=name, before=old.category.value,
                after=new.category.value, reconsent=scopes,
            ))
        if old.party != new.party:
            third = new.party is CookieParty.THIRD
            self.add(Change(
                ChangeKind.COOKIE_PARTY_CHANGED, Effect.WIDENS if third else Effect.NARROWS,
                f"{path}.party", Side.NEW,
                f"cookie {name} is now read by a third party" if third
                else f"cookie {name} is now the operator's own",
                citation=COOKIES, item=name, before=old.party.value, after=new.party.value,
                reconsent=scopes,
            ))
        if old.provider != new.provider:
            widens = new.provider is not None
            self.add(Change(
                ChangeKind.COOKIE_PROVIDER_CHANGED, Effect.WIDENS if widens else Effect.NEUTRAL,
                f"{path}.provider", Side.NEW,
                f"cookie {name} is now served by {new.provider}" if widens
                else f"cookie {name} no longer names a provider",
                citation=COOKIES, item=name, before=old.provider, after=new.provider,
                reconsent=scopes,
            ))
        self.text(old.purpose, new.purpose, f"{path}.purpose")

    # ---------------------------------------------------------- the rest

    def consent_setup(self) -> None:
        old, new = self.old.consent, self.new.consent
        for scope in _added(old.separate_scopes, new.separate_scopes):
            self.add(Change(
                ChangeKind.SEPARATE_SCOPE_ADDED, Effect.NARROWS,
                f"consent.separate_scopes[{new.separate_scopes.index(scope)}]", Side.NEW,
                f"subjects may now consent to or refuse {scope.value} separately",
                citation="seed 000 p.6.1.5-6.1.6", item=scope.value,
            ))
        for scope in _added(new.separate_scopes, old.separate_scopes):
            self.add(Change(
                ChangeKind.SEPARATE_SCOPE_REMOVED, Effect.WIDENS,
                f"consent.separate_scopes[{old.separate_scopes.index(scope)}]", Side.OLD,
                f"subjects may no longer refuse {scope.value} separately; existing separate "
                "consents and refusals stay as they are",
                citation="seed 000 p.6.1.5-6.1.6", item=scope.value,
            ))
        if set(old.channels) != set(new.channels):
            self.add(Change(
                ChangeKind.CONSENT_CHANNELS_CHANGED, Effect.NEUTRAL, "consent.channels",
                Side.NEW, "the ways consent is collected changed; consents already given keep "
                "their evidence", citation=ART_8,
                before=", ".join(c.value for c in old.channels),
                after=", ".join(c.value for c in new.channels),
            ))
        self.text(old.withdrawal, new.withdrawal, "consent.withdrawal")

    def rest(self) -> None:
        old, new = self.old, self.new
        if old.minors.processed != new.minors.processed:
            self.add(Change(
                ChangeKind.MINORS_CHANGED,
                Effect.WIDENS if new.minors.processed else Effect.NARROWS,
                "minors.processed", Side.NEW,
                "PD of minors is now processed (through their legal representatives)"
                if new.minors.processed else "PD of minors is no longer processed",
                citation=ART_8, before=str(old.minors.processed).lower(),
                after=str(new.minors.processed).lower(),
            ))
        if old.minors.representative_consent != new.minors.representative_consent:
            loose = not new.minors.representative_consent
            self.add(Change(
                ChangeKind.MINORS_CHANGED, Effect.WIDENS if loose else Effect.NARROWS,
                "minors.representative_consent", Side.NEW,
                "a minor's PD no longer waits for a representative's consent (lint DRB014)"
                if loose else "a minor's PD now needs a representative's consent",
                citation=ART_8, before=str(old.minors.representative_consent).lower(),
                after=str(new.minors.representative_consent).lower(),
            ))
        for kind, path, a, b, why in (
            (ChangeKind.REQUEST_CHANNELS_CHANGED, "request_channels",
             _channels(old), _channels(new), "ways to file an Art. 24 request changed"),
            (ChangeKind.REGIME_OVERRIDES_CHANGED, "regime_overrides",
             _overrides(old), _overrides(new), "the operator's own deadlines changed "
             "(lint DRB015 checks they are not looser than the law)"),
            (ChangeKind.WAIVERS_CHANGED, "waivers", _waivers(old), _waivers(new),
             "lint waivers changed; processing is the same"),
            (ChangeKind.LIMITS_CHANGED, "limits.cookie_max_lifetime",
             str(old.cookie_max_lifetime), str(new.cookie_max_lifetime),
             "the cookie lifetime limit lint checks against changed"),
        ):
            if a != b:
                self.add(Change(kind, Effect.NEUTRAL, path, Side.NEW, why, before=a, after=b))


def _xb_text(basis: CrossBorderBasis | None) -> str:
    if basis is None:
        return "none stated"
    return basis.kind.value + (f" ({basis.citation})" if basis.citation else "")


def _channels(register: Register) -> str:
    return "; ".join(sorted(f"{c.kind.value}: {c.address}" for c in register.request_channels))


def _overrides(register: Register) -> str:
    return "; ".join(
        sorted(f"{o.deadline}: {o.term}" for o in register.regime_overrides)
    )


def _waivers(register: Register) -> str:
    return "; ".join(sorted(f"{w.code} {w.path}" for w in register.waivers))


def diff(old: Register, new: Register) -> RegisterDiff:
    """Every change from ``old`` to ``new``, classified; see the module docstring."""
    return RegisterDiff(
        operator_id=new.operator.id,
        old_version=old.policy.version,
        new_version=new.policy.version,
        changes=_Differ(old, new).run(),
    )


def scopes_of(changes: Iterable[Change]) -> tuple[ReconsentScope, ...]:
    """The distinct re-consent scopes of some changes, in a stable order."""
    return tuple(sorted({s for c in changes for s in c.reconsent}, key=_scope_key))


def touches(scope: ReconsentScope, consent: Consent) -> bool:
    """Whether asking ``scope`` again concerns ``consent`` (the table of the docstring)."""
    given = consent.scope
    if scope.kind is ScopeKind.PROCESSING:
        return (given.kind in (ScopeKind.PROCESSING, ScopeKind.MARKETING)
                and scope.purpose in given.purposes)
    if scope.kind in (ScopeKind.THIRD_PARTY_TRANSFER, ScopeKind.CROSS_BORDER_TRANSFER):
        if given.kind is not scope.kind:
            return False
        return (scope.recipient is None or scope.recipient in given.recipients
                or ALL_RECIPIENTS in given.recipients)
    if scope.kind is ScopeKind.COOKIES:
        return given.kind is ScopeKind.COOKIES and scope.cookie_category in given.cookie_categories
    return False
