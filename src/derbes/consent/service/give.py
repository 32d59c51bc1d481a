"""Giving consent: one act, or many in one transaction; an act inside a caller's one.

Every act goes through the same checks, in order: channel and who gave it; the
idempotency key (a retry of the same request returns the stored act; another
request under the same key is a ``ConflictError``; a key repeated inside a
batch with the same request returns the act made earlier in the batch); the
subject; scopes against the register in force; evidence the channel needs (and
the OTP code); the term; the subject's age (a minor needs a representative,
Law 94-V Art. 8). Evidence is sealed with the subject's data key, and each
consent gets one chained ledger entry in the same transaction. Any failing act
fails the whole batch: nothing is stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from derbes.consent.model import consent as rules_of
from derbes.consent.model.act import ConsentRequest, GiveResult
from derbes.consent.model.consent import (
    Consent,
    ConsentChannel,
    Evidence,
    GivenBy,
    LedgerEvent,
    Representative,
    Scope,
)
from derbes.consent.model.ledger import LedgerRecord
from derbes.consent.service.codes import check_codes
from derbes.consent.service.sealing import digest, seal_json
from derbes.consent.service.subjects import (
    AgeCheck,
    live_subject,
    record_age_reads,
    settle_key_swaps,
)
from derbes.context import Context
from derbes.errors import ConfigurationError, ConflictError, CryptoError, InputError
from derbes.platform.otp import OtpVerifier
from derbes.register.model.loaded import LoadedRegister
from derbes.register.service.in_force import in_force_in
from derbes.retention.service import clocks as retention
from derbes.vault.ports import SubjectRecord

__all__ = ["ConsentRequest", "GiveResult", "give_batch", "give_consent", "give_in"]

log = logging.getLogger(__name__)

MAX_IDEMPOTENCY_KEY = 200


def _check_key(key: str | None) -> str | None:
    if key is None:
        return None
    text = key.strip() if isinstance(key, str) else ""
    if not text or len(text) > MAX_IDEMPOTENCY_KEY:
        raise InputError(f"idempotency_key must be 1 to {MAX_IDEMPOTENCY_KEY} characters",
                         field="idempotency_key")
    return text


@dataclass(frozen=True)
class _Parsed:
    """A request whose form was checked, and its subject."""

    request: ConsentRequest
    channel: ConsentChannel
    given_by: GivenBy
    key: str | None
    scopes: list[Scope]
    fingerprint: str
    subject: SubjectRecord


def _parse(ctx: Context, request: ConsentRequest, subjects: dict[str, SubjectRecord],
           *, via_egov: bool) -> _Parsed:
    channel = rules_of.parse_channel(request.channel)
    if channel is ConsentChannel.EGOV and not via_egov:
        raise InputError("consents by eGov are recorded from the eGov service's callback",
                         field="channel")
    given_by = rules_of.parse_given_by(request.given_by)
    key = _check_key(request.idempotency_key)
    scopes = [Scope(rules_of.parse_scope_kind(s.kind, f"scopes[{i}].kind"), tuple(s.purposes),
                    tuple(s.recipients), tuple(s.cookie_categories))
              for i, s in enumerate(request.scopes)]
    fingerprint = rules_of.request_fingerprint(request.subject_id, scopes, channel,
                                               request.evidence, given_by, request.valid_until)
    subject = subjects.get(request.subject_id) if isinstance(request.subject_id, str) else None
    if subject is None:
        subject = live_subject(ctx.uow, request.subject_id, ctx.scope)
        subjects[subject.id] = subject
    return _Parsed(request, channel, given_by, key, scopes, fingerprint, subject)


class _Batch:
    """Acts of consent made in one open unit of work. The idempotency keys, the
    subjects' data keys and the registers are looked up once per batch; the age
    check reads each subject's values once."""

    def __init__(self, ctx: Context, otp: OtpVerifier | None, parsed: Sequence[_Parsed],
                 now: datetime) -> None:
        self.ctx, self.otp, self.now = ctx, otp, now
        self._subject_ids = sorted({p.subject.id for p in parsed})
        self._keys: dict[str, bytes] | None = None
        self.registers: dict[str, LoadedRegister] = {}
        self._policy_hashes: dict[str, str] = {}  # by the register's sha256
        self.age = AgeCheck(ctx, self.data_key)
        self.stored = self._stored_acts(parsed)
        self.made: list[Consent] = []
        self.records: list[LedgerRecord] = []
        self.otp_refs: list[str] = []

    def _stored_acts(self, parsed: Sequence[_Parsed]) -> dict[tuple[str, str], list[Consent]]:
        wanted: dict[str, set[str]] = {}
        for p in parsed:
            if p.key is not None:
                wanted.setdefault(p.subject.operator_id, set()).add(p.key)
        stored: dict[tuple[str, str], list[Consent]] = {}
        for operator, keys in wanted.items():
            for key, found in self.ctx.uow.consents.by_idempotency_keys(operator, keys).items():
                stored[(operator, key)] = found
        return stored

    def data_key(self, subject_id: str) -> bytes | None:
        if self._keys is None:  # one key-store call for the batch, when first needed
            self._keys = self.ctx.keystore.keys_for(self._subject_ids)
        return self._keys.get(subject_id)

    def register(self, operator_id: str) -> LoadedRegister:
        loaded = self.registers.get(operator_id)
        if loaded is None:
            loaded = self.registers[operator_id] = in_force_in(self.ctx.uow, operator_id)
        return loaded

    def policy_hash(self, loaded: LoadedRegister) -> str:
        """The hash of the register's policy text, looked up once per register a batch."""
        found = self._policy_hashes.get(loaded.sha256)
        if found is None:
            found = self._policy_hashes[loaded.sha256] = self.ctx.uow.registers.policy_hash(
                loaded)
        return found

    def replay(self, p: _Parsed) -> GiveResult | None:
        """The act already stored under this request's idempotency key, if any."""
        before = None if p.key is None else self.stored.get((p.subject.operator_id, p.key))
        if not before:
            return None
        if any(c.request_hash != p.fingerprint for c in before):
            raise ConflictError("this idempotency key was used for a different consent "
                                "request", field="idempotency_key")
        return GiveResult(before[0].act_id, tuple(before), replayed=True)

    def give(self, p: _Parsed, at: datetime | None = None) -> GiveResult:
        """Check one act against its register and record it, as given at ``at`` (now)."""
        rules, subject, request = self.ctx.rules.consent, p.subject, p.request
        at = self.now if at is None else at
        loaded = self.register(subject.operator_id)
        scopes = rules_of.validate_scopes(loaded.register, p.scopes, rules)
        evidence = rules_of.check_evidence(p.channel, request.evidence, rules)
        rules_of.check_valid_until(at, request.valid_until)
        minor = self.age.minor(subject, loaded.register, at)
        representative = rules_of.check_given_by(p.given_by, request.representative, minor,
                                                 rules)
        if p.channel is ConsentChannel.SMS_OTP:
            if self.otp is None:
                raise ConfigurationError("no OTP verifier is configured")
            self.otp.verify(evidence.otp_reference or "", evidence.otp_code or "", subject.id,
                            at)
            self.otp_refs.append((evidence.otp_reference or "").strip())
        act = _Act(p, loaded, evidence, representative, minor, self.policy_hash(loaded))
        consents = [self._consent(act, scope, at) for scope in scopes]
        if p.key is not None:
            self.stored[(subject.operator_id, p.key)] = consents  # a repeat replays
        return GiveResult(act.act_id, tuple(consents), replayed=False)

    def _consent(self, act: _Act, scope: Scope, at: datetime) -> Consent:
        p, sealed_part = act.parsed, act.evidence.sealed_part()
        key = self._sealing_key(act)
        consent_id = str(uuid.uuid4())
        evidence_sealed = rep_sealed = None
        if key is not None:
            evidence_sealed = seal_json(key, consent_id, "evidence", sealed_part)
            if act.representative is not None:
                rep_sealed = seal_json(key, consent_id, "representative",
                                       act.representative.as_dict())
        register = act.loaded.register
        consent = Consent(
            id=consent_id, act_id=act.act_id, subject_id=p.subject.id,
            operator_id=p.subject.operator_id, scope=scope,
            policy_version=register.policy.version_id, policy_hash=act.policy_hash,
            channel=p.channel, evidence_refs=act.evidence.references(), given_by=p.given_by,
            given_at=at, valid_until=p.request.valid_until, idempotency_key=p.key,
            request_hash=p.fingerprint, evidence_sealed=evidence_sealed,
            representative_sealed=rep_sealed,
        )
        self.made.append(consent)
        self.records.append(LedgerRecord(
            at=at, event=LedgerEvent.GIVEN.value, consent_id=consent_id,
            subject_id=p.subject.id, payload={
                "act_id": act.act_id, "operator_id": p.subject.operator_id,
                "scope": scope.as_dict(), "policy_version": consent.policy_version,
                "policy_hash": act.policy_hash, "register_sha256": act.loaded.sha256,
                "channel": p.channel.value, "evidence_refs": act.evidence.references(),
                "evidence_sha256": digest(evidence_sealed),
                "evidence_fields": sorted(sealed_part), "given_by": p.given_by.value,
                "representative_sha256": digest(rep_sealed),
                "valid_until": p.request.valid_until, "minor": act.minor,
                "request_hash": p.fingerprint, "actor": self.ctx.actor,
                "request_id": self.ctx.request_id},
        ))
        return consent

    def _sealing_key(self, act: _Act) -> bytes | None:
        if not act.evidence.sealed_part() and act.representative is None:
            return None
        key = self.data_key(act.parsed.subject.id)
        if key is None:
            raise CryptoError("the data key of this subject is missing: destroyed, or not "
                              "this key store")
        return key


@dataclass
class _Act:
    parsed: _Parsed
    loaded: LoadedRegister
    evidence: Evidence
    representative: Representative | None
    minor: bool | None
    policy_hash: str
    act_id: str = field(default_factory=lambda: str(uuid.uuid4()))


def _known_subjects(ctx: Context, requests: Sequence[ConsentRequest]
                    ) -> dict[str, SubjectRecord]:
    """The live subjects of the batch in scope, read in one query; any other id is left
    to ``live_subject``, which says what is wrong with it."""
    ids = {r.subject_id for r in requests if isinstance(r.subject_id, str)}
    return {sid: s for sid, s in ctx.uow.vault.get_many(ids).items()
            if ctx.scope.admits(s.operator_id) and not s.destroyed}


def _check_times(ctx: Context, requests: Sequence[ConsentRequest],
                 given_at: Sequence[datetime]) -> None:
    if len(given_at) != len(requests):
        raise InputError("one given_at per act", field="given_at")
    now = ctx.now()
    for index, at in enumerate(given_at):
        if at.tzinfo is None or at > now:
            raise InputError(f"acts[{index}]: given_at must carry a time zone and not be "
                             "in the future", field="given_at")


def _give_all(ctx: Context, otp: OtpVerifier | None, requests: Sequence[ConsentRequest],
              *, via_egov: bool = False, given_at: Sequence[datetime] | None = None
              ) -> tuple[list[GiveResult], _Batch]:
    """Inside an open unit of work (the caller commits): check and record ``requests``."""
    now = ctx.now()
    subjects = _known_subjects(ctx, requests)
    parsed = [_parse(ctx, r, subjects, via_egov=via_egov) for r in requests]
    batch = _Batch(ctx, otp, parsed, now)
    batch.age.prefetch(sorted(subjects))
    times: Sequence[datetime | None] = given_at if given_at is not None else [None] * len(parsed)
    results = [batch.replay(p) or batch.give(p, at) for p, at in zip(parsed, times, strict=True)]
    record_age_reads(ctx, batch.age, now)
    ctx.uow.consents.add(batch.made)
    ctx.uow.consent_ledger.append(batch.records)
    # A consent widens the purposes the subject is in: their clocks start now (the
    # batch's subjects read and written together).
    retention.update_clocks_of(
        ctx.uow, list(subjects.values()), now, calendars=ctx.rules.calendars,
        registers={operator: loaded.register for operator, loaded in batch.registers.items()})
    return results, batch


def give_in(ctx: Context, otp: OtpVerifier | None, request: ConsentRequest,
            *, via_egov: bool = False) -> GiveResult:
    """Record an act of consent inside an open unit of work (the caller commits and
    consumes the OTP code): a batch of one. ``via_egov``: the eGov service's callback
    records a consent by eGov."""
    results, _ = _give_all(ctx, otp, [request], via_egov=via_egov)
    return results[0]


def give_batch(ctx: Context, otp: OtpVerifier | None, requests: Sequence[ConsentRequest],
               *, given_at: Sequence[datetime] | None = None) -> list[GiveResult]:
    """Record many acts of consent in one transaction (bulk ingest); results in the
    order of ``requests``. The age check's reads have one audit entry for the batch.

    ``given_at``: when each act was given, for consents migrated from an earlier
    system (checked as of that time: the term, the subject's age); default now.
    """
    if not requests:
        return []
    if given_at is not None:
        _check_times(ctx, requests, given_at)
    settle_key_swaps(ctx, [r.subject_id for r in requests])
    checker = check_codes(ctx, otp, requests)
    with ctx.uow:
        results, batch = _give_all(ctx, checker, requests, given_at=given_at)
        ctx.uow.commit()
    if otp is not None:
        for reference in batch.otp_refs:
            otp.consume(reference)
    log.info("consent batch: %d act(s), %d consent(s)", len(requests), len(batch.made))
    return results


def give_consent(ctx: Context, otp: OtpVerifier | None, request: ConsentRequest) -> GiveResult:
    """Record an act of consent: one consent per scope, each with its ledger entry."""
    result = give_batch(ctx, otp, [request])[0]
    log.info("consent act %s: %d scope(s)%s", result.act_id, len(result.consents),
             " (replayed)" if result.replayed else "")
    return result
