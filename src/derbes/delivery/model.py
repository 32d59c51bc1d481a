"""Messages to subjects and staff, and what became of them: pure rules and values.

A message is a template (``otp_code``, ``sign_in_link``, ``request_status``) in a
language (ru, kk, en) with its parameters, for one recipient (a phone number or
an e-mail address). A delivery is the record of one message: its state
(queued → sent, or failed and tried again after a back-off, or given up), the
attempts made, the last failure's reason, the recipient only masked. The
recipient and the parameters (a one-time code is one) are sealed by the service;
nothing here sees a key.

SMS length: a text of GSM 03.38 characters is sent 7 bits a character (160 in one
segment, 153 a segment once it is split); any other character — every Cyrillic
and Kazakh letter among them — makes the whole text UCS-2 (70 UTF-16 units in one
segment, 67 a segment once split: the rest of each segment is the concatenation
header, 3GPP TS 23.040 §9.2.3.24.1).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from derbes.errors import ConfigurationError, InputError

__all__ = [
    "LANGUAGES",
    "Channel",
    "Delivery",
    "DeliveryRules",
    "Failure",
    "Message",
    "RetryPolicy",
    "SmsLength",
    "State",
    "Template",
    "TemplateText",
    "Templates",
    "after_failure",
    "delay_after",
    "mask",
    "mask_email",
    "mask_phone",
    "parse_failure",
    "render",
    "sms_length",
]

LANGUAGES = ("ru", "kk", "en")
MASK = "•"


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


class State(StrEnum):
    """Where a delivery stands. ``failed`` will be tried again at ``next_attempt_at``;
    ``gave_up`` will not (a failure no retry can mend, the attempts spent, or the
    message expired), unless staff retry it by hand."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    GAVE_UP = "gave_up"


class Template(StrEnum):
    OTP_CODE = "otp_code"
    SIGN_IN_LINK = "sign_in_link"
    REQUEST_STATUS = "request_status"
    INCIDENT_DUE = "incident_due"
    INCIDENT_SUBJECT_SMS = "incident_subject_sms"
    INCIDENT_SUBJECT_EMAIL = "incident_subject_email"


class Failure(StrEnum):
    """Why an attempt failed; only a server that is down or slow is worth a retry."""

    AUTH = "auth"  # the gateway refused our key or login
    BALANCE = "balance"  # the account has no money left
    INVALID_RECIPIENT = "invalid_recipient"  # the number or address is refused
    REJECTED = "rejected"  # the gateway refused the message for another reason
    UNAVAILABLE = "unavailable"  # 5xx, connection refused or reset
    TIMEOUT = "timeout"
    NOT_CONFIGURED = "not_configured"  # no gateway is configured on this installation
    EXPIRED = "expired"  # the message is no use any more (a code past its term)
    SHREDDED = "shredded"  # the key that sealed the recipient was destroyed

    @property
    def retryable(self) -> bool:
        return self in (Failure.UNAVAILABLE, Failure.TIMEOUT)


def parse_failure(reason: str) -> Failure:
    try:
        return Failure(reason)
    except ValueError:
        return Failure.REJECTED


# ------------------------------------------------------------------ back-off


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: the n-th retry waits ``first_delay * factor**(n-1)``,
    at most ``max_delay``; after ``max_attempts`` attempts the delivery is given up."""

    first_delay: timedelta
    factor: float
    max_delay: timedelta
    max_attempts: int
    source: str = ""

    def __post_init__(self) -> None:
        if self.first_delay <= timedelta(0) or self.max_delay < self.first_delay:
            raise ConfigurationError("retry: 0 < first delay <= max delay is required")
        if self.factor < 1 or not 1 <= self.max_attempts <= 50:
            raise ConfigurationError("retry: factor >= 1 and 1 to 50 attempts are required")


def delay_after(policy: RetryPolicy, attempts: int) -> timedelta:
    """How long to wait after ``attempts`` failed attempts before the next one."""
    if attempts < 1:
        return timedelta(0)
    seconds = policy.first_delay.total_seconds()
    cap = policy.max_delay.total_seconds()
    for _ in range(attempts - 1):
        seconds *= policy.factor
        if seconds >= cap:
            return policy.max_delay
    return timedelta(seconds=seconds)


def after_failure(policy: RetryPolicy, failure: Failure, attempts: int, now: datetime,
                  expires_at: datetime | None) -> tuple[State, datetime | None]:
    """The state after the ``attempts``-th attempt failed, and when to try next."""
    if not failure.retryable or attempts >= policy.max_attempts:
        return State.GAVE_UP, None
    at = now + delay_after(policy, attempts)
    if expires_at is not None and at >= expires_at:
        return State.GAVE_UP, None
    return State.FAILED, at


# ------------------------------------------------------------------ masking


def mask_phone(phone: str) -> str:
    """``+77011234567`` → ``+7•••••••67``: the country code and the last two digits."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) < 7:
        return MASK * 4
    head = "+" + digits[0] if phone.strip().startswith("+") else digits[0]
    return head + MASK * (len(digits) - 3) + digits[-2:]


def mask_email(address: str) -> str:
    """``aigerim@mail.kz`` → ``a•••@m•••.kz``: a first letter each, and the top domain."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or "." not in domain:
        return MASK * 4
    name, _, top = domain.rpartition(".")
    return f"{local[0]}{MASK * 3}@{name[:1]}{MASK * 3}.{top}"


def mask(channel: Channel, recipient: str) -> str:
    return mask_phone(recipient) if channel is Channel.SMS else mask_email(recipient)


# ------------------------------------------------------------------ SMS length

# GSM 03.38 default alphabet (one septet each) and its extension table (two: escape + char).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")
_GSM_SINGLE, _GSM_PART = 160, 153
_UCS2_SINGLE, _UCS2_PART = 70, 67


@dataclass(frozen=True)
class SmsLength:
    encoding: str  # "gsm7" or "ucs2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int


def sms_length(text: str) -> SmsLength:
    """How the text travels: its encoding, its length in that encoding, its segments."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENDED for c in text):
        units = sum(2 if c in GSM7_EXTENDED else 1 for c in text)
        single, part, encoding = _GSM_SINGLE, _GSM_PART, "gsm7"
    else:
        units = len(text.encode("utf-16-le")) // 2
        single, part, encoding = _UCS2_SINGLE, _UCS2_PART, "ucs2"
    if units == 0:
        return SmsLength(encoding, 0, 0)
    segments = 1 if units <= single else -(-units // part)
    return SmsLength(encoding, units, segments)


# ------------------------------------------------------------------ templates


@dataclass(frozen=True)
class TemplateText:
    body: str
    subject: str | None = None  # e-mail only


@dataclass(frozen=True)
class TemplateSpec:
    """One template: its channel, the parameters it takes, its text per language, and
    (SMS) the segments a message may take with the longest parameters it will get."""

    template: Template
    channel: Channel
    params: tuple[str, ...]
    texts: Mapping[str, TemplateText]
    max_segments: int | None = None
    sample: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Templates:
    specs: Mapping[Template, TemplateSpec]

    def __post_init__(self) -> None:
        for spec in self.specs.values():
            check_spec(spec)


@dataclass(frozen=True)
class DeliveryRules:
    retry: RetryPolicy
    templates: Templates


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def check_spec(spec: TemplateSpec) -> None:
    """Every language present, placeholders exactly the parameters, SMS within its
    segments with the sample parameters (the longest it will be given)."""
    name = spec.template.value
    missing = [lang for lang in LANGUAGES if lang not in spec.texts]
    if missing:
        raise ConfigurationError(f"template {name}: no text in {', '.join(missing)}")
    for lang, text in spec.texts.items():
        used = _placeholders(text.body) | (_placeholders(text.subject) if text.subject else set())
        if used != set(spec.params):
            raise ConfigurationError(
                f"template {name} ({lang}): placeholders {sorted(used)} are not the "
                f"parameters {sorted(spec.params)}")
        if spec.channel is Channel.EMAIL and not text.subject:
            raise ConfigurationError(f"template {name} ({lang}): an e-mail needs a subject")
        if spec.channel is Channel.SMS and spec.max_segments is not None:
            length = sms_length(text.body.format_map(dict(spec.sample)))
            if length.segments > spec.max_segments:
                raise ConfigurationError(
                    f"template {name} ({lang}): {length.segments} SMS segments "
                    f"({length.units} {length.encoding} units), at most {spec.max_segments}")


def render(templates: Templates, template: Template, language: str,
           params: Mapping[str, str]) -> TemplateText:
    """The message's subject and body; ``InputError`` for an unknown language or a
    parameter missing or unexpected (named, never its value)."""
    spec = templates.specs.get(template)
    if spec is None:
        raise InputError(f"unknown template {template}", field="template")
    text = spec.texts.get(language)
    if text is None:
        raise InputError(f"no {template.value} text in {language!r}: one of "
                         f"{', '.join(LANGUAGES)}", field="language")
    wrong = set(params) ^ set(spec.params)
    if wrong:
        raise InputError(f"template {template.value} takes {', '.join(spec.params)}; "
                         f"wrong parameter(s): {', '.join(sorted(wrong))}", field="params")
    values = {k: str(v) for k, v in params.items()}
    subject = text.subject.format_map(values) if text.subject else None
    return TemplateText(text.body.format_map(values), subject)


# ------------------------------------------------------------------ records


@dataclass(frozen=True)
class Message:
    """What to send, before it is sealed: never printed with its recipient or values."""

    template: Template
    language: str
    recipient: str = field(repr=False)
    params: Mapping[str, str] = field(default_factory=dict, repr=False)
    expires_at: datetime | None = None  # no use after this (a code past its term)
    operator_id: str | None = None


@dataclass(frozen=True)
class Delivery:
    """One message's record. ``key_id`` names the key that sealed the recipient and
    parameters (a subject's, a request's or the delivery's own): destroying it
    shreds them. ``recipient_masked`` is all that is shown."""

    id: str
    channel: Channel
    template: Template
    language: str
    key_id: str
    sealed: bytes = field(repr=False)
    recipient_masked: str
    state: State
    attempts: int
    created_at: datetime
    updated_at: datetime
    next_attempt_at: datetime | None = None
    expires_at: datetime | None = None
    last_failure: Failure | None = None
    last_detail: str | None = None  # the gateway's answer code, never its text
    provider_ref: str | None = None
    operator_id: str | None = None

    def due(self, now: datetime) -> bool:
        return (self.state in (State.QUEUED, State.FAILED)
                and self.next_attempt_at is not None and self.next_attempt_at <= now)
