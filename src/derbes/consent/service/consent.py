"""Use cases of the consent ledger: give, withdraw, show, expire, verify, export.

Every change of a consent and its ledger entry are written in one unit of
work, so they commit or vanish together; nothing is stored half-way when a
check fails. Evidence that is PD (IP, user agent, document numbers, the
representative) is sealed with the subject's data key from the key store,
under associated data bound to the consent id, so a crypto-shredded subject's
evidence can no longer be read. Reading the subject's IIN or birth date to
decide whether a representative is needed is an audited internal read under
a system purpose (``data/consent_rules.yaml``: ``age_check_purpose``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any

from derbes.audit.model.log import AuditRecord
from derbes.consent.adapters.rules import load_consent_rules
from derbes.consent.model import consent as rules_of
from derbes.consent.model.consent import (
    Consent,
    ConsentChannel,
    ConsentRules,
    Evidence,
    GivenBy,
    LedgerEvent,
    Representative,
    Scope,
    ScopeKind,
    WithdrawalOutcome,
)
from derbes.consent.model.ledger import LedgerEntry, LedgerRecord, verify_ledger
from derbes.deadlines import service as deadlines
from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import apply_overrides
from derbes.errors import (
    ConfigurationError,
    ConflictError,
    CryptoError,
    IdentifierError,
    InputError,
    NotFoundError,
)
from derbes.identifiers.model import iin as kz_iin
from derbes.integrity.model.anchor import Anchor
from derbes.platform import crypto
from derbes.platform.chain import Verification
from derbes.platform.clock import Clock
from derbes.platform.otp import OtpVerifier
from derbes.register.adapters.yaml import LoadedRegister, parse_register
from derbes.register.model.register import Register
from derbes.retention.service import sweep as retention
from derbes.settings import Settings
from derbes.uow import UnitOfWork
from derbes.vault.ports import KeyStore, SubjectRecord
from derbes.vault.service import keyswap

__all__ = [
    "ConsentRequest",
    "GiveResult",
    "SubjectConsents",
    "WithdrawalResult",
    "consents_of",
    "expire_consents",
    "give_batch",
    "give_consent",
    "give_in",
    "mark_reconsent_required",
    "policy_hash",
    "register_in_force",
    "verify",
    "withdraw_consent",
]

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 200
AGE_CATEGORIES = ("identity.iin", "identity.birth_date")
AGE_RULE = "age_of_majority"


@dataclass(frozen=True)
class ConsentRequest:
    """An act of consent as received (API, CLI, eGov callback), not yet checked."""

    subject_id: str
    scopes: Sequence[Scope]
    channel: ConsentChannel | str
    evidence: Evidence = field(default_factory=Evidence)
    given_by: GivenBy | str = GivenBy.SUBJECT
    representative: Representative | None = None
    valid_until: datetime | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class GiveResult:
    act_id: str
    consents: tuple[Consent, ...]
    replayed: bool  # True: the idempotency key was seen; the stored act is returned


@dataclass(frozen=True)
class WithdrawalResult:
    withdrawal_id: str
    subject_id: str
    scope: ScopeKind
    event: LedgerEvent
    consent_ids: tuple[str, ...]
    outcomes: tuple[WithdrawalOutcome, ...]
    at: datetime


@dataclass(frozen=True)
class SubjectConsents:
    subject_id: str
    operator_id: str
    consents: tuple[Consent, ...]
    at: datetime


# ------------------------------------------------------------------ helpers

_PARSED: dict[str, LoadedRegister] = {}
_POLICY_HASH: dict[str, str] = {}


def register_in_force(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """Inside an open unit of work: the operator's register in force (parsed once per text)."""
    stored = uow.registers.latest(operator_id)
    if stored is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    loaded = _PARSED.get(stored.sha256)
    if loaded is None:
        loaded = parse_register(stored.source_text, f"{operator_id}@{stored.sha256[:12]}")
        _PARSED[stored.sha256] = loaded
    return loaded


def policy_hash(loaded: LoadedRegister) -> str:
    """SHA-256 of the generated notice (ru, HTML) of this register: the policy text the
    subject was shown. Rendered once per register text."""
    cached = _POLICY_HASH.get(loaded.sha256)
    if cached is None:
        from derbes.register.service.notice import notice_for

        cached = hashlib.sha256(notice_for(loaded, "ru", "html")).hexdigest()
        _POLICY_HASH[loaded.sha256] = cached
    return cached


def live_subject(uow: UnitOfWork, subject_id: str, operator_id: str | None,
             *, allow_destroyed: bool = False) -> SubjectRecord:
    subject = uow.vault.get(subject_id) if isinstance(subject_id, str) else None
    # Another operator's subject looks exactly like an unknown one.
    if subject is None or (operator_id is not None and subject.operator_id != operator_id):
        raise NotFoundError("no such subject", field="subject_id")
    if subject.destroyed and not allow_destroyed:
        raise NotFoundError("the subject was destroyed: no personal data is held",
                            field="subject_id")
    return subject


def _settle_key_swaps(uow: UnitOfWork, keystore: KeyStore, clock: Clock,
                      subject_ids: Sequence[object]) -> None:
    """Finish a partial destruction a crash left between its two commits before sealing
    evidence with these subjects' keys: sealed under a key about to be destroyed, the
    evidence would be lost with it (vault/service/keyswap)."""
    ids = [s for s in dict.fromkeys(subject_ids) if isinstance(s, str) and s]
    if ids:
        keyswap.settle(uow, keystore, clock, ids)


def _consent_aad(consent_id: str, what: str) -> bytes:
    return crypto.consent_aad(consent_id, what)


def _seal_json(key: bytes, consent_id: str, what: str, data: Mapping[str, str]) -> bytes | None:
    if not data:
        return None
    plain = json.dumps(dict(data), sort_keys=True, ensure_ascii=False).encode("utf-8")
    return crypto.seal(key, plain, _consent_aad(consent_id, what))


def open_sealed_json(key: bytes, consent_id: str, what: str, sealed: bytes) -> dict[str, str]:
    data = json.loads(crypto.open_sealed(key, sealed, _consent_aad(consent_id, what)))
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _digest(sealed: bytes | None) -> str | None:
    # The ledger commits to the sealed evidence without holding it: the
    # ciphertext has a random nonce, so its digest tells nothing about the PD.
    return None if sealed is None else hashlib.sha256(sealed).hexdigest()


def _majority() -> Period:
    return load_regime().rule(AGE_RULE).value


def minor_in(uow: UnitOfWork, keystore: KeyStore, subject: SubjectRecord, now: datetime,
              actor: str, request_id: str | None, rules: ConsentRules) -> bool | None:
    """Whether the subject is under age, from the vault; None when nothing tells."""
    minor, categories = _age_check(
        uow, lambda: keystore.keys_for([subject.id]).get(subject.id), subject, now, _majority)
    if categories:
        uow.audit.record(AuditRecord(
            at=now, actor=actor, action="subject.read", subject_ids=[subject.id],
            categories=categories, purpose=rules.age_check_purpose, request_id=request_id,
            details={"operation": "consent_age_check", "citation": rules.age_check_citation},
        ))
    return minor


def _age_check(uow: UnitOfWork, data_key: Callable[[], bytes | None], subject: SubjectRecord,
               now: datetime, majority: Callable[[], Period]) -> tuple[bool | None, list[str]]:
    """Whether the subject is under age (None: nothing tells) and the categories read;
    the caller writes the audit entry of the read."""
    stored = uow.vault.values(subject.id, list(AGE_CATEGORIES))
    if not stored:
        return None, []
    key = data_key()
    if key is None:
        raise CryptoError("the data key of this subject is missing: destroyed, or not this "
                          "key store")
    birth: date | None = None
    for value in stored:
        aad = crypto.value_aad(value.subject_id, value.category, value.seq)
        plain = json.loads(crypto.open_sealed(key, value.sealed, aad))
        if not isinstance(plain, str):
            continue
        try:
            birth = (kz_iin.parse(plain).birth_date if value.category == "identity.iin"
                     else date.fromisoformat(plain))
        except (IdentifierError, ValueError):
            continue
        break
    categories = sorted({v.category for v in stored})
    if birth is None:
        return None, categories
    return rules_of.is_minor(birth, now.date(), majority()), categories


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    text = key.strip() if isinstance(key, str) else ""
    if not text or len(text) > MAX_IDEMPOTENCY_KEY:
        raise InputError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                         field="idempotency_key")
    return text


# --------------------------------------------------------------------- give


def give_in(
    uow: UnitOfWork,
    keystore: KeyStore,
    otp: OtpVerifier | None,
    request: ConsentRequest,
    actor: str,
    now: datetime,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
    via_egov: bool = False,
) -> GiveResult:
    """Record an act of consent inside an open unit of work (the caller commits).

    Checks, in order: channel and who gave it; the idempotency key (a retry of
    the same request returns the stored act; another request under the same
    key is a ``ConflictError``); the subject; scopes against the register in
    force; evidence the channel needs (and the OTP code); the term; the
    subject's age (a minor needs a representative, Law 94-V Art. 8).
    """
    rules = load_consent_rules()
    channel = rules_of.parse_channel(request.channel)
    if channel is ConsentChannel.EGOV and not via_egov:
        raise InputError("consents by eGov are recorded from the eGov service's callback",
                         field="channel")
    given_by = rules_of.parse_given_by(request.given_by)
    key = _check_key(request.idempotency_key)
    scopes_given = [Scope(rules_of.parse_scope_kind(s.kind, f"scopes[{i}].kind"),
                          tuple(s.purposes), tuple(s.recipients), tuple(s.cookie_categories))
                    for i, s in enumerate(request.scopes)]
    fingerprint = rules_of.request_fingerprint(request.subject_id, scopes_given, channel,
                                               request.evidence, given_by, request.valid_until)
    subject = live_subject(uow, request.subject_id, operator_id)
    if key is not None:
        before = uow.consents.by_idempotency_key(subject.operator_id, key)
        if before:
            if any(c.request_hash != fingerprint for c in before):
                raise ConflictError("this idempotency key was used for a different consent "
                                    "request", field="idempotency_key")
            return GiveResult(before[0].act_id, tuple(before), replayed=True)
    loaded = register_in_force(uow, subject.operator_id)
    register = loaded.register
    scopes = rules_of.validate_scopes(register, scopes_given, rules)
    evidence = rules_of.check_evidence(channel, request.evidence, rules)
    rules_of.check_valid_until(now, request.valid_until)
    minor = minor_in(uow, keystore, subject, now, actor, request_id, rules)
    representative = rules_of.check_given_by(given_by, request.representative, minor, rules)
    if channel is ConsentChannel.SMS_OTP:
        if otp is None:
            raise ConfigurationError("no OTP verifier is configured")
        otp.verify(evidence.otp_reference or "", evidence.otp_code or "", subject.id, now)

    sealed_part = evidence.sealed_part()
    data_key: bytes | None = None
    if sealed_part or representative is not None:
        data_key = keystore.keys_for([subject.id]).get(subject.id)
        if data_key is None:
            raise CryptoError("the data key of this subject is missing: destroyed, or not "
                              "this key store")
    act_id = str(uuid.uuid4())
    version, digest = register.policy.version_id, policy_hash(loaded)
    made: list[Consent] = []
    records: list[LedgerRecord] = []
    for scope in scopes:
        consent_id = str(uuid.uuid4())
        evidence_sealed = rep_sealed = None
        if data_key is not None:
            evidence_sealed = _seal_json(data_key, consent_id, "evidence", sealed_part)
            if representative is not None:
                rep_sealed = _seal_json(data_key, consent_id, "representative",
                                        representative.as_dict())
        consent = Consent(
            id=consent_id, act_id=act_id, subject_id=subject.id,
            operator_id=subject.operator_id, scope=scope, policy_version=version,
            policy_hash=digest, channel=channel, evidence_refs=evidence.references(),
            given_by=given_by, given_at=now, valid_until=request.valid_until,
            idempotency_key=key, request_hash=fingerprint, evidence_sealed=evidence_sealed,
            representative_sealed=rep_sealed,
        )
        made.append(consent)
        records.append(LedgerRecord(
            at=now, event=LedgerEvent.GIVEN.value, consent_id=consent_id,
            subject_id=subject.id,
            payload={"act_id": act_id, "operator_id": subject.operator_id,
                     "scope": scope.as_dict(), "policy_version": version,
                     "policy_hash": digest, "register_sha256": loaded.sha256,
                     "channel": channel.value, "evidence_refs": evidence.references(),
                     "evidence_sha256": _digest(evidence_sealed),
                     "evidence_fields": sorted(sealed_part),
                     "given_by": given_by.value,
                     "representative_sha256": _digest(rep_sealed),
                     "valid_until": request.valid_until, "minor": minor,
                     "request_hash": fingerprint, "actor": actor, "request_id": request_id},
        ))
    uow.consents.add(made)
    uow.consent_ledger.append(records)
    # A consent widens the purposes the subject is in: their clocks start now.
    retention.update_clocks(uow, subject.id, now, register=register)
    return GiveResult(act_id, tuple(made), replayed=False)


class _Checked:
    """The OTP verifier ``give_in`` sees once the codes were checked within the limits.

    Codes are checked (and every attempt recorded and committed) before the
    consent's own transaction opens: a failed attempt must be counted even
    though the consent is not stored, and on SQLite a second writer inside an
    open transaction would wait for itself.
    """

    def __init__(self, otp: OtpVerifier, checked: set[tuple[str, str, str]]) -> None:
        self._otp = otp
        self._checked = checked

    def verify(self, reference: str, code: str, subject_id: str, at: datetime) -> None:
        if (reference.strip(), code.strip(), subject_id) not in self._checked:
            self._otp.verify(reference, code, subject_id, at)

    def consume(self, reference: str) -> None:
        self._otp.consume(reference)


def _check_codes(uow: UnitOfWork, otp: OtpVerifier | None, requests: Sequence[ConsentRequest],
                 actor: str, clock: Clock, operator_id: str | None) -> OtpVerifier | None:
    """Check the SMS codes of ``requests`` within the identity limits, before the consent
    transaction (a replayed idempotency key or an unknown subject needs no check here:
    ``give_in`` answers those as before)."""
    from derbes.access.service.limits import OtpAttempt, otp_verify
    from derbes.bootstrap import context_over

    wanted = [r for r in requests if otp is not None and str(r.channel) == "sms_otp"
              and isinstance(r.evidence.otp_reference, str) and r.evidence.otp_reference.strip()
              and isinstance(r.subject_id, str)]
    if otp is None or not wanted:
        return otp
    checked: set[tuple[str, str, str]] = set()
    for request in wanted:
        key = request.idempotency_key.strip() if isinstance(request.idempotency_key, str) \
            else None
        with uow:
            subject = uow.vault.get(request.subject_id)
            if subject is None or subject.destroyed or (
                    operator_id is not None and subject.operator_id != operator_id):
                continue
            if key and uow.consents.by_idempotency_key(subject.operator_id, key):
                continue
        reference = str(request.evidence.otp_reference).strip()
        code = request.evidence.otp_code if isinstance(request.evidence.otp_code, str) else ""
        # Until this slice takes a context itself: one over its parts.
        otp_verify(context_over(uow, clock, actor, operator_id=operator_id), otp,
                   OtpAttempt(subject.id, reference, code, [subject.id], "evidence.otp_code"))
        checked.add((reference, code.strip(), subject.id))
    return _Checked(otp, checked)


def give_consent(
    uow: UnitOfWork,
    keystore: KeyStore,
    otp: OtpVerifier | None,
    request: ConsentRequest,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> GiveResult:
    """Record an act of consent: one consent per scope, each with its ledger entry."""
    checker = _check_codes(uow, otp, [request], actor, clock, operator_id)
    now = clock.now()
    _settle_key_swaps(uow, keystore, clock, [request.subject_id])
    with uow:
        result = give_in(uow, keystore, checker, request, actor, now, request_id,
                         operator_id=operator_id)
        uow.commit()
    if not result.replayed and otp is not None and request.evidence.otp_reference:
        otp.consume(request.evidence.otp_reference.strip())
    log.info("consent act %s: %d scope(s)%s", result.act_id, len(result.consents),
             " (replayed)" if result.replayed else "")
    return result


def give_batch(
    uow: UnitOfWork,
    keystore: KeyStore,
    otp: OtpVerifier | None,
    requests: Sequence[ConsentRequest],
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
) -> list[GiveResult]:
    """Record many acts of consent in one transaction (bulk ingest).

    The same checks as :func:`give_in`, for every request: channel, who gave
    it, the idempotency key (a retried key returns the stored act; a key
    repeated inside the batch with the same request returns the act made
    earlier in the batch), the subject, scopes against the register in force,
    evidence, term, age; evidence sealed with each subject's data key; one
    chained ledger entry per consent, appended in the same transaction. The
    idempotency keys, subjects' data keys and registers are looked up once
    per batch; the age check reads each subject's values once and the batch
    has one audit entry for those reads. Any failing request fails the whole
    batch: nothing is stored. Results are in the order of ``requests``.
    """
    if not requests:
        return []
    _settle_key_swaps(uow, keystore, clock, [r.subject_id for r in requests])
    rules = load_consent_rules()
    otp = _check_codes(uow, otp, requests, actor, clock, operator_id)
    now = clock.now()
    otp_refs: list[str] = []
    with uow:
        subjects: dict[str, SubjectRecord] = {}
        parsed: list[tuple[ConsentChannel, GivenBy, str | None, list[Scope], str,
                           SubjectRecord]] = []
        for request in requests:
            channel = rules_of.parse_channel(request.channel)
            if channel is ConsentChannel.EGOV:
                raise InputError("consents by eGov are recorded from the eGov service's "
                                 "callback", field="channel")
            given_by = rules_of.parse_given_by(request.given_by)
            key = _check_key(request.idempotency_key)
            scopes_given = [
                Scope(rules_of.parse_scope_kind(s.kind, f"scopes[{i}].kind"), tuple(s.purposes),
                      tuple(s.recipients), tuple(s.cookie_categories))
                for i, s in enumerate(request.scopes)]
            fingerprint = rules_of.request_fingerprint(
                request.subject_id, scopes_given, channel, request.evidence, given_by,
                request.valid_until)
            subject = subjects.get(request.subject_id) if isinstance(
                request.subject_id, str) else None
            if subject is None:
                subject = live_subject(uow, request.subject_id, operator_id)
                subjects[subject.id] = subject
            parsed.append((channel, given_by, key, scopes_given, fingerprint, subject))
        # Read once per batch: the age of majority (regime.yaml).
        majority_memo: list[Period] = []

        def majority() -> Period:
            if not majority_memo:
                majority_memo.append(_majority())
            return majority_memo[0]

        # The subjects' data keys in one key-store call (age check, sealing).
        data_keys = keystore.keys_for(sorted(subjects))
        # Idempotency keys already stored, per operator, in one query per operator.
        wanted: dict[str, set[str]] = {}
        for _, _, key, _, _, subject in parsed:
            if key is not None:
                wanted.setdefault(subject.operator_id, set()).add(key)
        stored: dict[tuple[str, str], list[Consent]] = {}
        for op, keys in wanted.items():
            for key, found in uow.consents.by_idempotency_keys(op, keys).items():
                stored[(op, key)] = found
        loaded_of: dict[str, LoadedRegister] = {}
        minors: dict[str, bool | None] = {}
        read: list[tuple[str, list[str]]] = []
        made: list[Consent] = []
        records: list[LedgerRecord] = []
        results: list[GiveResult] = []
        for request, (channel, given_by, key, scopes_given, fingerprint, subject) in zip(
                requests, parsed, strict=True):
            if key is not None:
                before = stored.get((subject.operator_id, key))
                if before:
                    if any(c.request_hash != fingerprint for c in before):
                        raise ConflictError("this idempotency key was used for a different "
                                            "consent request", field="idempotency_key")
                    results.append(GiveResult(before[0].act_id, tuple(before), replayed=True))
                    continue
            loaded = loaded_of.get(subject.operator_id)
            if loaded is None:
                loaded = register_in_force(uow, subject.operator_id)
                loaded_of[subject.operator_id] = loaded
            scopes = rules_of.validate_scopes(loaded.register, scopes_given, rules)
            evidence = rules_of.check_evidence(channel, request.evidence, rules)
            rules_of.check_valid_until(now, request.valid_until)
            if subject.id not in minors:
                minors[subject.id], categories = _age_check(
                    uow, partial(data_keys.get, subject.id), subject, now, majority)
                if categories:
                    read.append((subject.id, categories))
            minor = minors[subject.id]
            representative = rules_of.check_given_by(given_by, request.representative, minor,
                                                     rules)
            if channel is ConsentChannel.SMS_OTP:
                if otp is None:
                    raise ConfigurationError("no OTP verifier is configured")
                otp.verify(evidence.otp_reference or "", evidence.otp_code or "", subject.id,
                           now)
                otp_refs.append((evidence.otp_reference or "").strip())
            register = loaded.register
            act_id = str(uuid.uuid4())
            version, digest = register.policy.version_id, policy_hash(loaded)
            sealed_part = evidence.sealed_part()
            data_key: bytes | None = None
            if sealed_part or representative is not None:
                data_key = data_keys.get(subject.id)
                if data_key is None:
                    raise CryptoError("the data key of this subject is missing: destroyed, "
                                      "or not this key store")
            act: list[Consent] = []
            for scope in scopes:
                consent_id = str(uuid.uuid4())
                evidence_sealed = rep_sealed = None
                if data_key is not None:
                    evidence_sealed = _seal_json(data_key, consent_id, "evidence", sealed_part)
                    if representative is not None:
                        rep_sealed = _seal_json(data_key, consent_id, "representative",
                                                representative.as_dict())
                consent = Consent(
                    id=consent_id, act_id=act_id, subject_id=subject.id,
                    operator_id=subject.operator_id, scope=scope, policy_version=version,
                    policy_hash=digest, channel=channel, evidence_refs=evidence.references(),
                    given_by=given_by, given_at=now, valid_until=request.valid_until,
                    idempotency_key=key, request_hash=fingerprint,
                    evidence_sealed=evidence_sealed, representative_sealed=rep_sealed,
                )
                act.append(consent)
                made.append(consent)
                records.append(LedgerRecord(
                    at=now, event=LedgerEvent.GIVEN.value, consent_id=consent_id,
                    subject_id=subject.id,
                    payload={"act_id": act_id, "operator_id": subject.operator_id,
                             "scope": scope.as_dict(), "policy_version": version,
                             "policy_hash": digest, "register_sha256": loaded.sha256,
                             "channel": channel.value,
                             "evidence_refs": evidence.references(),
                             "evidence_sha256": _digest(evidence_sealed),
                             "evidence_fields": sorted(sealed_part),
                             "given_by": given_by.value,
                             "representative_sha256": _digest(rep_sealed),
                             "valid_until": request.valid_until, "minor": minor,
                             "request_hash": fingerprint, "actor": actor,
                             "request_id": request_id},
                ))
            if key is not None:
                stored[(subject.operator_id, key)] = act  # a repeat in this batch replays
            results.append(GiveResult(act_id, tuple(act), replayed=False))
        if read:
            uow.audit.record(AuditRecord(
                at=now, actor=actor, action="subject.read",
                subject_ids=[sid for sid, _ in read],
                categories=sorted({c for _, cats in read for c in cats}),
                purpose=rules.age_check_purpose, request_id=request_id,
                details={"operation": "consent_age_check",
                         "citation": rules.age_check_citation},
            ))
        uow.consents.add(made)
        uow.consent_ledger.append(records)
        for subject in subjects.values():
            loaded = loaded_of.get(subject.operator_id)
            if loaded is not None:
                retention.update_clocks(uow, subject.id, now, register=loaded.register)
        uow.commit()
    if otp is not None:
        for ref in otp_refs:
            otp.consume(ref)
    log.info("consent batch: %d act(s), %d consent(s)", len(requests), len(made))
    return results


# ----------------------------------------------------------------- withdraw


# The regime deadline within which processing on a withdrawn consent stops.
WITHDRAWAL_STOP = "consent_withdrawal_stop"


def withdrawal_terms(uow: UnitOfWork, subject_id: str, register: Register, now: datetime,
                     settings: Settings | None = None) -> rules_of.WithdrawalTerms:
    """Inside an open unit of work: the subject's clocks (one clock rule) and the
    statutory term to stop, for answering a withdrawal made at ``now``."""
    settings = settings or Settings()
    regime = apply_overrides(load_regime(settings.regime_file), register.regime_overrides)
    due = deadlines.due_under(regime, WITHDRAWAL_STOP, now, settings)
    found = retention.clocks_of(uow, subject_id, register)
    history = found.history
    return rules_of.WithdrawalTerms(
        on=now.date(),
        clocks=found.purposes, open_contracts=history.open_contracts,
        last_contract_closed=history.last_contract_closed, stop_by=due.due,
        stop_citation=due.citation)


def withdraw_consent(
    uow: UnitOfWork,
    subject_id: str,
    scope: ScopeKind | str,
    actor: str,
    clock: Clock,
    request_id: str | None = None,
    *,
    operator_id: str | None = None,
    settings: Settings | None = None,
) -> WithdrawalResult:
    """Withdraw one scope of a subject's consent; the answer is per purpose.

    Every consent of that scope is marked withdrawn (other scopes are not
    touched) and one ledger entry per consent records the outcomes: what
    stopped now, and what continues because of an open contract or the law,
    with the citation and, where known, the date until which. Withdrawing
    again later (say, after the contract is closed) is allowed and answered
    afresh.
    """
    rules = load_consent_rules()
    kind = rules_of.parse_scope_kind(scope)
    now = clock.now()
    withdrawal_id = str(uuid.uuid4())
    with uow:
        subject = live_subject(uow, subject_id, operator_id, allow_destroyed=True)
        given = uow.consents.for_subject(subject.id, kind)
        if not given:
            raise NotFoundError(f"the subject gave no consent of scope {kind.value}",
                                field="scope")
        register = register_in_force(uow, subject.operator_id).register
        uow.consents.mark_withdrawn([c.id for c in given], now)
        # The clocks are read with this withdrawal applied: its day starts them.
        terms = withdrawal_terms(uow, subject.id, register, now, settings)
        outcomes = rules_of.withdrawal_outcomes(register, kind, given, terms, rules)
        event = rules_of.withdrawal_event(outcomes)
        uow.consent_ledger.append([LedgerRecord(
            at=now, event=event.value, consent_id=c.id, subject_id=subject.id,
            payload={"withdrawal_id": withdrawal_id, "scope": kind.value,
                     "already_withdrawn": c.withdrawn_at is not None,
                     "outcomes": [o.as_dict() for o in outcomes],
                     "actor": actor, "request_id": request_id},
        ) for c in given])
        retention.update_clocks(uow, subject.id, now, register=register)
        uow.commit()
    return WithdrawalResult(withdrawal_id, subject.id, kind, event,
                            tuple(c.id for c in given), outcomes, now)


# --------------------------------------------------------------- show, expire


def consents_of(
    uow: UnitOfWork, subject_id: str, clock: Clock, *, operator_id: str | None = None
) -> SubjectConsents:
    """The subject's consents, oldest first (status: ``Consent.status_on(result.at)``)."""
    with uow:
        subject = live_subject(uow, subject_id, operator_id, allow_destroyed=True)
        found = uow.consents.for_subject(subject.id)
    return SubjectConsents(subject.id, subject.operator_id, tuple(found), clock.now())


def expire_consents(uow: UnitOfWork, clock: Clock, actor: str, limit: int = 1000) -> int:
    """Mark consents whose term ended as expired, each with an ``expired`` ledger entry."""
    now = clock.now()
    with uow:
        due = uow.consents.expiring(now, limit)
        uow.consents.mark_expired([c.id for c in due], now)
        for subject_id in sorted({c.subject_id for c in due}):
            retention.update_clocks(uow, subject_id, now)
        uow.consent_ledger.append([LedgerRecord(
            at=now, event=LedgerEvent.EXPIRED.value, consent_id=c.id, subject_id=c.subject_id,
            payload={"valid_until": c.valid_until, "actor": actor}) for c in due])
        uow.commit()
    return len(due)


def mark_reconsent_required(
    uow: UnitOfWork, consent_ids: Collection[str], since: datetime,
    details: Mapping[str, Any], actor: str,
) -> int:
    """Inside an open unit of work (the caller commits): mark consents as needing a new
    consent after a widening policy change, with a ``reconsent_required`` entry each.

    Consents already marked are skipped. ``details`` (JSON, no PD) says why:
    the register versions and the widening changes.
    """
    marked: list[Consent] = []
    for consent_id in dict.fromkeys(consent_ids):
        consent = uow.consents.get(consent_id)
        if consent is None:
            raise NotFoundError("no such consent", field="consent_id")
        if consent.needs_reconsent_since is None:
            marked.append(consent)
    uow.consents.mark_needs_reconsent([c.id for c in marked], since)
    uow.consent_ledger.append([LedgerRecord(
        at=since, event=LedgerEvent.RECONSENT_REQUIRED.value, consent_id=c.id,
        subject_id=c.subject_id, payload={**dict(details), "actor": actor}) for c in marked])
    return len(marked)


# ------------------------------------------------------------------- verify


def verify(
    uow: UnitOfWork, key: bytes, expected_head: tuple[int, str] | None = None,
    anchor: Anchor | None = None,
) -> Verification:
    """Walk the whole consent ledger; report every edited, deleted, inserted or
    reordered entry, a cut-off tail, and an anchored entry no longer there.
    ``key``: the ledger key (``Container.ledger_key``)."""
    from derbes.audit.service import with_anchor

    with uow:
        recorded = uow.consent_ledger.head()
        result = verify_ledger(key, uow.consent_ledger.entries(),
                               fetch=uow.consent_ledger.entry, recorded_head=recorded,
                               expected_head=expected_head)
        return with_anchor(result, anchor,
                           lambda seq: (e.hash if (e := uow.consent_ledger.entry(seq)) else None))


def ledger_of(uow: UnitOfWork, subject_id: str) -> list[LedgerEntry]:
    with uow:
        return uow.consent_ledger.for_subject(subject_id)


def register_of_subject(uow: UnitOfWork, subject_id: str) -> Register:
    with uow:
        subject = live_subject(uow, subject_id, None, allow_destroyed=True)
        return register_in_force(uow, subject.operator_id).register

