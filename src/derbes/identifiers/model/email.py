"""E-mail address: a pragmatic syntax check, not a proof that a mailbox exists.

Accepted: ``local@domain`` where the local part is a dot-atom of ASCII
characters (no quoted strings, no comments) and the domain has at least two
labels of letters, digits and hyphens; internationalised domains (``.қаз``)
are checked in their IDNA (punycode) form. Lengths follow RFC 5321 s.4.5.3.1:
local part at most 64 octets, domain at most 255, the whole address at most
254 (a path is at most 256 octets including the angle brackets).

The domain is case-insensitive and is lower-cased; the local part is kept as
given (RFC 5321 s.2.4: only the receiving host may treat it case-insensitively).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field

from derbes.errors import IdentifierError
from derbes.identifiers.model._verdict import Kind, Masked, Verdict, require_text

MAX_LOCAL = 64
MAX_DOMAIN = 255
MAX_ADDRESS = 254
MAX_LABEL = 63

_ATEXT = frozenset(string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class Email(Masked):
    local: str = field(repr=False)
    domain: str
    ascii_domain: str

    @property
    def value(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def masked(self) -> str:
        return f"{self.local[0]}***@{self.domain}"


def _check_local(local: str) -> None:
    if not local:
        raise IdentifierError("e-mail local part (before @) is empty")
    if len(local.encode()) > MAX_LOCAL:
        raise IdentifierError(f"e-mail local part is longer than {MAX_LOCAL} octets")
    if not set(local) <= _ATEXT | {"."}:
        raise IdentifierError("e-mail local part has characters outside the allowed set")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise IdentifierError("e-mail local part has a misplaced dot")


def _ascii_domain(domain: str) -> str:
    if domain.isascii():
        return domain
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise IdentifierError("e-mail domain is not a valid internationalised name") from None


def _check_domain(ascii_domain: str) -> None:
    if len(ascii_domain) > MAX_DOMAIN:
        raise IdentifierError(f"e-mail domain is longer than {MAX_DOMAIN} octets")
    labels = ascii_domain.split(".")
    if len(labels) < 2:
        raise IdentifierError("e-mail domain must contain a dot")
    for label in labels:
        if not label:
            raise IdentifierError("e-mail domain has an empty label")
        if len(label) > MAX_LABEL:
            raise IdentifierError(f"e-mail domain label is longer than {MAX_LABEL} characters")
        if not _LABEL.fullmatch(label):
            raise IdentifierError(
                "e-mail domain labels must be letters, digits and inner hyphens"
            )
    if labels[-1].isdigit():
        raise IdentifierError("e-mail top-level domain cannot be numeric")


def parse(value: str) -> Email:
    text = require_text(value, Kind.EMAIL).strip()
    if "@" not in text:
        raise IdentifierError("e-mail address must contain @")
    local, _, domain = text.rpartition("@")
    domain = domain.lower()
    _check_local(local)
    if not domain:
        raise IdentifierError("e-mail domain (after @) is empty")
    ascii_domain = _ascii_domain(domain)
    _check_domain(ascii_domain)
    if len(local.encode()) + 1 + len(ascii_domain) > MAX_ADDRESS:
        raise IdentifierError(f"e-mail address is longer than {MAX_ADDRESS} octets")
    return Email(local=local, domain=domain, ascii_domain=ascii_domain)


def check(value: str) -> Verdict:
    try:
        email = parse(value)
    except IdentifierError as exc:
        return Verdict.invalid(Kind.EMAIL, exc.message)
    facts: dict[str, str | int | bool] = {
        "domain": email.domain,
        "idn": email.domain != email.ascii_domain,
    }
    return Verdict(valid=True, kind=Kind.EMAIL, value=email.value, masked=email.masked,
                   facts=facts)
