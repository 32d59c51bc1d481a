"""Use cases of data-subject requests (Law 94-V Art. 24): file, verify, answer, close.

A request is filed (by the subject or a representative), the requester's
identity is verified (SMS OTP through the OTP port, or staff who saw a
document), then it is answered within the deadline the regime table sets for
its type (``data/request_types.yaml``; the register's stricter overrides
apply). Every transition is stored with its actor and reason and written to
the access audit log in the same transaction.

No PD in clear leaves this module towards the database: what the requester
gives (identifiers, the representative's document, rectification values,
supporting documents) and the full answer (which lists PD values) are sealed
with the request's own data key in the key store (key id ``request:<id>``,
AAD bound to the request and field). Destroying that key shreds them.

Unknown subjects: a request for somebody derbes does not know is accepted
like any other and, once the requester is verified, answered "no data held".
Filing never tells whether a person is a customer.

Operator databases: every dataset of the operator in ``settings.datasets_dir``
is a store (``datasets/adapters/connectors``). Access collects the subject's rows in
each; destruction first plans every store (a store that is down stops the
request before anything changes), then applies store by store, each in its
own transaction, then shreds in the vault. A store failing mid-way changes
nothing in that store; the request stays in progress, says why, and running
the answer again finishes the job (a plan of what is already erased is empty).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from derbes.audit.model.log import AuditRecord
from derbes.datasets.adapters.connectors import OperatorStore
from derbes.datasets.model import Dataset, IdentityKind, SubjectIdentity
from derbes.deadlines import service as deadlines
from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.regime import Regime, apply_overrides
from derbes.deadlines.model.wording import as_lang
from derbes.errors import (
    ConfigurationError,
    ConflictError,
    DerbesError,
    InputError,
    LegalRestrictionError,
    NotFoundError,
    StoreUnavailableError,
)
from derbes.platform import crypto
from derbes.platform.clock import Clock
from derbes.platform.labels import Lang
from derbes.platform.otp import IssuedOtp, OtpVerifier
from derbes.register.adapters.yaml import LoadedRegister, parse_register
from derbes.register.model.register import BasisKind, Register
from derbes.requests import model as rq
from derbes.requests.adapters.rules import load_request_rules
from derbes.requests.adapters.store import RequestFilter
from derbes.requests.model import (
    DestructionOutcome,
    RequesterKind,
    RequestRules,
    RequestState,
    RequestType,
    SubjectRequest,
    Transition,
    VerificationMethod,
)
from derbes.retention.model.clocks import PurposeClock
from derbes.retention.service import sweep as retention
from derbes.settings import Settings
from derbes.uow import UnitOfWork
from derbes.vault.model import (
    SUBJECT_ACCESS_REQUEST,
    LookupKind,
    NewValue,
    Provenance,
    Source,
    normalise_identifier,
)
from derbes.vault.ports import KeyStore
from derbes.vault.service import subjects as vault_service

if TYPE_CHECKING:
    from derbes.context import Context

__all__ = [
    "AccessAnswer",
    "NewRequest",
    "RequestView",
    "StoreOpener",
    "answer_access",
    "answer_claim",
    "answer_request",
    "due_tomorrow",
    "execute_blocking",
    "execute_destruction",
    "execute_rectification",
    "execute_withdrawal",
    "file_request",
    "full_answer",
    "issue_otp",
    "list_requests",
    "overdue",
    "refuse",
    "show",
    "start",
    "stores_from_dir",
    "verify_by_otp",
    "verify_by_staff",
    "withdraw_request",
]

log = logging.getLogger(__name__)

MAX_IDENTIFIERS = 5
MAX_PAYLOAD = 50_000  # characters of the JSON of a request's payload


class OtpPort(OtpVerifier, Protocol):
    """The OTP port of ``platform/otp.py``, with the sending half."""

    def issue(self, subject_id: str, at: datetime) -> IssuedOtp: ...


class Forgetful(Protocol):
    """What blocking needs of the decision point: drop a subject's cached state."""

    def forget(self, subject_ids: Sequence[str] | None = None) -> None: ...


StoreOpener = Callable[[str, Register], Sequence[OperatorStore]]
"""The stores (operator databases) of an operator, built for its register in force."""


def _no_stores(operator_id: str, register: Register) -> Sequence[OperatorStore]:
    return ()


@dataclass
class _DatasetFile:
    """One version of a dataset file: its operator, and its dataset per register checked."""

    operator: str | None
    checked: list[tuple[Register, Dataset]] = field(default_factory=list)


_DATASET_FILES: dict[tuple[str, int, int, int], _DatasetFile] = {}
_DATASET_FILES_LOCK = threading.Lock()
_MAX_DATASET_FILES = 64
_MAX_REGISTERS_PER_FILE = 4


def _dataset_of(path: Path, operator_id: str, register: Register) -> Dataset | None:
    """The dataset of ``path`` if it is ``operator_id``'s, validated against ``register``.

    Parsed and validated once per version of the file (path, inode, size, mtime) and
    register: every request opens the stores, and parsing the YAML each time would
    cost more than the answer. A file that fails to load is not cached.
    """
    from derbes.datasets.adapters.yaml import load_dataset, operator_of

    try:
        info = path.stat()
    except OSError:
        return None
    key = (str(path), info.st_ino, info.st_size, info.st_mtime_ns)
    with _DATASET_FILES_LOCK:
        entry = _DATASET_FILES.get(key)
    if entry is None:
        entry = _DatasetFile(operator_of(path))
        with _DATASET_FILES_LOCK:
            if len(_DATASET_FILES) >= _MAX_DATASET_FILES:
                _DATASET_FILES.clear()
            entry = _DATASET_FILES.setdefault(key, entry)
    if entry.operator != operator_id:
        return None
    with _DATASET_FILES_LOCK:
        for checked_for, dataset in entry.checked:
            if checked_for is register:
                return dataset
    dataset = load_dataset(path, register).dataset
    with _DATASET_FILES_LOCK:
        entry.checked.append((register, dataset))
        del entry.checked[:-_MAX_REGISTERS_PER_FILE]
    return dataset


def stores_from_dir(directory: Path, environ: Mapping[str, str] | None = None) -> StoreOpener:
    """Every dataset file of ``directory`` whose operator is the one asked, as a SQL store
    (URL from the dataset's environment variable). Datasets are parsed once per file
    version and register; stores share one engine (connection pool) per URL."""
    from derbes.datasets.adapters.connectors.sql import SqlStore

    def opener(operator_id: str, register: Register) -> Sequence[OperatorStore]:
        if not directory.is_dir():
            return ()
        out: list[OperatorStore] = []
        for path in sorted(directory.glob("*.yaml")):
            dataset = _dataset_of(path, operator_id, register)
            if dataset is not None:
                out.append(SqlStore.from_env(dataset, environ, shared=True))
        return out

    return opener


@contextmanager
def _opened(opener: StoreOpener, operator_id: str, register: Register
            ) -> Iterator[Sequence[OperatorStore]]:
    stores = opener(operator_id, register)
    with ExitStack() as stack:
        for store in stores:
            close = getattr(store, "close", None)
            if callable(close):
                stack.callback(close)
        yield stores


# ------------------------------------------------------------------ inputs


@dataclass(frozen=True)
class NewRequest:
    """A request as received (API, CLI), not yet checked.

    ``identifiers``: how the requester names the subject (iin, phone, email,
    customer_id); ``subject_id``: the operator's internal id if already known.
    ``payload``: what the type needs — rectification ``values`` ({category:
    value}) and ``document_ref``; destruction ``categories`` (optional);
    withdrawal ``scope``; complaint / claim ``text``.
    """

    operator_id: str
    type: RequestType | str
    language: str = "ru"
    identifiers: Mapping[str, str] = field(default_factory=dict, repr=False)
    subject_id: str | None = None
    requester: RequesterKind | str = RequesterKind.SUBJECT
    representative_document: str | None = field(default=None, repr=False)
    payload: Mapping[str, Any] = field(default_factory=dict, repr=False)
    received_at: datetime | None = None  # default: now


@dataclass(frozen=True)
class RequestView:
    request: SubjectRequest
    transitions: tuple[Transition, ...]

    def as_dict(self) -> dict[str, Any]:
        r = self.request
        return {
            "id": r.id, "operator_id": r.operator_id, "subject_id": r.subject_id,
            "type": r.type.value, "state": r.state.value, "language": r.language,
            "received_at": r.received_at.isoformat(), "due_date": r.due_date.isoformat(),
            "deadline": {"id": r.deadline_id, "citation": r.deadline_citation},
            "requester": r.requester.value,
            "verification": None if r.verification_method is None else {
                "method": r.verification_method.value, "reference": r.verification_ref},
            "answer": r.answer, "refusal_reasons": list(r.refusal_reasons),
            "pending_reason": r.pending_reason,
            "closed_at": r.closed_at.isoformat() if r.closed_at else None,
            "transitions": [{"from": t.from_state.value if t.from_state else None,
                             "to": t.to_state.value, "at": t.at.isoformat(),
                             "actor": t.actor, "reason": t.reason}
                            for t in self.transitions],
        }


@dataclass(frozen=True)
class AccessAnswer:
    """What an answer returns to the caller: the stored request and the full answer
    (which may list PD values: never logged, stored only sealed)."""

    request: SubjectRequest
    answer: Mapping[str, Any] = field(repr=False)


# ------------------------------------------------------------------ helpers

_REGISTERS: dict[str, LoadedRegister] = {}


def _register(uow: UnitOfWork, operator_id: str) -> LoadedRegister:
    """Inside an open unit of work: the register in force (parsed once per version)."""
    stored = uow.registers.latest(operator_id)
    if stored is None:
        raise NotFoundError(f"no register published for operator {operator_id!r}",
                            field="operator")
    loaded = _REGISTERS.get(stored.sha256)
    if loaded is None:
        loaded = parse_register(stored.source_text, f"{operator_id}@{stored.sha256[:12]}")
        _REGISTERS[stored.sha256] = loaded
    return loaded


def _regime(settings: Settings, register: Register) -> Regime:
    """The regime in force for this operator: the law, and its own promises only."""
    return apply_overrides(load_regime(settings.regime_file), register.regime_overrides,
                           operator=register.operator.id)


def _rules(regime: Regime) -> RequestRules:
    return load_request_rules(list(regime.deadlines))


def _vault_context(uow: UnitOfWork, keystore: KeyStore | None, clock: Clock, actor: str,
                   request_id: str | None, operator_id: str | None) -> Context:
    """The vault's and the identity limits' use cases take a context; until this slice
    takes one itself, a context over its parts."""
    from derbes.bootstrap import context_over

    return context_over(uow, clock, actor, request_id, operator_id, keystore)


def _key_id(request_id: str) -> str:
    return f"request:{request_id}"


def _aad(request_id: str, what: str) -> bytes:
    return f"subject_request:{request_id}:{what}".encode()


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=_plain).encode("utf-8")


def _plain(value: Any) -> Any:
    """JSON for values read from stores (dates, decimals, bytes)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _seal(key: bytes, request_id: str, what: str, value: Any) -> bytes:
    return crypto.seal(key, _encode(value), _aad(request_id, what))


def _open(keystore: KeyStore, request: SubjectRequest, what: str, sealed: bytes | None
          ) -> Any:
    if sealed is None:
        return None
    key = keystore.keys_for([_key_id(request.id)]).get(_key_id(request.id))
    if key is None:
        raise NotFoundError("the sealed data of this request were destroyed", field=what)
    return _open_with(key, request, what, sealed)


def _open_with(key: bytes, request: SubjectRequest, what: str, sealed: bytes | None) -> Any:
    """``_open`` with the request's key already fetched."""
    if sealed is None:
        return None
    return json.loads(crypto.open_sealed(key, sealed, _aad(request.id, what)))


def _request_key(keystore: KeyStore, request_id: str) -> bytes:
    key = keystore.keys_for([_key_id(request_id)]).get(_key_id(request_id))
    if key is None:
        raise NotFoundError("the sealed data of this request were destroyed",
                            field="request_id")
    return key


def _get(uow: UnitOfWork, request_id: str, operator_id: str | None, *, lock: bool = False
         ) -> SubjectRequest:
    found = uow.requests.get(request_id, for_update=lock) if isinstance(request_id, str) \
        else None
    if found is None or (operator_id is not None and found.operator_id != operator_id):
        raise NotFoundError("no such request", field="request_id")
    return found


def _record(uow: UnitOfWork, before: SubjectRequest | None, after: SubjectRequest,
            at: datetime, actor: str, reason: str | None, details: Mapping[str, Any]
            ) -> Transition:
    """Store the request's new state with its transition, and audit it (same transaction)."""
    moved = before is None or before.state is not after.state
    transition = Transition(after.id, None if before is None else before.state, after.state,
                            at, actor, reason)
    if before is None:
        uow.requests.add(after, transition)
    else:
        uow.requests.save(after, transition if moved else None)
    uow.audit.record(AuditRecord(
        at=at, actor=actor, action=rq.AUDIT_ACTION,
        subject_ids=[after.subject_id] if after.subject_id else [],
        categories=[], purpose=SUBJECT_ACCESS_REQUEST, request_id=after.id,
        details={"type": after.type.value, "operator_id": after.operator_id,
                 "from": None if before is None else before.state.value,
                 "to": after.state.value, "reason": reason, **dict(details)},
    ))
    return transition


def _move(uow: UnitOfWork, request_id: str, target: RequestState, actor: str, clock: Clock,
          *, operator_id: str | None = None, reason: str | None = None,
          change: Callable[[SubjectRequest], SubjectRequest] | None = None,
          details: Mapping[str, Any] | None = None) -> SubjectRequest:
    now = clock.now()
    with uow:
        before = _get(uow, request_id, operator_id, lock=True)
        after = before.moved(target, now)
        if change is not None:
            after = change(after)
        _record(uow, before, after, now, actor, reason, details or {})
        uow.commit()
    return after


def _today(clock: Clock, regime: Regime | None = None) -> date:
    zone = (regime or load_regime()).counting.zone
    return clock.now().astimezone(zone).date()


def _mask(reference: str) -> str:
    keep = reference[-4:] if len(reference) > 8 else ""
    return "•" * max(len(reference) - len(keep), 4) + keep


# -------------------------------------------------------------------- file


def _check_identifiers(identifiers: Mapping[str, str]) -> dict[str, str]:
    if not isinstance(identifiers, Mapping):
        raise InputError("identifiers must map a kind to a value", field="identifiers")
    if len(identifiers) > MAX_IDENTIFIERS:
        raise InputError(f"at most {MAX_IDENTIFIERS} identifiers", field="identifiers")
    out: dict[str, str] = {}
    for kind, value in identifiers.items():
        try:
            lookup = LookupKind(kind)
        except ValueError:
            allowed = ", ".join(k.value for k in LookupKind)
            raise InputError(f"unknown identifier kind {kind!r}: use one of {allowed}",
                             field="identifiers") from None
        out[lookup.value] = normalise_identifier(lookup, value, vault_service.phone_e164)
    return out


def file_request(
    uow: UnitOfWork,
    keystore: KeyStore,
    new: NewRequest,
    actor: str,
    clock: Clock,
    *,
    settings: Settings | None = None,
) -> SubjectRequest:
    """Register a request at receipt: its deadline and due date are fixed now.

    The subject is looked up by the identifiers given (blind index, audited);
    nobody found is not an error: the request is kept with no subject and is
    later answered "no data held", so filing tells nobody who is a customer.
    """
    settings = settings or Settings()
    kind = rq.parse_type(new.type)
    language = as_lang(new.language).value
    requester = rq.parse_choice(RequesterKind, new.requester, "requester kind", "requester")
    received = new.received_at or clock.now()
    if received.tzinfo is None or received.utcoffset() is None:
        raise InputError("received_at must carry a time zone", field="received_at")
    if received > clock.now():
        raise InputError("received_at is in the future", field="received_at")
    identifiers = _check_identifiers(new.identifiers)
    representative: str | None = None
    if requester is RequesterKind.REPRESENTATIVE:
        representative = rq.checked_reference(new.representative_document,
                                              "representative_document")
    elif new.representative_document:
        raise InputError("a representative's document is given only by a representative",
                         field="representative_document")
    payload = dict(new.payload or {})
    if len(_encode(payload)) > MAX_PAYLOAD:
        raise InputError(f"the payload is longer than {MAX_PAYLOAD} characters as JSON",
                         field="payload")
    _check_payload(kind, payload)
    if not identifiers and not new.subject_id:
        raise InputError("name the subject: an identifier (iin, phone, email, customer_id) "
                         "or the subject id", field="identifiers")

    with uow:
        loaded = _register(uow, new.operator_id)
        subject_id = None
        if new.subject_id:
            record = uow.vault.get(new.subject_id)
            if record is not None and record.operator_id == new.operator_id \
                    and not record.destroyed:
                subject_id = record.id
    register = loaded.register
    request_id = str(uuid.uuid4())
    if subject_id is None:
        for lookup, value in identifiers.items():
            found = vault_service.find_subject(
                _vault_context(uow, keystore, clock, actor, request_id, new.operator_id),
                lookup, value, SUBJECT_ACCESS_REQUEST)
            if found:
                subject_id = found[0].subject_id
                break
    regime = _regime(settings, register)
    rules = _rules(regime)
    deadline_id = rules.deadline_of(kind)
    due = deadlines.due_under(regime, deadline_id, received, settings)
    key = keystore.create_keys([_key_id(request_id)])[_key_id(request_id)]
    now = clock.now()
    request = SubjectRequest(
        id=request_id, operator_id=new.operator_id, subject_id=subject_id, type=kind,
        state=RequestState.RECEIVED, language=language, received_at=received,
        due_date=due.due, deadline_id=deadline_id, deadline_citation=due.citation,
        requester=requester,
        representative_sealed=None if representative is None else _seal(
            key, request_id, "representative", {"document": representative}),
        payload_sealed=_seal(key, request_id, "payload",
                             {"identifiers": identifiers, "payload": payload}),
        updated_at=now,
    )
    try:
        with uow:
            _record(uow, None, request, now, actor, None,
                    {"deadline": deadline_id, "due_date": due.due.isoformat(),
                     "subject_known": subject_id is not None,
                     "requester": requester.value})
            uow.commit()
    except BaseException:
        keystore.destroy([_key_id(request_id)])
        raise
    log.info("request %s (%s) filed for operator %s, due %s", request_id, kind.value,
             new.operator_id, due.due)
    return request


def _check_payload(kind: RequestType, payload: Mapping[str, Any]) -> None:
    if kind is RequestType.RECTIFICATION:
        values = payload.get("values")
        if not isinstance(values, Mapping) or not values:
            raise InputError("a rectification names the new values: {category: value}",
                             field="payload.values")
        rq.checked_reference(payload.get("document_ref"), "payload.document_ref")
    if kind is RequestType.DESTRUCTION or kind is RequestType.BLOCKING:
        categories = payload.get("categories")
        if categories is not None and (not isinstance(categories, list) or not all(
                isinstance(c, str) for c in categories)):
            raise InputError("categories must be a list of category ids",
                             field="payload.categories")
    if kind is RequestType.CONSENT_WITHDRAWAL:
        from derbes.consent.model.consent import parse_scope_kind

        parse_scope_kind(payload.get("scope", "processing"), "payload.scope")
    if kind is RequestType.AUTOMATED_OBJECTION and not isinstance(
            payload.get("purpose", ""), str):
        raise InputError("purpose must be a purpose id", field="payload.purpose")


# ------------------------------------------------------------------ verify


def _binding(request: SubjectRequest) -> str:
    # The code goes to the subject's phone on record; for an unknown subject, to the
    # number the requester gave: then it is bound to the request itself.
    return request.subject_id or _key_id(request.id)


def issue_otp(uow: UnitOfWork, otp: OtpPort, request_id: str, clock: Clock, *,
              operator_id: str | None = None, actor: str = "system") -> IssuedOtp:
    """Send a one-time code for verifying the requester (only before verification), within
    the codes allowed per request or subject and hour (``data/identity_limits.yaml``)."""
    from derbes.access.service.limits import otp_issue

    with uow:
        request = _get(uow, request_id, operator_id)
    if request.state is not RequestState.RECEIVED:
        raise ConflictError(f"a {request.state.value} request needs no verification code",
                            field="state")
    return otp_issue(_vault_context(uow, None, clock, actor, None, operator_id), otp,
                     _binding(request), [request.subject_id] if request.subject_id else [])


def verify_by_otp(uow: UnitOfWork, otp: OtpVerifier, request_id: str, reference: str,
                  code: str, actor: str, clock: Clock, *, operator_id: str | None = None
                  ) -> SubjectRequest:
    """The requester typed back the code sent to them: received → verified.

    Attempts are limited per code and per request or subject, and a run of
    wrong codes locks verification out for a while (``identity_limits``): a
    code cannot be found by trying them all.
    """
    from derbes.access.service.limits import OtpAttempt, otp_verify

    ref = rq.checked_reference(reference, "otp_reference")
    with uow:
        request = _get(uow, request_id, operator_id)
    rq.check_transition(request.state, RequestState.VERIFIED)
    otp_verify(_vault_context(uow, None, clock, actor, None, operator_id), otp, OtpAttempt(
        _binding(request), ref, code if isinstance(code, str) else "",
        [request.subject_id] if request.subject_id else []))
    after = _move(uow, request_id, RequestState.VERIFIED, actor, clock, operator_id=operator_id,
                  change=lambda r: replace(r, verification_method=VerificationMethod.SMS_OTP,
                                           verification_ref=ref),
                  details={"verification": VerificationMethod.SMS_OTP.value})
    otp.consume(ref)
    return after


def verify_by_staff(uow: UnitOfWork, keystore: KeyStore, request_id: str, document_ref: str,
                    actor: str, clock: Clock, *, reason: str, verified_by: str | None = None,
                    operator_id: str | None = None) -> SubjectRequest:
    """Staff saw the requester's identity document: received → verified.

    Who verified (``actor``, and ``verified_by``: the API key or person),
    which document (its reference, masked in clear and sealed in full) and
    why it proves the requester's identity (``reason``) are recorded with the
    transition and in the audit log. Callers allow it only to a key whose
    scope permits verification (``verify`` or ``admin``).

    The document reference is PD: only a masked form is kept in clear, the
    full one is sealed with the request's payload.
    """
    ref = rq.checked_reference(document_ref, "document_ref")
    why = rq.checked_reason(reason, required=True)
    key = _request_key(keystore, request_id)
    with uow:
        request = _get(uow, request_id, operator_id)
    payload = _open(keystore, request, "payload", request.payload_sealed) or {}
    payload["verification_document"] = ref

    def change(r: SubjectRequest) -> SubjectRequest:
        return replace(r, verification_method=VerificationMethod.STAFF_DOCUMENT,
                       verification_ref=_mask(ref),
                       payload_sealed=_seal(key, r.id, "payload", payload))

    return _move(uow, request_id, RequestState.VERIFIED, actor, clock, operator_id=operator_id,
                 reason=why, change=change,
                 details={"verification": VerificationMethod.STAFF_DOCUMENT.value,
                          "verified_by": verified_by or actor, "document": _mask(ref)})


def start(uow: UnitOfWork, request_id: str, actor: str, clock: Clock, *,
          operator_id: str | None = None) -> SubjectRequest:
    """verified → in_progress."""
    return _move(uow, request_id, RequestState.IN_PROGRESS, actor, clock,
                 operator_id=operator_id)


def _begin(uow: UnitOfWork, request_id: str, expected: Sequence[RequestType], actor: str,
           clock: Clock, operator_id: str | None) -> SubjectRequest:
    """The request, in progress (started if verified). Nothing is disclosed to, or done
    for, a requester whose identity is not verified.

    Checked and started in one transaction, under the request's row lock: what
    :func:`start` records (verified → in_progress, audited) is recorded here.
    """
    now = clock.now()
    with uow:
        request = _get(uow, request_id, operator_id, lock=True)
        if request.type not in expected:
            raise ConflictError(f"this is a {request.type.value} request", field="type")
        if request.state is RequestState.RECEIVED:
            rules = _rules(load_regime())
            raise LegalRestrictionError(
                "the requester's identity is not verified: nothing is disclosed or done "
                "before verification (SMS code or staff document check)",
                citation=rules.verification_citation, field="state")
        if request.state is RequestState.VERIFIED:
            started = request.moved(RequestState.IN_PROGRESS, now)
            _record(uow, request, started, now, actor, None, {})
            uow.commit()
            request = started
    if request.state is not RequestState.IN_PROGRESS:
        raise ConflictError(f"the request is {request.state.value}", field="state")
    return request


def _pending(uow: UnitOfWork, request: SubjectRequest, reason: str, actor: str, clock: Clock
             ) -> None:
    """Keep the request open and record why (no state change; audited)."""
    now = clock.now()
    with uow:
        current = _get(uow, request.id, None, lock=True)
        _record(uow, current, replace(current, pending_reason=reason, updated_at=now), now,
                actor, reason, {"pending": True})
        uow.commit()


def _answered(uow: UnitOfWork, keystore: KeyStore, request: SubjectRequest,
              summary: Mapping[str, Any], full: Mapping[str, Any], actor: str, clock: Clock,
              *, key: bytes | None = None) -> SubjectRequest:
    if key is None:
        key = _request_key(keystore, request.id)
    sealed = _seal(key, request.id, "answer", full)
    after = _move(uow, request.id, RequestState.ANSWERED, actor, clock,
                  change=lambda r: replace(r, answer=dict(summary), answer_sealed=sealed,
                                           pending_reason=None),
                  details={"answer": {k: v for k, v in summary.items()
                                      if k in ("held", "kind", "partial")}})
    _request_closed(uow, after, clock)
    return after


def _request_closed(uow: UnitOfWork, request: SubjectRequest, clock: Clock) -> None:
    """An answered request is an event the clocks know (``achieved_when: request_answered``)."""
    if request.subject_id is None:
        return
    with uow:
        subject = uow.vault.get(request.subject_id)
        if subject is None or subject.destroyed:
            return
        retention.update_clocks(uow, subject.id, clock.now())
        uow.commit()


# ------------------------------------------------------------------ access


def _identities(payload_ids: Mapping[str, str], vault_values: Sequence[vault_service.ReadValue]
                ) -> dict[IdentityKind, str]:
    out: dict[IdentityKind, str] = {}
    for kind, value in payload_ids.items():
        out.setdefault(IdentityKind(kind), value)
    by_category = {"identity.iin": IdentityKind.IIN, "contact.phone": IdentityKind.PHONE,
                   "contact.email": IdentityKind.EMAIL,
                   "account.customer_id": IdentityKind.CUSTOMER_ID}
    for v in vault_values:
        wanted = by_category.get(v.category)
        if wanted is not None and isinstance(v.value, str):
            out.setdefault(wanted, v.value)
    return out


_IDENTITY_ORDER = (IdentityKind.IIN, IdentityKind.CUSTOMER_ID, IdentityKind.PHONE,
                   IdentityKind.EMAIL)


def _store_identity(store: OperatorStore, known: Mapping[IdentityKind, str]
                    ) -> SubjectIdentity | None:
    tables = store.dataset.tables.values()
    for kind in _IDENTITY_ORDER:
        if kind in known and any(t.identity_columns(kind) for t in tables):
            return SubjectIdentity(kind, known[kind])
    return None


def _store_failed(exc: DerbesError, store_id: str | None) -> str:
    """Why the request waits: the store that failed, when it is known (a store whose
    connection cannot even be set up, e.g. its URL variable is missing, has none yet)."""
    named = getattr(exc, "store", None) or store_id
    if isinstance(named, str) and named:
        return f"operator database {named!r}: {exc.message}"
    return f"the operator's databases could not be opened: {exc.message}"


def _vault_view(uow: UnitOfWork, keystore: KeyStore, request: SubjectRequest, actor: str,
                clock: Clock) -> vault_service.SubjectView | None:
    if request.subject_id is None:
        return None
    try:
        return vault_service.read_subject(
            _vault_context(uow, keystore, clock, actor, request.id, request.operator_id),
            request.subject_id, SUBJECT_ACCESS_REQUEST)
    except NotFoundError:  # destroyed since: nothing held in the vault
        return None


def _labels(labels: Any) -> dict[str, str]:
    return dict(labels.as_dict())


def answer_access(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    stores: StoreOpener = _no_stores,
    operator_id: str | None = None,
) -> AccessAnswer:
    """Everything Art. 24 lists: whether PD is held, purposes, sources, methods, the PD
    with values (vault and operator databases), processing and retention periods per
    purpose, recipients (declared, and those the transfer log shows were given the
    data), cross-border transfers. A store that is down keeps the request open."""
    request = _begin(uow, request_id, (RequestType.ACCESS,), actor, clock, operator_id)
    key = _request_key(keystore, request.id)  # once: opens the payload, seals the answer
    given = _open_with(key, request, "payload", request.payload_sealed) or {}
    transfers = []
    with uow:
        loaded = _register(uow, request.operator_id)
        if request.subject_id is not None:
            transfers = uow.transfers.for_subject(request.subject_id, limit=1000)
    register = loaded.register
    view = _vault_view(uow, keystore, request, actor, clock)
    values = list(view.values) if view else []
    known = _identities(given.get("identifiers", {}), values)
    collected: list[tuple[OperatorStore, Any]] = []
    current: str | None = None
    try:
        with _opened(stores, request.operator_id, register) as opened:
            for store in opened:
                current = store.dataset.store.id
                identity = _store_identity(store, known)
                if identity is not None:
                    collected.append((store, store.collect(identity)))
    except (StoreUnavailableError, ConfigurationError) as exc:
        _pending(uow, request, _store_failed(exc, current), actor, clock)
        raise
    found_clocks: retention.SubjectClocks | None = None
    if request.subject_id is not None:
        with uow:
            record = uow.vault.get(request.subject_id)
            if record is not None and not record.destroyed:
                found_clocks = retention.clocks_of(uow, record.id, register)
    full = _access_answer(request, register, view, collected, transfers, clock.now(),
                          found_clocks)
    summary = _summary(full)
    after = _answered(uow, keystore, request, summary, full, actor, clock, key=key)
    return AccessAnswer(after, full)


def _records(collected: Sequence[tuple[OperatorStore, Any]], register: Register
             ) -> list[dict[str, Any]]:
    """The operator databases' rows kept as rows: a payment's date stays with its amount."""
    out: list[dict[str, Any]] = []
    for store, rows in collected:
        dataset = store.dataset
        for table, found in rows.rows.items():
            if not found:
                continue
            columns = list(rows.categories_of[table])
            out.append({
                "store": dataset.store.id, "table": table,
                "columns": [{"column": c, "category": rows.categories_of[table][c],
                             "labels": _category_labels(register,
                                                        rows.categories_of[table][c])}
                            for c in columns],
                "rows": [[_json_safe(row.values.get(c)) for c in columns] for row in found],
            })
    return out


def _category_labels(register: Register, category: str) -> dict[str, str]:
    known = register.categories.get(category)
    return _labels(known.labels) if known else {"ru": category, "kk": category, "en": category}


def _purpose_clock(clock: PurposeClock | None) -> dict[str, Any]:
    if clock is None:
        return {"state": None, "until": None, "since": None}
    return {"state": clock.state.value,
            "until": clock.end_date.isoformat() if clock.end_date else None,
            "since": clock.trigger_date.isoformat() if clock.trigger_date else None}


def _access_answer(request: SubjectRequest, register: Register,
                   view: vault_service.SubjectView | None,
                   collected: Sequence[tuple[OperatorStore, Any]], transfers: Sequence[Any],
                   now: datetime, clocks: retention.SubjectClocks | None = None
                   ) -> dict[str, Any]:
    """The Art. 24 answer. Purposes are those the subject is in now, each with the end
    date of its clock (the one clock rule, as the sweep); recipients and cross-border
    transfers come from the register: of those purposes, and those the register names
    for no purpose in particular."""
    today = now.date()
    in_force = {pid: c for pid, c in (clocks.purposes.items() if clocks else ())
                if not c.expired_on(today)}
    categories: dict[str, dict[str, Any]] = {}
    sources: dict[str, None] = {}
    methods: dict[str, None] = {}

    def entry(category: str) -> dict[str, Any]:
        if category not in categories:
            keep = clocks.categories.get(category) if clocks else None
            categories[category] = {
                "id": category, "labels": _category_labels(register, category),
                "values": [],
                "purposes": [p.id for p in register.purposes_for_category(category)
                             if p.id in in_force],
                "keep_until": keep.keep_until.isoformat() if keep and keep.keep_until
                else None,
            }
        return categories[category]

    for v in view.values if view else ():
        item = entry(v.category)
        item["values"].append({"value": v.value, "where": "vault",
                               "source": v.provenance.source.value,
                               "method": v.provenance.method,
                               "collected_at": v.provenance.collected_at.isoformat()})
        sources[v.provenance.source.value] = None
    stores_out: list[dict[str, Any]] = []
    live = clocks.history.consent_live if clocks else frozenset()
    for store, rows in collected:
        dataset = store.dataset
        stores_out.append({"store": dataset.store.id, "rows": rows.counts()})
        for value in rows.values():
            item = entry(value.category)
            item["values"].append({
                "value": _json_safe(value.value),
                "where": f"{dataset.store.id}/{value.table}.{value.column}"})
            # The operator's database says what its rows serve (the dataset), as a
            # value's provenance does; a consent purpose still needs a consent.
            table = dataset.tables[value.table]
            for pid in table.columns[value.column].purposes or table.purposes:
                purpose = register.purposes.get(pid)
                if (purpose is not None and pid not in item["purposes"]
                        and (purpose.basis.kind is not BasisKind.CONSENT or pid in live)
                        and not (pid in (clocks.purposes if clocks else {})
                                 and pid not in in_force)):
                    item["purposes"].append(pid)
    purposes_used = dict.fromkeys(p for item in categories.values() for p in item["purposes"])
    purposes_out: list[dict[str, Any]] = []
    recipients_used: dict[str, list[str]] = {}
    for purpose in register.purposes.values():
        if purpose.id not in purposes_used:
            continue
        sources.update(dict.fromkeys(purpose.data_sources))
        methods.update(dict.fromkeys(purpose.methods))
        for r in purpose.recipients:
            recipients_used.setdefault(r, []).append(purpose.id)
        ret = purpose.retention
        purposes_out.append({
            "id": purpose.id, "labels": _labels(purpose.labels),
            "basis": purpose.basis.kind.value, "basis_citation": purpose.basis.citation,
            "retention": None if ret is None else {
                "trigger": ret.trigger.value, "period": str(ret.period),
                "citation": ret.citation, "then": ret.then.value,
                "achieved_when": ret.achieved_when.value if ret.achieved_when else None},
            "clock": _purpose_clock(in_force.get(purpose.id)),
            "categories": sorted(c for c, i in categories.items() if purpose.id in i["purposes"]),
            "recipients": list(purpose.recipients),
        })
    # Recipients the register names for no purpose in particular may receive any data
    # (Express p.3.4: cross-border transfer without a named recipient), and those the
    # law gives the data to (Art. 9: state bodies on a motivated request) may receive
    # the subject's whenever the law applies: both are "may be transferred" (Art. 24).
    held_categories = set(categories)
    for rid in register.recipients:
        serving = register.purposes_of_recipient(rid)
        if not serving:
            recipients_used.setdefault(rid, [])
        for purpose in serving:
            if (purpose.basis.kind in (BasisKind.LEGAL_OBLIGATION, BasisKind.STATE_REQUEST)
                    and held_categories.intersection(purpose.categories)
                    and purpose.id not in recipients_used.get(rid, [])):
                recipients_used.setdefault(rid, []).append(purpose.id)
    transfers_out = [{
        "id": t.id, "at": t.at.isoformat(), "recipient": t.recipient_id, "purpose": t.purpose,
        "categories": list(t.categories), "basis_kind": t.basis_kind,
        "law_citation": t.law_citation, "state_body": t.state_body,
        "request_number": t.request_number,
        "request_date": t.request_date.isoformat() if t.request_date else None,
    } for t in transfers]
    for t in transfers:
        recipients_used.setdefault(t.recipient_id, [])
    recipients_out: list[dict[str, Any]] = []
    for rid, served in recipients_used.items():
        recipient = register.recipients.get(rid)
        if recipient is None:
            continue
        recipients_out.append({
            "id": rid, "names": _labels(recipient.names), "role": recipient.role.value,
            "country": recipient.country, "cross_border": recipient.cross_border,
            "cross_border_basis": (recipient.cross_border_basis.kind.value
                                   if recipient.cross_border_basis else None),
            "purposes": served,
            "received": sorted({t.id for t in transfers if t.recipient_id == rid}),
        })
    held = any(item["values"] for item in categories.values())
    return {
        "kind": "access", "request_id": request.id, "generated_at": now.isoformat(),
        "operator": {"id": register.operator.id, "names": _labels(register.operator.names),
                     "bin": register.operator.bin},
        "held": held,
        "categories": list(categories.values()) if held else [],
        "records": _records(collected, register) if held else [],
        "purposes": purposes_out if held else [],
        "sources": list(sources) if held else [],
        "methods": list(methods) if held else [],
        "recipients": recipients_out if held else [],
        "transfers": transfers_out,
        "cross_border": [r["id"] for r in recipients_out if r["cross_border"]] if held else [],
        "stores": stores_out,
    }


def _json_safe(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return _plain(value)


def _summary(full: Mapping[str, Any]) -> dict[str, Any]:
    """The answer without PD values: what is stored in clear."""
    return {
        "kind": full["kind"], "held": full["held"],
        "categories": {c["id"]: len(c["values"]) for c in full["categories"]},
        "purposes": [p["id"] for p in full["purposes"]],
        "recipients": [r["id"] for r in full["recipients"]],
        "cross_border": list(full["cross_border"]),
        "transfers": [t["id"] for t in full["transfers"]],
        "stores": list(full["stores"]),
    }


# ---------------------------------------------------------------- blocking


def execute_blocking(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    decision_point: Forgetful | None = None,
    operator_id: str | None = None,
) -> SubjectRequest:
    """Block the subject (or the categories asked) in the vault; the decision point's
    cached state of the subject is dropped, so the block is honoured at once."""
    request = _begin(uow, request_id, (RequestType.BLOCKING,), actor, clock, operator_id)
    given = _open(keystore, request, "payload", request.payload_sealed) or {}
    categories = given.get("payload", {}).get("categories") or None
    if request.subject_id is None:
        return _no_data(uow, keystore, request, actor, clock)
    try:
        blocks = vault_service.block(
            _vault_context(uow, keystore, clock, actor, request.id, request.operator_id),
            request.subject_id, categories, f"subject request {request.id}")
    except NotFoundError:
        return _no_data(uow, keystore, request, actor, clock)
    if decision_point is not None:
        decision_point.forget([request.subject_id])
    result = {"kind": "blocking", "held": True,
              "blocked": ["*" if b.category is None else b.category for b in blocks],
              "at": clock.now().isoformat()}
    return _answered(uow, keystore, request, result, result, actor, clock)


def _no_data(uow: UnitOfWork, keystore: KeyStore, request: SubjectRequest, actor: str,
             clock: Clock) -> SubjectRequest:
    result = {"kind": request.type.value, "held": False}
    return _answered(uow, keystore, request, result, result, actor, clock)


# ------------------------------------------------------------ rectification


def execute_rectification(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    operator_id: str | None = None,
) -> SubjectRequest:
    """Replace the values named in the request; provenance points at this request,
    whose sealed payload keeps the supporting document's reference."""
    request = _begin(uow, request_id, (RequestType.RECTIFICATION,), actor, clock, operator_id)
    if request.subject_id is None:
        return _no_data(uow, keystore, request, actor, clock)
    given = (_open(keystore, request, "payload", request.payload_sealed) or {}).get("payload", {})
    now = clock.now()
    provenance = Provenance(source=Source.SUBJECT, purposes=(),
                            method=f"rectification request {request.id}", collected_at=now)
    values = [NewValue(str(category), value, provenance)
              for category, value in dict(given.get("values", {})).items()]
    changed = vault_service.update_values(
        _vault_context(uow, keystore, clock, actor, request.id, request.operator_id),
        request.subject_id, replace=values)
    result = {"kind": "rectification", "held": True, "changed": changed,
              "document": "sealed with the request"}
    return _answered(uow, keystore, request, result, result, actor, clock)


# -------------------------------------------------------------- destruction


def _terms(uow: UnitOfWork, subject_id: str | None, register: Register) -> rq.SubjectTerms:
    """The subject's clocks from the one clock rule (``retention/service/sweep.clocks_of``)."""
    if subject_id is None:
        return rq.SubjectTerms()
    with uow:
        record = uow.vault.get(subject_id)
        if record is None or record.destroyed:
            return rq.SubjectTerms()
        found = retention.clocks_of(uow, subject_id, register)
    return rq.SubjectTerms(found.purposes, found.history.open_contracts)


def execute_destruction(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    stores: StoreOpener = _no_stores,
    settings: Settings | None = None,
    decision_point: Forgetful | None = None,
    operator_id: str | None = None,
) -> AccessAnswer:
    """Destroy what may be destroyed, everywhere; keep what a law requires, say why and
    until when, and stop its processing (the kept categories are blocked in the vault).

    Order: plan every store (nothing changes if one is down), apply store by store
    (each all-or-nothing), then the vault. A failure keeps the request in progress
    with the reason; answering again finishes the job.
    """
    settings = settings or Settings()
    request = _begin(uow, request_id, (RequestType.DESTRUCTION,), actor, clock, operator_id)
    given = _open(keystore, request, "payload", request.payload_sealed) or {}
    asked = given.get("payload", {}).get("categories") or None
    with uow:
        register = _register(uow, request.operator_id).register
        vault_held: list[str] = []
        if request.subject_id is not None:
            record = uow.vault.get(request.subject_id)
            if record is not None and not record.destroyed:
                vault_held = sorted({v.category for v in uow.vault.values(record.id)})
    regime = _regime(settings, register)
    today = _today(clock, regime)
    terms = _terms(uow, request.subject_id, register)
    view = _vault_view(uow, keystore, request, actor, clock) if vault_held else None
    ids = _identities(given.get("identifiers", {}), list(view.values) if view else [])
    store_results: list[dict[str, Any]] = []
    try:
        with _opened(stores, request.operator_id, register) as opened:
            targets = [(s, i) for s in opened if (i := _store_identity(s, ids)) is not None]
            # 1. What each store holds (a store that is down stops everything here).
            held_rows = [(s, i, s.collect(i)) for s, i in targets]
            store_held = {c for _, _, rows in held_rows for c in rows.categories}
            wanted = set(asked) if asked else None
            held_all = set(vault_held) | store_held
            outcome = rq.destruction_outcome(
                register, held_all if wanted is None else held_all & wanted, terms, today)
            # 2. Apply per store: rows needed by a keeping purpose stay.
            for store, identity, rows in held_rows:
                if not rows.found:
                    continue
                dataset_cats = store.dataset.categories
                categories = None if wanted is None else sorted(wanted & dataset_cats)
                if categories == []:
                    continue
                plan = store.plan_erasure(identity, categories, outcome.keep_purposes)
                result = store.apply_erasure(plan) if plan.changes else None
                store_results.append({
                    "store": plan.store,
                    "rows_deleted": result.rows_deleted if result else 0,
                    "rows_updated": result.rows_updated if result else 0,
                    "erased": list(plan.erased_categories(store.dataset)),
                    "kept": [{"table": k.table, "column": k.column, "category": k.category,
                              "rows": k.rows, "reason": k.reason.kind.value,
                              "purposes": list(k.reason.purposes),
                              "tables": list(k.reason.tables)} for k in plan.kept],
                })
    except (StoreUnavailableError, ConfigurationError) as exc:
        _pending(uow, request, _store_failed(exc, None), actor, clock)
        raise
    # 3. The vault: crypto-shred what goes, block what stays (processing stops).
    vault_result: dict[str, Any] = {"destroyed": [], "blocked": [], "subject_destroyed": False}
    if request.subject_id is not None and vault_held:
        doomed = [c for c in vault_held if c in outcome.destroy]
        kept = [c for c in vault_held if c not in outcome.destroy
                and (asked is None or c in asked)]
        reason = f"subject request {request.id}: destruction"
        vault_ctx = _vault_context(uow, keystore, clock, actor, request.id,
                                   request.operator_id)
        if doomed and not kept and asked is None and len(doomed) == len(vault_held):
            vault_service.destroy_subject(vault_ctx, request.subject_id, reason)
            vault_result["subject_destroyed"] = True
        elif doomed:
            vault_service.destroy_categories(vault_ctx, request.subject_id, doomed, reason)
        if kept:
            vault_service.block(vault_ctx, request.subject_id, kept,
                                f"subject request {request.id}: kept by law, processing "
                                "stopped")
        vault_result["destroyed"] = doomed
        vault_result["blocked"] = kept
        if decision_point is not None:
            decision_point.forget([request.subject_id])
    held = bool(vault_held) or any(r["rows_deleted"] or r["rows_updated"] or r["kept"]
                                   for r in store_results)
    full = _destruction_answer(request, register, outcome, held, vault_result, store_results,
                               clock.now())
    summary = {k: v for k, v in full.items() if k != "operator"}
    after = _answered(uow, keystore, request, summary, full, actor, clock)
    return AccessAnswer(after, full)


def _destruction_answer(request: SubjectRequest, register: Register, outcome: DestructionOutcome,
                        held: bool, vault_result: Mapping[str, Any],
                        store_results: Sequence[Mapping[str, Any]], now: datetime
                        ) -> dict[str, Any]:
    rules = _rules(load_regime())
    body = outcome.as_dict()
    for item in body["keep"]:
        for kept in item["kept_for"]:
            purpose = register.purposes.get(kept["purpose"])
            ret = purpose.retention if purpose else None
            kept["labels"] = _labels(purpose.labels) if purpose else None
            kept["retention"] = None if ret is None else {
                "trigger": ret.trigger.value, "period": str(ret.period),
                "citation": ret.citation, "then": ret.then.value}
        category = register.categories.get(item["category"])
        item["labels"] = _labels(category.labels) if category else None
    destroyed_labels = {c: _labels(register.categories[c].labels)
                        for c in outcome.destroy if c in register.categories}
    return {
        "kind": "destruction", "request_id": request.id, "generated_at": now.isoformat(),
        "operator": {"id": register.operator.id, "names": _labels(register.operator.names),
                     "bin": register.operator.bin},
        "held": held, "partial": held and outcome.partial,
        "destroy": body["destroy"] if held else [], "destroy_labels": destroyed_labels,
        "keep": body["keep"] if held else [], "keep_purposes": body["keep_purposes"],
        "citation": rules.destruction_keep_citation,
        "vault": dict(vault_result), "stores": list(store_results),
    }


# --------------------------------------------------------------- withdrawal


def execute_withdrawal(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    decision_point: Forgetful | None = None,
    operator_id: str | None = None,
) -> SubjectRequest:
    """Withdraw the consent scope named in the request through the consent ledger
    (``consent/service/consent.withdraw_consent``); the answer is its per-purpose outcome."""
    from derbes.consent.service import consent as consent_service

    request = _begin(uow, request_id, (RequestType.CONSENT_WITHDRAWAL,), actor, clock,
                     operator_id)
    if request.subject_id is None:
        return _no_data(uow, keystore, request, actor, clock)
    given = (_open(keystore, request, "payload", request.payload_sealed) or {}).get("payload", {})
    scope = str(given.get("scope", "processing"))
    try:
        result = consent_service.withdraw_consent(
            uow, request.subject_id, scope, actor, clock, request.id,
            operator_id=request.operator_id)
    except NotFoundError:
        answer = {"kind": "consent_withdrawal", "held": True, "scope": scope,
                  "consents": [], "outcomes": []}
        return _answered(uow, keystore, request, answer, answer, actor, clock)
    if decision_point is not None:
        decision_point.forget([request.subject_id])
    answer = {"kind": "consent_withdrawal", "held": True, "scope": scope,
              "event": result.event.value, "consents": list(result.consent_ids),
              "outcomes": [o.as_dict() for o in result.outcomes]}
    return _answered(uow, keystore, request, answer, answer, actor, clock)


# --------------------------------------------------------- complaints, claims


def answer_claim(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    response: str,
    actor: str,
    clock: Clock,
    *,
    operator_id: str | None = None,
) -> SubjectRequest:
    """Answer a complaint or a pre-trial claim with the operator's reasoned response
    (kept sealed: it may speak of the subject's data)."""
    request = _begin(uow, request_id, (RequestType.COMPLAINT, RequestType.PRETRIAL_CLAIM),
                     actor, clock, operator_id)
    text = rq.checked_reason(response, required=True, where="response")
    summary = {"kind": request.type.value, "held": request.subject_id is not None,
               "responded": True}
    return _answered(uow, keystore, request, summary, {**summary, "response": text}, actor,
                     clock)


# ------------------------------------------------------------------ dispatch


def answer_request(
    uow: UnitOfWork,
    keystore: KeyStore,
    request_id: str,
    actor: str,
    clock: Clock,
    *,
    stores: StoreOpener = _no_stores,
    settings: Settings | None = None,
    decision_point: Forgetful | None = None,
    response: str | None = None,
    operator_id: str | None = None,
) -> AccessAnswer:
    """Execute and answer a request of any type (what ``POST …/answer`` and
    ``derbes request answer`` call)."""
    with uow:
        request = _get(uow, request_id, operator_id)
    kind = request.type
    if kind is RequestType.ACCESS:
        return answer_access(uow, keystore, request_id, actor, clock, stores=stores,
                             operator_id=operator_id)
    if kind is RequestType.DESTRUCTION:
        return execute_destruction(uow, keystore, request_id, actor, clock, stores=stores,
                                   settings=settings, decision_point=decision_point,
                                   operator_id=operator_id)
    if kind is RequestType.BLOCKING:
        after = execute_blocking(uow, keystore, request_id, actor, clock,
                                 decision_point=decision_point, operator_id=operator_id)
    elif kind is RequestType.RECTIFICATION:
        after = execute_rectification(uow, keystore, request_id, actor, clock,
                                      operator_id=operator_id)
    elif kind is RequestType.CONSENT_WITHDRAWAL:
        after = execute_withdrawal(uow, keystore, request_id, actor, clock,
                                   decision_point=decision_point, operator_id=operator_id)
    elif kind is RequestType.AUTOMATED_OBJECTION:
        from derbes.requests.automated import answer_objection

        after = answer_objection(uow, keystore, request_id, response or "", actor, clock,
                                 operator_id=operator_id)
    else:
        after = answer_claim(uow, keystore, request_id, response or "", actor, clock,
                             operator_id=operator_id)
    return AccessAnswer(after, full_answer(keystore, after))


def full_answer(keystore: KeyStore, request: SubjectRequest) -> dict[str, Any]:
    """The full answer of an answered request, opened (it may list PD values)."""
    opened = _open(keystore, request, "answer", request.answer_sealed)
    return dict(opened) if isinstance(opened, Mapping) else {}


# ------------------------------------------------------------- refuse, close


def refuse(uow: UnitOfWork, request_id: str, reasons: Sequence[str], actor: str, clock: Clock,
           *, operator_id: str | None = None) -> SubjectRequest:
    """Refuse with reasons (staff's text, with the legal ground; no PD in it)."""
    texts = [t for r in reasons if (t := rq.checked_reason(r)) is not None]
    if not texts:
        raise InputError("a refusal states its reasons", field="reasons")
    after = _move(uow, request_id, RequestState.REFUSED, actor, clock, operator_id=operator_id,
                  reason="; ".join(texts),
                  change=lambda r: replace(r, refusal_reasons=tuple(texts),
                                           pending_reason=None))
    _request_closed(uow, after, clock)
    return after


def withdraw_request(uow: UnitOfWork, request_id: str, actor: str, clock: Clock, *,
                     reason: str | None = None, operator_id: str | None = None
                     ) -> SubjectRequest:
    """The requester takes the request back."""
    return _move(uow, request_id, RequestState.WITHDRAWN, actor, clock, operator_id=operator_id,
                 reason=rq.checked_reason(reason),
                 change=lambda r: replace(r, pending_reason=None))


# ------------------------------------------------------------------- queries


def show(uow: UnitOfWork, request_id: str, *, operator_id: str | None = None) -> RequestView:
    with uow:
        request = _get(uow, request_id, operator_id)
        return RequestView(request, tuple(uow.requests.transitions(request.id)))


def list_requests(uow: UnitOfWork, where: RequestFilter) -> list[SubjectRequest]:
    with uow:
        return uow.requests.list(where)


def overdue(uow: UnitOfWork, as_of: date, *, operator_id: str | None = None
            ) -> list[SubjectRequest]:
    """Open requests whose due date has passed on ``as_of`` (a local date)."""
    return list_requests(uow, RequestFilter(operator_id=operator_id, due_before=as_of))


def due_tomorrow(uow: UnitOfWork, as_of: date, *, operator_id: str | None = None
                 ) -> list[SubjectRequest]:
    """Open requests due on the day after ``as_of``."""
    return list_requests(uow, RequestFilter(operator_id=operator_id,
                                            due_on=as_of + timedelta(days=1)))


def today(clock: Clock, settings: Settings | None = None) -> date:
    """The local date (the regime's time zone, Asia/Almaty) of ``clock``'s now."""
    return _today(clock, load_regime((settings or Settings()).regime_file))


def letter_context(uow: UnitOfWork, keystore: KeyStore, request_id: str, *,
                   operator_id: str | None = None) -> tuple[SubjectRequest, dict[str, Any],
                                                            Register]:
    """What a letter needs: the request, its full answer (opened) and the register."""
    with uow:
        request = _get(uow, request_id, operator_id)
        register = _register(uow, request.operator_id).register
    if request.state not in (RequestState.ANSWERED, RequestState.REFUSED):
        raise ConflictError("a letter is written once the request is answered or refused",
                            field="state")
    full = full_answer(keystore, request) if request.state is RequestState.ANSWERED else {}
    return request, full, register


def letter(uow: UnitOfWork, keystore: KeyStore, request_id: str, fmt: str = "html",
           lang: str | None = None, *, operator_id: str | None = None,
           settings: Settings | None = None) -> bytes:
    """The answer (or refusal) as a letter in the subject's language: HTML or PDF.

    The deadline is cited from the regime in force for the operator (the law and
    its own promises), in the letter's language.
    """
    from derbes.requests.adapters.letters import render_letter

    request, full, register = letter_context(uow, keystore, request_id,
                                             operator_id=operator_id)
    language = Lang(as_lang(lang or request.language))
    regime = apply_overrides(load_regime(settings.regime_file if settings else None),
                             register.regime_overrides, operator=register.operator.id)
    return render_letter(request, full, register, language, fmt, regime=regime)
