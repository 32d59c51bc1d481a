"""Consent: its scopes, its checks against the register, and what withdrawal does.

Pure rules (Law 94-V Art. 8; Rules 395/НҚ). A consent is given for one
*scope* — processing for named purposes, transfer to named third parties,
cross-border transfer, publication in public sources, marketing mailings,
cookie categories — so that the subject can give and withdraw each of them
separately (seed 000 p.6.1.5–6.1.6), and withdrawing one never withdraws
another. One act of consent (one request) may carry several scopes; each
becomes its own :class:`Consent`.

:func:`validate_scopes` refuses what the register does not know and what
needs no consent; what a withdrawal does, per purpose, is in ``withdrawal.py``.

Citations come in through :class:`ConsentRules`, loaded by an adapter from
``data/consent_rules.yaml``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.errors import InputError, LegalRestrictionError
from derbes.platform.choices import parse_choice
from derbes.register.model.register import (
    BasisKind,
    ConsentChannel,
    CookieCategory,
    Purpose,
    Recipient,
    Register,
)

__all__ = [
    "ALL_RECIPIENTS",
    "MAX_REFERENCE",
    "Consent",
    "ConsentChannel",
    "ConsentRules",
    "ConsentStatus",
    "Evidence",
    "GivenBy",
    "LedgerEvent",
    "Representative",
    "Scope",
    "ScopeKind",
    "check_evidence",
    "check_given_by",
    "check_valid_until",
    "is_minor",
    "needs_consent",
    "parse_channel",
    "parse_given_by",
    "parse_scope_kind",
    "recipient_needs_consent",
    "request_fingerprint",
    "rests_on_consent",
    "validate_scopes",
]

# "Every recipient of the register that needs consent", resolved when given:
# a recipient added to the register later is not covered (it widens processing).
ALL_RECIPIENTS = "*"
MAX_REFERENCE = 200  # characters of an evidence reference or document field
MAX_ITEMS = 200  # purposes, recipients or cookie categories in one scope


class ScopeKind(StrEnum):
    """What a consent is for (Law 94-V Art. 8; Rules 395/НҚ: content of a consent)."""

    PROCESSING = "processing"  # processing for named purposes
    THIRD_PARTY_TRANSFER = "third_party_transfer"  # per recipient, or all
    CROSS_BORDER_TRANSFER = "cross_border_transfer"  # recipients abroad (Art. 16)
    PUBLICATION = "publication"  # in publicly available sources
    MARKETING = "marketing"  # marketing mailings (named marketing purposes)
    COOKIES = "cookies"  # cookie categories of the operator's site


class GivenBy(StrEnum):
    SUBJECT = "subject"
    REPRESENTATIVE = "representative"  # legal representative (minors, incapacity)


class ConsentStatus(StrEnum):
    ACTIVE = "active"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class LedgerEvent(StrEnum):
    """Kinds of entries of the consent ledger."""

    GIVEN = "given"
    WITHDRAWN = "withdrawn"
    WITHDRAWAL_REFUSED_IN_PART = "withdrawal_refused_in_part"
    RECONSENT_REQUIRED = "reconsent_required"
    EXPIRED = "expired"
    # The subject's key was replaced (partial destruction): the evidence is the
    # same, sealed anew; the entry carries the new ciphertexts' digests.
    EVIDENCE_RESEALED = "evidence_resealed"
    # A visitor's answer to an operator's cookie banner (banner slice): evidence on its
    # own, made by a pseudonymous visitor rather than a subject of the vault, so it
    # makes no row of the consents projection.
    COOKIE_CHOICE = "cookie_choice"
    # The visitor of those answers signed in to the cabinet as a subject: the entry is
    # the subject's and names the visitor id and the choices it links (evidence only).
    COOKIE_CHOICE_LINKED = "cookie_choice_linked"


@dataclass(frozen=True)
class ConsentRules:
    """Terms and citations of ``data/consent_rules.yaml``."""

    otp_reference_valid_minutes: int
    otp_citation: str
    required_evidence: Mapping[ConsentChannel, tuple[str, ...]]
    evidence_citation: str
    consent_not_needed: str
    minors: str
    age_check_purpose: str
    age_check_citation: str
    evidence_purpose: str
    evidence_export_citation: str
    withdrawal: str
    withdrawal_obligation: str
    withdrawal_law: str
    marketing: str
    cookies: str
    # Withdrawal citations by language (``cite`` in the data): name -> {ru, kk, en}.
    cites: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def cited(self, name: str, lang: str) -> str:
        """The citation ``name`` in ``lang`` (its English text when none is given)."""
        return self.cites.get(name, {}).get(lang) or str(getattr(self, name))


# ---------------------------------------------------------------- value objects


@dataclass(frozen=True)
class Scope:
    """One scope of consent: its kind and what it names."""

    kind: ScopeKind
    purposes: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    cookie_categories: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind.value, "purposes": list(self.purposes),
                "recipients": list(self.recipients),
                "cookie_categories": list(self.cookie_categories)}


@dataclass(frozen=True)
class Evidence:
    """How the consent was proven. IP, user agent and document number are PD: sealed."""

    ip: str | None = field(default=None, repr=False)
    user_agent: str | None = field(default=None, repr=False)
    document_number: str | None = field(default=None, repr=False)
    otp_reference: str | None = None
    otp_code: str | None = field(default=None, repr=False)  # checked, never stored
    three_ds_reference: str | None = None
    signature_reference: str | None = None
    service_reference: str | None = None
    egov_request_id: str | None = None

    SEALED = ("ip", "user_agent", "document_number")
    REFERENCES = ("otp_reference", "three_ds_reference", "signature_reference",
                  "service_reference", "egov_request_id")

    def sealed_part(self) -> dict[str, str]:
        """What is sealed with the subject's data key (PD)."""
        return {k: v for k in self.SEALED if (v := getattr(self, k))}

    def references(self) -> dict[str, str]:
        """References to the proof held elsewhere (not PD): stored and chained in clear."""
        return {k: v for k in self.REFERENCES if (v := getattr(self, k))}


@dataclass(frozen=True)
class Representative:
    """A legal representative and the document of their authority (all sealed)."""

    full_name: str = field(repr=False)
    document_type: str
    document_number: str = field(repr=False)
    relation: str = "parent"

    def as_dict(self) -> dict[str, str]:
        return {"full_name": self.full_name, "document_type": self.document_type,
                "document_number": self.document_number, "relation": self.relation}


@dataclass(frozen=True)
class Consent:
    """A consent as stored: the current-state projection of its ledger entries.

    ``evidence_sealed`` and ``representative_sealed`` are AES-GCM ciphertexts
    under the subject's data key, bound to the consent id; the rest is not PD.
    """

    id: str
    act_id: str
    subject_id: str
    operator_id: str
    scope: Scope
    policy_version: str
    policy_hash: str
    channel: ConsentChannel
    evidence_refs: Mapping[str, str]
    given_by: GivenBy
    given_at: datetime
    valid_until: datetime | None = None
    withdrawn_at: datetime | None = None
    expired_at: datetime | None = None
    needs_reconsent_since: datetime | None = None
    idempotency_key: str | None = None
    request_hash: str = ""
    evidence_sealed: bytes | None = field(default=None, repr=False)
    representative_sealed: bytes | None = field(default=None, repr=False)

    def status_on(self, at: datetime) -> ConsentStatus:
        if self.withdrawn_at is not None and self.withdrawn_at <= at:
            return ConsentStatus.WITHDRAWN
        if self.expired_at is not None or (self.valid_until is not None
                                           and self.valid_until <= at):
            return ConsentStatus.EXPIRED
        return ConsentStatus.ACTIVE

    def is_active_on(self, at: datetime) -> bool:
        """Given, not withdrawn, not expired. Re-consent marks are for the caller to weigh."""
        return self.status_on(at) is ConsentStatus.ACTIVE

    def covers_purpose(self, purpose: str) -> bool:
        return purpose in self.scope.purposes

    def covers_recipient(self, recipient: str) -> bool:
        return recipient in self.scope.recipients


# ------------------------------------------------------------------- parsing


def parse_scope_kind(value: object, where: str = "scope") -> ScopeKind:
    return parse_choice(ScopeKind, value, "scope", where)


def parse_channel(value: object, where: str = "channel") -> ConsentChannel:
    return parse_choice(ConsentChannel, value, "consent channel", where)


def parse_given_by(value: object, where: str = "given_by") -> GivenBy:
    return parse_choice(GivenBy, value, "given_by", where)


# ---------------------------------------------------------------- validation


def needs_consent(purpose: Purpose) -> bool:
    """Whether consent is collected for ``purpose``: it rests on consent (Art. 8), or
    the register collects consent too beside a contract (``consent_required``).

    That a consent may be given for it never means consent alone keeps it
    alive: :func:`rests_on_consent` decides what a withdrawal does.
    """
    return purpose.basis.kind is BasisKind.CONSENT or purpose.consent_required


def rests_on_consent(purpose: Purpose) -> bool:
    """Whether processing for ``purpose`` has no ground but consent (Law 94-V Art. 8)."""
    return purpose.basis.kind is BasisKind.CONSENT


def recipient_needs_consent(register: Register, recipient: Recipient) -> bool:
    """A transfer needs the subject's transfer consent when the recipient's own basis is
    consent. A recipient whose basis is the contract with the subject (payment
    systems, beneficiaries: seed 000 p.2.10), the law or a state request receives
    the data for the purposes that name it without a separate transfer consent."""
    return recipient.basis.kind is BasisKind.CONSENT


def _ids(values: Sequence[str], where: str, what: str) -> tuple[str, ...]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise InputError(f"{what} must be a list of ids", field=where)
    out = tuple(dict.fromkeys(v.strip() for v in values))
    if len(out) > MAX_ITEMS:
        raise InputError(f"at most {MAX_ITEMS} {what} in one scope", field=where)
    return out


def _purposes(register: Register, scope: Scope, where: str, rules: ConsentRules,
              default: tuple[str, ...] = ()) -> tuple[str, ...]:
    asked = _ids(scope.purposes, f"{where}.purposes", "purposes") or default
    if not asked:
        raise InputError(f"a {scope.kind.value} consent names its purposes",
                         field=f"{where}.purposes")
    for purpose_id in asked:
        purpose = register.purposes.get(purpose_id)
        if purpose is None:
            raise InputError(f"unknown purpose {purpose_id!r} in the register of "
                             f"{register.operator.id!r}", field=f"{where}.purposes")
        if not needs_consent(purpose):
            raise InputError(
                f"purpose {purpose_id!r} needs no consent: its basis is "
                f"{purpose.basis.kind.value} ({rules.consent_not_needed})",
                field=f"{where}.purposes",
            )
    return asked


def _recipients(register: Register, scope: Scope, where: str, rules: ConsentRules,
                *, abroad: bool) -> tuple[str, ...]:
    asked = _ids(scope.recipients, f"{where}.recipients", "recipients")
    if not asked:
        raise InputError(f"a {scope.kind.value} consent names its recipients, or '*' for all",
                         field=f"{where}.recipients")
    if ALL_RECIPIENTS in asked:
        if len(asked) > 1:
            raise InputError("'*' stands alone: every recipient that needs consent",
                             field=f"{where}.recipients")
        resolved = tuple(r.id for r in register.recipients.values()
                         if recipient_needs_consent(register, r)
                         and (r.may_be_abroad if abroad else True))
        if not resolved:
            raise InputError(f"no recipient of the register of {register.operator.id!r} "
                             f"needs a {scope.kind.value} consent", field=f"{where}.recipients")
        return resolved
    for recipient_id in asked:
        recipient = register.recipients.get(recipient_id)
        if recipient is None:
            raise InputError(f"unknown recipient {recipient_id!r} in the register of "
                             f"{register.operator.id!r}", field=f"{where}.recipients")
        if abroad and not recipient.may_be_abroad:
            raise InputError(f"recipient {recipient_id!r} is in Kazakhstan: a transfer to it "
                             "is not cross-border", field=f"{where}.recipients")
        if not recipient_needs_consent(register, recipient):
            raise InputError(
                f"a transfer to recipient {recipient_id!r} needs no consent: its basis is "
                f"{recipient.basis.kind.value} ({rules.consent_not_needed})",
                field=f"{where}.recipients",
            )
    return asked


def _cookie_categories(register: Register, scope: Scope, where: str) -> tuple[str, ...]:
    asked = _ids(scope.cookie_categories, f"{where}.cookie_categories", "cookie categories")
    if not asked:
        raise InputError("a cookies consent names its cookie categories",
                         field=f"{where}.cookie_categories")
    declared = {c.category.value for c in register.cookies}
    for name in asked:
        category = parse_choice(CookieCategory, name, "cookie category",
                           f"{where}.cookie_categories")
        if category is CookieCategory.STRICTLY_NECESSARY:
            raise InputError("strictly necessary cookies need no consent",
                             field=f"{where}.cookie_categories")
        if category.value not in declared:
            raise InputError(f"the register of {register.operator.id!r} declares no cookie "
                             f"of category {category.value!r}",
                             field=f"{where}.cookie_categories")
    return asked


def _extra(scope: Scope, where: str, allowed: Iterable[str]) -> None:
    keep = set(allowed)
    for name, given in (("purposes", scope.purposes), ("recipients", scope.recipients),
                        ("cookie_categories", scope.cookie_categories)):
        if given and name not in keep:
            raise InputError(f"a {scope.kind.value} consent has no {name}",
                             field=f"{where}.{name}")


def marketing_purposes(register: Register) -> tuple[str, ...]:
    """Purposes of the register's ``marketing`` task that rest on consent."""
    return tuple(p.id for p in register.purposes.values()
                 if p.task == "marketing" and needs_consent(p))


def validate_scopes(
    register: Register, scopes: Sequence[Scope], rules: ConsentRules
) -> tuple[Scope, ...]:
    """The scopes checked against ``register``, with ids de-duplicated and '*' resolved.

    Errors name the field (``scopes[1].recipients``) and never carry PD.
    """
    if not scopes:
        raise InputError("a consent names at least one scope", field="scopes")
    out: list[Scope] = []
    seen: set[ScopeKind] = set()
    for index, raw in enumerate(scopes):
        where = f"scopes[{index}]"
        kind = parse_scope_kind(raw.kind, f"{where}.kind")
        if kind in seen:
            raise InputError(f"scope {kind.value} is given twice: list everything it covers "
                             "in one scope", field=f"{where}.kind")
        seen.add(kind)
        scope = Scope(kind, tuple(raw.purposes), tuple(raw.recipients),
                      tuple(raw.cookie_categories))
        if kind is ScopeKind.PROCESSING:
            _extra(scope, where, ["purposes"])
            out.append(Scope(kind, purposes=_purposes(register, scope, where, rules)))
        elif kind is ScopeKind.MARKETING:
            _extra(scope, where, ["purposes"])
            out.append(Scope(kind, purposes=_purposes(
                register, scope, where, rules, default=marketing_purposes(register))))
        elif kind in (ScopeKind.THIRD_PARTY_TRANSFER, ScopeKind.CROSS_BORDER_TRANSFER):
            _extra(scope, where, ["recipients"])
            out.append(Scope(kind, recipients=_recipients(
                register, scope, where, rules, abroad=kind is ScopeKind.CROSS_BORDER_TRANSFER)))
        elif kind is ScopeKind.PUBLICATION:
            _extra(scope, where, [])
            out.append(Scope(kind))
        else:
            _extra(scope, where, ["cookie_categories"])
            out.append(Scope(kind, cookie_categories=_cookie_categories(register, scope, where)))
    return tuple(out)


def _reference(value: str | None, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text", field=f"evidence.{name}")
    text = value.strip()
    if not text or len(text) > MAX_REFERENCE * (5 if name == "user_agent" else 1):
        raise InputError(f"{name} must be 1 to {MAX_REFERENCE} characters",
                         field=f"evidence.{name}")
    return text


def check_evidence(channel: ConsentChannel, evidence: Evidence, rules: ConsentRules) -> Evidence:
    """The evidence, trimmed, with every field the channel requires present."""
    cleaned = Evidence(**{
        name: _reference(getattr(evidence, name), name)
        for name in (*Evidence.SEALED, *Evidence.REFERENCES, "otp_code")
    })
    for name in rules.required_evidence.get(channel, ()):
        if getattr(cleaned, name) is None:
            raise InputError(f"a consent by {channel.value} needs evidence.{name} "
                             f"({rules.evidence_citation})", field=f"evidence.{name}")
    return cleaned


def check_representative(rep: Representative | None) -> Representative | None:
    if rep is None:
        return None
    values = {}
    for name in ("full_name", "document_type", "document_number", "relation"):
        value = getattr(rep, name)
        text = value.strip() if isinstance(value, str) else ""
        if not text or len(text) > MAX_REFERENCE:
            raise InputError(f"the representative's {name} must be 1 to {MAX_REFERENCE} "
                             "characters", field=f"representative.{name}")
        values[name] = text
    return Representative(**values)


def is_minor(birth_date: date, on: date, majority: Period) -> bool:
    """Under the age of majority on ``on`` (``majority`` from the regime table)."""
    return on < majority.add_to(birth_date)


def check_given_by(
    given_by: GivenBy, representative: Representative | None, minor: bool | None,
    rules: ConsentRules,
) -> Representative | None:
    """Who gave the consent may give it (``minor`` None: age unknown from the vault)."""
    rep = check_representative(representative)
    if given_by is GivenBy.REPRESENTATIVE and rep is None:
        raise InputError("a consent given by a representative needs the representative's "
                         "name and document", field="representative")
    if given_by is GivenBy.SUBJECT and rep is not None:
        raise InputError("a representative is given, but given_by is 'subject'",
                         field="given_by")
    if minor and given_by is GivenBy.SUBJECT:
        raise LegalRestrictionError(
            "the subject is under the age of majority: consent is given by a legal "
            "representative with their document", citation=rules.minors, field="given_by",
        )
    return rep


def check_valid_until(given_at: datetime, valid_until: datetime | None) -> None:
    if valid_until is None:
        return
    if valid_until.tzinfo is None or valid_until.utcoffset() is None:
        raise InputError("valid_until must carry a time zone", field="valid_until")
    if valid_until <= given_at:
        raise InputError("valid_until must be after the time the consent is given",
                         field="valid_until")


def request_fingerprint(
    subject_id: str, scopes: Sequence[Scope], channel: ConsentChannel, evidence: Evidence,
    given_by: GivenBy, valid_until: datetime | None,
) -> str:
    """Identifies a request for idempotency; no PD goes in (IP and documents stay out,
    so a retry from another network is still the same request)."""
    body = {
        "subject_id": subject_id, "scopes": [s.as_dict() for s in scopes],
        "channel": channel.value, "references": evidence.references(),
        "given_by": given_by.value,
        "valid_until": valid_until.isoformat() if valid_until else None,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------- withdrawal
