"""The subject a consent is about: known, of an operator in scope, of age or not.

Reading the subject's IIN or birth date to decide whether a representative is
needed is an audited internal read under a system purpose
(``data/consent_rules.yaml``: ``age_check_purpose``). The age of majority is
the regime's rule in force: the shipped table or the DPO's copy
(``DERBES_REGIME_FILE``), with the operator's register's overrides.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date, datetime

from derbes.audit.model.log import AuditRecord
from derbes.consent.model import consent as rules_of
from derbes.context import Context, OperatorScope
from derbes.deadlines.model.periods import Period
from derbes.deadlines.model.regime import Regime, apply_overrides
from derbes.errors import CryptoError, IdentifierError, NotFoundError
from derbes.identifiers.model import iin as kz_iin
from derbes.platform import crypto
from derbes.register.model.register import Register
from derbes.uow import UnitOfWork
from derbes.vault.ports import SealedValue, SubjectRecord
from derbes.vault.service import keyswap

__all__ = ["AGE_CATEGORIES", "AGE_RULE", "AgeCheck", "live_subject", "majority",
           "minor_in", "record_age_reads", "regime_of", "settle_key_swaps"]

AGE_CATEGORIES = ("identity.iin", "identity.birth_date")
AGE_RULE = "age_of_majority"


def live_subject(uow: UnitOfWork, subject_id: str, scope: OperatorScope,
                 *, allow_destroyed: bool = False) -> SubjectRecord:
    """Inside an open unit of work: the subject, if known, in ``scope`` and (unless
    ``allow_destroyed``) not destroyed."""
    subject = uow.vault.get(subject_id) if isinstance(subject_id, str) else None
    # Another operator's subject looks exactly like an unknown one.
    if subject is None or not scope.admits(subject.operator_id):
        raise NotFoundError("no such subject", field="subject_id")
    if subject.destroyed and not allow_destroyed:
        raise NotFoundError("the subject was destroyed: no personal data is held",
                            field="subject_id")
    return subject


def settle_key_swaps(ctx: Context, subject_ids: Sequence[object]) -> None:
    """Finish a partial destruction a crash left between its two commits before sealing
    evidence with these subjects' keys: sealed under a key about to be destroyed, the
    evidence would be lost with it (vault/service/keyswap)."""
    ids = [s for s in dict.fromkeys(subject_ids) if isinstance(s, str) and s]
    if ids:
        keyswap.settle(ctx.uow, ctx.keystore, ctx.clock, ids)


def regime_of(ctx: Context, register: Register) -> Regime:
    """The regime in force for the operator of ``register``: the installation's table,
    made stricter by the register's own promises."""
    return apply_overrides(ctx.rules.regime, register.regime_overrides)


def majority(ctx: Context, register: Register) -> Period:
    """The age of majority in force (Law 94-V Art. 8: a minor consents through a
    legal representative)."""
    return regime_of(ctx, register).rule(AGE_RULE).value


class AgeCheck:
    """Whether subjects are under age, each read once; the reads are audited together.

    ``data_key`` gives a subject's data key when a value must be opened. The birth
    date is read once per subject and the answer worked out for each act's day: acts
    migrated from an earlier system may be years apart.
    """

    def __init__(self, ctx: Context, data_key: Callable[[str], bytes | None]) -> None:
        self._ctx = ctx
        self._data_key = data_key
        self._births: dict[str, date | None] = {}
        self._majority: dict[str, Period] = {}
        self._stored: dict[str, list[SealedValue]] | None = None
        self._prefetched: frozenset[str] = frozenset()
        self.read: list[tuple[str, list[str]]] = []

    def prefetch(self, subject_ids: Sequence[str]) -> None:
        """Read the age values of all these subjects in one query (a batch's subjects)."""
        self._stored = self._ctx.uow.vault.values_of_many(subject_ids, AGE_CATEGORIES)
        self._prefetched = frozenset(subject_ids)

    def minor(self, subject: SubjectRecord, register: Register, now: datetime) -> bool | None:
        """Whether ``subject`` is under age on ``now`` (None: nothing in the vault tells)."""
        if subject.id not in self._births:
            birth, categories = self._check(subject)
            self._births[subject.id] = birth
            if categories:
                self.read.append((subject.id, categories))
        birth = self._births[subject.id]
        if birth is None:
            return None
        operator = register.operator.id
        if operator not in self._majority:
            self._majority[operator] = majority(self._ctx, register)
        return rules_of.is_minor(birth, now.date(), self._majority[operator])

    def _check(self, subject: SubjectRecord) -> tuple[date | None, list[str]]:
        stored = (self._stored.get(subject.id, []) if self._stored is not None
                  and subject.id in self._prefetched
                  else self._ctx.uow.vault.values(subject.id, list(AGE_CATEGORIES)))
        if not stored:
            return None, []
        key = self._data_key(subject.id)
        if key is None:
            raise CryptoError("the data key of this subject is missing: destroyed, or not "
                              "this key store")
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
        return birth, sorted({v.category for v in stored})


def record_age_reads(ctx: Context, check: AgeCheck, now: datetime) -> None:
    """One audit entry for the values an age check opened (none if it opened nothing)."""
    if not check.read:
        return
    rules = ctx.rules.consent
    ctx.uow.audit.record(AuditRecord(
        at=now, actor=ctx.actor, action="subject.read",
        subject_ids=[sid for sid, _ in check.read],
        categories=sorted({c for _, cats in check.read for c in cats}),
        purpose=rules.age_check_purpose, request_id=ctx.request_id,
        details={"operation": "consent_age_check", "citation": rules.age_check_citation},
    ))


def minor_in(ctx: Context, subject: SubjectRecord, register: Register) -> bool | None:
    """Inside an open unit of work: whether the subject is under age, from the vault
    (None when nothing tells); the read is audited."""
    now = ctx.now()
    check = AgeCheck(ctx, lambda sid: ctx.keystore.keys_for([sid]).get(sid))
    minor = check.minor(subject, register, now)
    record_age_reads(ctx, check, now)
    return minor
