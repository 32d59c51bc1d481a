"""API keys for service callers: make one, check one, revoke one.

A key reads ``dbk_<key id>_<secret>``. The key id finds the row; only the
SHA-256 of the secret is stored, compared in constant time. The whole key is
shown once, when made. Revocation takes effect on the next request (Order
179/НҚ: access withdrawn at once when no longer needed), and a key made with
a term (``--expires``) stops working when it ends. Failed attempts are
counted per client address and lock the address out for a while
(``data/identity_limits.yaml``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from derbes.access.model import Scope, allows, parse_scopes, sorted_scopes
from derbes.access.model.api_keys import StoredApiKey, parse_owner, person_of
from derbes.access.model.limits import KeyLimits
from derbes.access.service import limits as identity_limits
from derbes.errors import AuthError, InputError, NotFoundError, UnauthenticatedError
from derbes.platform.clock import Clock
from derbes.uow import UnitOfWork

PREFIX = "dbk"
_KEY_ID_BYTES = 8  # 16 hex digits: the public half, used to find the row
_SECRET_BYTES = 32  # 256 random bits, urlsafe base64
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{{_KEY_ID_BYTES * 2}}})_([A-Za-z0-9_-]{{20,100}})$")
# Recording every use would make each API request a write; once a minute is
# enough to tell a dormant key from a live one.
_TOUCH_EVERY = timedelta(minutes=1)
# Compared against when the key id is unknown, so both paths take the same time.
_NO_SECRET = hashlib.sha256(b"derbes: no such key").hexdigest()


@dataclass(frozen=True)
class Caller:
    """Who is calling, as established from their API key."""

    name: str
    key_id: str
    scopes: frozenset[Scope]
    operator_id: str | None = None
    owner: str = ""  # staff:<person id> or service:<name> (StoredApiKey.owner)

    def can(self, scope: Scope) -> bool:
        return allows(self.scopes, scope)


@dataclass(frozen=True)
class CreatedKey:
    """A new key: the stored record and the one-time token to hand over."""

    key: StoredApiKey
    token: str


def _secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _clean(text: str, what: str, limit: int) -> str:
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InputError(f"the {what} must not be empty", field=what)
    if len(cleaned) > limit:
        raise InputError(f"the {what} is longer than {limit} characters", field=what)
    return cleaned


_DURATION = re.compile(r"^(\d{1,5})\s*([dw])$")
_DAYS = {"d": 1, "w": 7}


def parse_expires(text: str | None, now: datetime) -> datetime | None:
    """``90d``, ``12w``, a date (the key stops at its first instant, UTC) or an ISO instant
    with a time zone; None: no term. Must lie in the future."""
    if text is None or not text.strip():
        return None
    value = text.strip().lower()
    duration = _DURATION.match(value)
    try:
        if duration is not None:
            count, unit = duration.groups()
            when = now + timedelta(days=int(count) * _DAYS[unit])
        elif len(value) == 10:
            when = datetime.combine(date.fromisoformat(value), time.min, tzinfo=UTC)
        else:
            when = datetime.fromisoformat(text.strip())
            if when.tzinfo is None or when.utcoffset() is None:
                raise InputError("an expiry instant needs a time zone", field="expires")
    except (ValueError, OverflowError):
        raise InputError("--expires takes a number of days or weeks (90d, 12w), a date "
                         "(2027-01-31) or an instant with a time zone", field="expires") from None
    if when <= now:
        raise InputError("the expiry must lie in the future", field="expires")
    return when.astimezone(UTC)


def create(
    uow: UnitOfWork,
    clock: Clock,
    *,
    name: str,
    scopes: Iterable[str | Scope],
    operator_id: str | None = None,
    expires: str | datetime | None = None,
    owner: str | None = None,
) -> CreatedKey:
    """Make a key with ``scopes``; the returned token is never stored nor shown again.

    A key bound to an operator must name one with a published register (a key
    for an operator derbes does not know would see nothing, or a later one's
    data). ``expires``: see :func:`parse_expires`. ``owner``: ``staff:<person id>``
    (a person who exists and is not disabled) or ``service:<name>``; by default the
    service named ``name``.
    """
    granted = parse_scopes(str(s) for s in scopes)
    now = clock.now()
    until = expires if isinstance(expires, datetime) else parse_expires(expires, now)
    if until is not None and until <= now:
        raise InputError("the expiry must lie in the future", field="expires")
    secret = secrets.token_urlsafe(_SECRET_BYTES)
    record = StoredApiKey(
        key_id=secrets.token_hex(_KEY_ID_BYTES),
        name=_clean(name, "name", 200),
        secret_sha256=_secret_sha256(secret),
        scopes=granted,
        operator_id=None if operator_id is None else _clean(operator_id, "operator", 100),
        created_at=now,
        expires_at=until,
        owner="" if owner is None else parse_owner(owner),
    )
    person_id = person_of(record.owner)
    with uow:
        if person_id is not None:
            person = uow.staff.get(person_id)
            if person is None or person.disabled_at is not None:
                raise NotFoundError(f"no active staff person {person_id!r} to own the key",
                                    field="owner")
        if record.operator_id is not None and uow.registers.latest(record.operator_id) is None:
            raise NotFoundError(f"no register published for operator {record.operator_id!r}: "
                                "a key can only be bound to a published operator",
                                field="operator")
        uow.api_keys.add(record)
        uow.commit()
    return CreatedKey(key=record, token=f"{PREFIX}_{record.key_id}_{secret}")


@dataclass(frozen=True)
class ClientGuard:
    """Who knocks, for counting failed attempts: the client address, the key that hides
    it (the audit key: an address is PD) and the limits (``ctx.rules.identity_limits``)."""

    address: str
    audit_key: Callable[[], bytes]
    limits: KeyLimits


def authenticate(uow: UnitOfWork, clock: Clock, token: str | None, *,
                 guard: ClientGuard | None = None) -> Caller:
    """The caller a token belongs to; :class:`UnauthenticatedError` otherwise.

    The error never repeats the token, and says the same for an unknown key, a
    wrong secret and a malformed token; only a revoked or expired key is named
    as such. With a ``guard`` (the API), failed attempts are counted per client
    address and a locked-out address is refused with :class:`RateLimitedError`
    before its key is looked at.
    """
    if not token:
        raise UnauthenticatedError("an API key is required (Authorization: Bearer dbk_…)")
    client = None
    if guard is not None:
        client = identity_limits.client_digest(guard.audit_key(), guard.address)
        identity_limits.key_refused(uow, client, clock)
    try:
        stored = _check_token(uow, clock, token)
    except UnauthenticatedError:
        if client is not None and guard is not None:
            # 429 once over the limit
            identity_limits.key_failed(uow, client, clock, guard.limits)
        raise
    now = clock.now()
    if stored.last_used_at is None or now - stored.last_used_at >= _TOUCH_EVERY:
        # A transaction of its own that starts with the write: on SQLite a read
        # upgraded to a write fails at once under concurrency, while a write
        # that comes first waits for the lock (busy timeout).
        with uow:
            uow.api_keys.touch(stored.key_id, now)
            uow.commit()
    return Caller(name=stored.name, key_id=stored.key_id, scopes=stored.scopes,
                  operator_id=stored.operator_id, owner=stored.owner)


def _check_token(uow: UnitOfWork, clock: Clock, token: str) -> StoredApiKey:
    match = _TOKEN.match(token.strip())
    if match is None:
        raise UnauthenticatedError("the API key is not valid")
    key_id, secret = match.groups()
    with uow:
        stored = uow.api_keys.get(key_id)
    expected = stored.secret_sha256 if stored is not None else _NO_SECRET
    if not hmac.compare_digest(_secret_sha256(secret), expected) or stored is None:
        raise UnauthenticatedError("the API key is not valid")
    if not stored.active:
        raise UnauthenticatedError("the API key was revoked")
    if stored.expires_at is not None and clock.now() >= stored.expires_at:
        raise UnauthenticatedError(
            f"the API key expired at {stored.expires_at.isoformat(timespec='seconds')}")
    return stored


def authorize(caller: Caller, scope: Scope) -> None:
    """Refuse (:class:`AuthError`) a caller whose key lacks ``scope``; admin has every scope."""
    if not caller.can(scope):
        held = ", ".join(s.value for s in sorted_scopes(caller.scopes))
        raise AuthError(
            f"this API key lacks the {scope.value!r} scope (it has: {held})", field="scope"
        )


def revoke(uow: UnitOfWork, clock: Clock, key_id: str) -> StoredApiKey:
    """Revoke a key at once; revoking it again changes nothing."""
    with uow:
        stored = uow.api_keys.revoke(key_id, clock.now())
        if stored is None:
            raise NotFoundError(f"no API key with id {key_id!r}", field="key_id")
        uow.commit()
    return stored


def list_keys(uow: UnitOfWork) -> list[StoredApiKey]:
    """Every key, revoked ones too, oldest first (secrets are not stored, so not shown)."""
    with uow:
        return uow.api_keys.list()
