"""The PD vault's rules: provenance, validation by value type, data minimisation.

Pure: no keys, no database. A value offered for storage goes through
:func:`validate`, which

1. refuses a category the register does not know (``InputError`` naming the
   category, never the value);
2. refuses a category no purpose of the register needs, and purposes that do
   not need it (``LegalRestrictionError``: Law 94-V Art. 7, only the PD that is
   necessary and sufficient for the purposes is collected);
3. checks and normalises the value by its category's :class:`ValueType`
   (IIN digits, E.164 phone, ISO date, upper-case IBAN...). A card number is
   Luhn-checked and replaced by a token plus BIN6 and last 4: the PAN itself
   leaves this module only inside the exception-free :class:`CardDetails`,
   which holds no PAN.

Citations come in through :class:`VaultRules`, loaded by an adapter from
``data/vault_rules.yaml``, so a DPO can correct them without a release.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from json.encoder import encode_basestring as _encode_text
from typing import TypeAlias

from derbes.errors import IdentifierError, InputError, LegalRestrictionError
from derbes.identifiers.model import email as kz_email
from derbes.identifiers.model import iban as kz_iban
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.model import pan as kz_pan
from derbes.register.model.register import DataCategory, Register, ValueType
from derbes.retention.model.clocks import applies_to_everyone

JsonValue: TypeAlias = (
    bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
)

# Law 94-V Art. 24: the subject has the right to know which of their PD the
# operator holds. A read for this purpose returns every category held, not
# only those one business purpose needs; it is not a purpose of the register.
SUBJECT_ACCESS_REQUEST = "subject_access_request"

# The base taxonomy's category for the operator's own customer / wallet id,
# which is indexed for look-up like IIN, phone and e-mail.
CUSTOMER_ID_CATEGORY = "account.customer_id"

MAX_TEXT = 10_000  # characters of a text value; longer input is refused, not truncated
MAX_JSON = 100_000  # characters of the JSON encoding of a structured value
MAX_METHOD = 100
CURRENCY_LENGTH = 3
DEFAULT_CURRENCY = "KZT"


class Source(StrEnum):
    """Where a value came from (Law 94-V Art. 24: the subject learns the sources)."""

    SUBJECT = "subject"
    CREDIT_BUREAU = "credit_bureau"
    PENSION_CENTRE = "pension_centre"
    STATE_DATABASE = "state_database"
    OPERATOR = "operator"
    THIRD_PARTY = "third_party"


class LookupKind(StrEnum):
    """Identifiers a subject can be found by (through a blind index only)."""

    IIN = "iin"
    PHONE = "phone"
    EMAIL = "email"
    CUSTOMER_ID = "customer_id"


PhoneNormaliser = Callable[[str], str]
"""Turns a phone number into E.164 or raises ``IdentifierError`` (adapters.phone)."""

TokenFactory = Callable[[], str]
"""A new random card token (never derived from the PAN)."""


@dataclass(frozen=True)
class VaultRules:
    """Citations the vault's refusals carry (``data/vault_rules.yaml``)."""

    minimisation: str
    access_request: str
    blocking: str
    destruction: str


@dataclass(frozen=True)
class Provenance:
    """Source, purposes, method and time of collection of one value.

    ``purposes`` are the purposes the value was expressly collected for. Empty
    means "none named": :func:`validate` resolves it to the purposes the
    register applies to everyone (a law's purpose counted from collection), so
    what is stored is explicit; consent, contract and the law's other purposes
    apply once the subject is in them (``retention/model/clocks.py``).
    """

    source: Source
    purposes: tuple[str, ...]
    method: str
    collected_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.source, Source):
            try:
                object.__setattr__(self, "source", Source(self.source))
            except ValueError:
                allowed = ", ".join(s.value for s in Source)
                raise InputError(
                    f"unknown source: use one of {allowed}", field="source"
                ) from None
        object.__setattr__(self, "purposes", tuple(self.purposes))
        method = self.method.strip() if isinstance(self.method, str) else ""
        if not method or len(method) > MAX_METHOD:
            raise InputError(
                f"method of collection must be 1 to {MAX_METHOD} characters", field="method"
            )
        object.__setattr__(self, "method", method)
        if self.collected_at.tzinfo is None or self.collected_at.utcoffset() is None:
            raise InputError("collected_at must carry a time zone", field="collected_at")


@dataclass(frozen=True)
class NewValue:
    """A value offered for storage, not yet checked."""

    category: str
    value: object = field(repr=False)
    provenance: Provenance


@dataclass(frozen=True)
class CardDetails:
    """What is kept of a payment card: a random token, BIN6, last 4 and brand."""

    token: str
    bin6: str
    last4: str
    brand: str

    def as_value(self) -> dict[str, JsonValue]:
        return {"token": self.token, "bin6": self.bin6, "last4": self.last4,
                "brand": self.brand}


@dataclass(frozen=True)
class PdValue:
    """A checked, normalised value of one category, ready to be sealed."""

    category: str
    value_type: ValueType
    value: JsonValue = field(repr=False)
    provenance: Provenance
    card: CardDetails | None = None

    def plaintext(self) -> bytes:
        return encode_plain(self.value)


@dataclass(frozen=True)
class Block:
    """A block on a whole subject (``category`` None) or on one of its categories."""

    subject_id: str
    category: str | None
    reason: str
    blocked_at: datetime


# ------------------------------------------------------------ plaintext form


def encode_plain(value: JsonValue) -> bytes:
    """The bytes that are sealed: canonical JSON, UTF-8."""
    if type(value) is str:
        # What json.dumps(..., ensure_ascii=False) returns for a string, without
        # building an encoder per call: most values of a batch are text.
        return _encode_text(value).encode("utf-8")
    return json.dumps(
        value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False
    ).encode("utf-8")


def decode_plain(data: bytes) -> JsonValue:
    decoded: JsonValue = json.loads(data.decode("utf-8"))
    return decoded


# ---------------------------------------------------------------- minimisation


def category_of(register: Register, category: str) -> DataCategory:
    """The register's category ``category``; ``InputError`` naming it if unknown."""
    found = register.categories.get(category) if isinstance(category, str) else None
    if found is None:
        raise InputError(
            f"unknown data category {category!r} in the register of "
            f"{register.operator.id!r}",
            field="category",
        )
    return found


def collection_purposes(
    register: Register, category: str, purposes: Sequence[str], rules: VaultRules
) -> tuple[str, ...]:
    """The purposes a value of ``category`` is collected for, checked against the register.

    Law 94-V Art. 7 and Rules 395/НҚ: only PD necessary and sufficient for the
    purposes is collected, so a category that no purpose needs is refused, and
    so is a stated purpose that does not need it.
    """
    category_of(register, category)
    needing = tuple(p.id for p in register.purposes_for_category(category))
    if not needing:
        raise LegalRestrictionError(
            f"no purpose of the register of {register.operator.id!r} needs category "
            f"{category!r}: it may not be collected",
            citation=rules.minimisation,
            field="category",
        )
    if not purposes:
        # Named by nobody: linked only to what the register says applies to every
        # subject. Consent, contract and law purposes apply once the subject is in
        # them (a consent, a contract, the law's trigger: ``retention/model/clocks.py``).
        return tuple(p for p in needing if applies_to_everyone(register.purposes[p]))
    out: list[str] = []
    for purpose in purposes:
        if purpose not in register.purposes:
            raise InputError(
                f"unknown purpose {purpose!r} in the register of {register.operator.id!r}",
                field="purposes",
            )
        if purpose not in needing:
            raise LegalRestrictionError(
                f"purpose {purpose!r} does not need category {category!r}",
                citation=rules.minimisation,
                field="purposes",
            )
        if purpose not in out:
            out.append(purpose)
    return tuple(out)


def readable_categories(
    register: Register, purpose: str | None, rules: VaultRules
) -> frozenset[str] | None:
    """Categories a read for ``purpose`` may return; None means all (access request).

    A read states its purpose (Order 179/НҚ: every access to PD is logged with its
    purpose): no purpose, no read.
    """
    if purpose is None or not isinstance(purpose, str) or not purpose.strip():
        raise InputError("a read of personal data must state its purpose", field="purpose")
    if purpose == SUBJECT_ACCESS_REQUEST:
        # Law 94-V Art. 24: the subject's own access request covers every
        # category held about them, whatever purpose it was collected for.
        return None
    found = register.purposes.get(purpose)
    if found is None:
        raise InputError(
            f"unknown purpose {purpose!r} in the register of {register.operator.id!r}",
            field="purpose",
        )
    return frozenset(found.categories)


# ------------------------------------------------------------------ validation


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InputError(f"{what} must be text, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InputError(f"{what} is empty")
    if len(text) > MAX_TEXT:
        raise InputError(f"{what} is longer than {MAX_TEXT} characters")
    return text


def _json(value: object, what: str) -> JsonValue:
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be JSON data (objects, lists, text, numbers)") from None
    if len(encoded) > MAX_JSON:
        raise InputError(f"{what} is longer than {MAX_JSON} characters as JSON")
    decoded: JsonValue = json.loads(encoded)
    return decoded


def _text_or_object(value: object, what: str) -> JsonValue:
    if isinstance(value, Mapping):
        if not value:
            raise InputError(f"{what} is empty")
        return _json(value, what)
    return _text(value, what)


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InputError(f"{what} must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise InputError(f"{what} must be a finite number")
    try:
        number = Decimal(str(value).strip().replace(" ", "")) if isinstance(value, str) \
            else Decimal(str(value))
    except InvalidOperation:
        raise InputError(f"{what} must be a number") from None
    if not number.is_finite():
        raise InputError(f"{what} must be a finite number")
    return number


def _number(value: object, what: str) -> JsonValue:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    number = _decimal(value, what)
    if number == number.to_integral_value() and abs(number) < 2**63:
        return int(number)
    return str(number)  # exact decimal text: a float would round it


def _money(value: object, what: str) -> JsonValue:
    if isinstance(value, Mapping):
        unknown = set(value) - {"amount", "currency"}
        if unknown or "amount" not in value:
            raise InputError(f"{what} must be {{amount, currency}}")
        amount = _decimal(value["amount"], what)
        currency = value.get("currency", DEFAULT_CURRENCY)
        if (not isinstance(currency, str) or len(currency) != CURRENCY_LENGTH
                or not currency.isascii() or not currency.isalpha()):
            raise InputError(f"{what} currency must be a three-letter ISO 4217 code")
        return {"amount": str(amount), "currency": currency.upper()}
    return {"amount": str(_decimal(value, what)), "currency": DEFAULT_CURRENCY}


def _iso_date(value: object, what: str) -> str:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = _text(value, what)
    try:
        parsed = date.fromisoformat(text)
    except ValueError:
        raise InputError(f"{what} must be an ISO date (YYYY-MM-DD)") from None
    if len(text) != len("2000-01-01"):
        raise InputError(f"{what} must be an ISO date (YYYY-MM-DD)")
    return parsed.isoformat()


def _card(value: object, new_token: TokenFactory) -> tuple[JsonValue, CardDetails]:
    if not isinstance(value, str):
        raise IdentifierError("card number must be text")
    pan = kz_pan.parse(value)
    card = CardDetails(token=new_token(), bin6=pan.bin6, last4=pan.last4, brand=pan.brand.value)
    return card.as_value(), card


def check_value(
    category: DataCategory,
    value: object,
    *,
    phone: PhoneNormaliser,
    new_token: TokenFactory,
    on: date | None = None,
) -> tuple[JsonValue, CardDetails | None]:
    """``value`` checked and normalised by the category's type; errors never quote it."""
    what = f"value of {category.id}"
    kind = category.value_type
    try:
        if kind is ValueType.IIN:
            if not isinstance(value, str):
                raise IdentifierError("IIN must be text")
            return kz_iin.parse(value, on=on).value, None
        if kind is ValueType.PHONE:
            if not isinstance(value, str):
                raise IdentifierError("phone number must be text")
            return phone(value), None
        if kind is ValueType.EMAIL:
            if not isinstance(value, str):
                raise IdentifierError("e-mail address must be text")
            return kz_email.parse(value).value, None
        if kind is ValueType.IBAN:
            if not isinstance(value, str):
                raise IdentifierError("IBAN must be text")
            return kz_iban.parse(value).value, None
        if kind is ValueType.CARD_TOKEN:
            return _card(value, new_token)
    except IdentifierError as exc:
        # The identifier modules never quote the value; add which category failed.
        raise IdentifierError(f"{category.id}: {exc.message}", field="value") from None
    if kind is ValueType.DATE:
        return _iso_date(value, what), None
    if kind is ValueType.NUMBER:
        return _number(value, what), None
    if kind is ValueType.MONEY:
        return _money(value, what), None
    if kind in (ValueType.ADDRESS, ValueType.DOCUMENT):
        return _text_or_object(value, what), None
    if kind is ValueType.JSON:
        return _json(value, what), None
    # TEXT and IMAGE (a reference or base64 text).
    return _text(value, what), None


def validate(
    register: Register,
    new: NewValue,
    rules: VaultRules,
    *,
    phone: PhoneNormaliser,
    new_token: TokenFactory,
    on: date | None = None,
) -> PdValue:
    """Check one offered value against the register and its category's type."""
    category = category_of(register, new.category)
    purposes = collection_purposes(register, new.category, new.provenance.purposes, rules)
    value, card = check_value(category, new.value, phone=phone, new_token=new_token, on=on)
    provenance = Provenance(
        source=new.provenance.source,
        purposes=purposes,
        method=new.provenance.method,
        collected_at=new.provenance.collected_at,
    )
    return PdValue(category=category.id, value_type=category.value_type, value=value,
                   provenance=provenance, card=card)


class BatchValidator:
    """:func:`validate` for many values against one register, with what repeats worked out once.

    The same checks in the same order as :func:`validate`: the category is
    looked up, its purposes are resolved against the register (minimisation),
    then the value is checked by the category's type. What depends only on
    (category, provenance) — the category entry and the resolved provenance —
    is kept after its first success and reused for the batch; every value is
    still checked by its type. Phone numbers normalised during the batch are
    remembered in :attr:`phone` for the batch only: the validator lives as
    long as one call and nothing of it is stored.
    """

    def __init__(
        self,
        register: Register,
        rules: VaultRules,
        *,
        phone: PhoneNormaliser,
        new_token: TokenFactory,
        on: date | None = None,
    ) -> None:
        self._register = register
        self._rules = rules
        self._normalise_phone = phone
        self._new_token = new_token
        self._on = on
        self._phones: dict[str, str] = {}
        self._resolved: dict[tuple[str, Provenance], tuple[DataCategory, Provenance]] = {}

    def phone(self, value: str) -> str:
        """The phone normaliser, remembering its answers for this batch."""
        normalised = self._phones.get(value)
        if normalised is None:
            normalised = self._normalise_phone(value)
            self._phones[value] = normalised
        return normalised

    def _resolve(self, new: NewValue) -> tuple[DataCategory, Provenance]:
        category = category_of(self._register, new.category)
        given = new.provenance
        purposes = collection_purposes(self._register, new.category, given.purposes,
                                       self._rules)
        provenance = Provenance(source=given.source, purposes=purposes, method=given.method,
                                collected_at=given.collected_at)
        return category, provenance

    def validate(self, new: NewValue) -> PdValue:
        key = (new.category, new.provenance)
        try:
            resolved = self._resolved.get(key)
            cacheable = True
        except TypeError:  # not hashable, so not a category id: _resolve says what is wrong
            resolved, cacheable = None, False
        if resolved is None:
            resolved = self._resolve(new)
            if cacheable:
                self._resolved[key] = resolved
        category, provenance = resolved
        value, card = check_value(category, new.value, phone=self.phone,
                                  new_token=self._new_token, on=self._on)
        return PdValue(category=category.id, value_type=category.value_type, value=value,
                       provenance=provenance, card=card)


def validate_all(
    register: Register,
    values: Iterable[NewValue],
    rules: VaultRules,
    *,
    phone: PhoneNormaliser,
    new_token: TokenFactory,
    on: date | None = None,
) -> list[PdValue]:
    validator = BatchValidator(register, rules, phone=phone, new_token=new_token, on=on)
    return [validator.validate(v) for v in values]


# ----------------------------------------------------------------- look-ups


def normalise_identifier(kind: LookupKind | str, value: object, phone: PhoneNormaliser) -> str:
    """The canonical form a blind index is computed over.

    IIN: its 12 digits; phone: E.164; e-mail: the whole address lower-cased
    (look-up is case-insensitive even where delivery may not be);
    customer id: as given, without surrounding blanks.
    """
    try:
        lookup = LookupKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in LookupKind)
        raise InputError(f"unknown identifier kind: use one of {allowed}", field="kind") from None
    if not isinstance(value, str):
        raise IdentifierError(f"{lookup.value} must be text", field="value")
    try:
        if lookup is LookupKind.IIN:
            return kz_iin.parse(value).value
        if lookup is LookupKind.PHONE:
            return phone(value)
        if lookup is LookupKind.EMAIL:
            return kz_email.parse(value).value.lower()
    except IdentifierError as exc:
        raise IdentifierError(exc.message, field="value") from None
    text = value.strip()
    if not text or len(text) > MAX_METHOD * 2:
        raise InputError("customer id must be 1 to 200 characters", field="value")
    return text


_KIND_OF_TYPE: dict[ValueType, LookupKind] = {
    ValueType.IIN: LookupKind.IIN,
    ValueType.PHONE: LookupKind.PHONE,
    ValueType.EMAIL: LookupKind.EMAIL,
}


def lookup_of(value: PdValue) -> tuple[LookupKind, str] | None:
    """The identifier a stored value makes the subject findable by, if any."""
    if value.category == CUSTOMER_ID_CATEGORY and isinstance(value.value, str):
        return LookupKind.CUSTOMER_ID, value.value.strip()
    kind = _KIND_OF_TYPE.get(value.value_type)
    if kind is None or not isinstance(value.value, str):
        return None
    return kind, value.value.lower() if kind is LookupKind.EMAIL else value.value


def lookups_of(
    values: Iterable[PdValue],
    identifiers: Mapping[LookupKind, str] | Mapping[str, str],
    phone: PhoneNormaliser,
) -> list[tuple[LookupKind, str]]:
    """Distinct (kind, normalised identifier) pairs: from values and given explicitly."""
    found: list[tuple[LookupKind, str]] = []
    for value in values:
        pair = lookup_of(value)
        if pair is not None and pair not in found:
            found.append(pair)
    for kind, raw in identifiers.items():
        normalised = normalise_identifier(kind, raw, phone)
        pair = (LookupKind(kind), normalised)
        if pair not in found:
            found.append(pair)
    return found


EPOCH_KEK_PREFIX = "epoch:"  # the kek_id of a data key wrapped by a key epoch's key


def epoch_kek_id(epoch: int) -> str:
    return f"{EPOCH_KEK_PREFIX}{epoch}"


def parse_epoch_kek_id(kek_id: str) -> int | None:
    """The epoch of an ``epoch:N`` kek_id; None for a KEK's own id."""
    tail = kek_id.removeprefix(EPOCH_KEK_PREFIX)
    return int(tail) if tail != kek_id and tail.isdigit() else None


def is_epoch_kek_id(kek_id: str) -> bool: return parse_epoch_kek_id(kek_id) is not None
