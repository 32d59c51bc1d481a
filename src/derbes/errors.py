"""The one exception tree of derbes.

Nothing here knows about HTTP or exit codes: the API maps these classes to
RFC 9457 problem documents in ``api/problems.py`` and the CLI maps
them to messages and exit codes in ``cli/app.py``.

Messages never carry personal data in clear: callers pass identifiers masked
or as a kind ("IIN"), never the value itself.

    DerbesError
    ├── InputError                 bad input; nothing stored was changed
    │   ├── RegisterError          a processing register does not load
    │   │   └── NoticeRefusedError a notice of a register with unwaived lint errors
    │   │                          (rendered only as a watermarked draft)
    │   ├── DatasetError           a dataset (operator database mapping) does not load,
    │   │                          or does not match the register or the live database
    │   ├── IdentifierError        an IIN/BIN/IBAN/PAN/phone/e-mail is invalid
    │   ├── PeriodError            a retention period or term does not parse
    │   └── SourceSkipped          a scanned source (file, table, database) cannot be read;
    │                              the scan reports it with its reason and goes on
    ├── NotFoundError              the thing asked for does not exist
    ├── ConflictError              the request contradicts what is stored
    ├── AuthError                  caller unknown or not allowed
    │   └── UnauthenticatedError   no credentials, or ones that match no caller
    ├── RateLimitedError           too many attempts (codes, keys): refused until a time
    ├── LegalRestrictionError      the law forbids the action (with citation)
    │   └── DecisionDeniedError    the decision point refused; every reason listed
    ├── ConfigurationError         settings, keys or the environment are wrong
    │   └── StoreUnavailableError  an operator database is unreachable or failed mid-work
    │       │                      (its transaction was rolled back: nothing changed)
    │       └── StoreNotConfiguredError  no URL is set for an operator database
    ├── DeliveryError              an SMS gateway or mail server did not take a message;
    │                              ``retryable`` says whether trying again can help
    ├── DatabaseBusyError          derbes's own database stayed busy (other writers, a
    │                              deadlock) past the wait allowed; nothing was changed
    └── CryptoError                a ciphertext fails authentication (tampered,
                                   swapped, or sealed under another key)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Problem:
    """One located problem: what is wrong and where (file, line, path)."""

    message: str
    path: str = ""
    file: str | None = None
    line: int | None = None
    code: str | None = None

    def render(self) -> str:
        where = []
        if self.file:
            where.append(self.file if self.line is None else f"{self.file}:{self.line}")
        elif self.line is not None:
            where.append(f"line {self.line}")
        if self.path:
            where.append(self.path)
        prefix = " ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class DerbesError(Exception):
    """Base of every error derbes raises on purpose."""

    title = "derbes error"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def mapped(exc: DerbesError, table: Mapping[type[DerbesError], _T], default: _T) -> _T:
    """What ``table`` says for ``exc``'s class or, failing that, its nearest ancestor in
    the tree: how the API picks a status and the CLI an exit code."""
    for cls in type(exc).__mro__:
        if cls in table:
            return table[cls]
    return default


class InputError(DerbesError):
    title = "Invalid input"


class ProblemsError(InputError):
    """An input file with every problem found in it, each located; the message is the
    first problem (and how many more), the field its path."""

    none_found = "invalid input file"  # the message when no problem was located

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0].render() if self.problems else self.none_found
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more, field=self.problems[0].path if self.problems else None)


class RegisterError(ProblemsError):
    """A register file is malformed or inconsistent; carries every problem found."""

    title = "Invalid processing register"
    none_found = "invalid register"


class NoticeRefusedError(RegisterError):
    """The register loads but has unwaived lint errors: its notice is not published
    (``--draft`` renders it with a watermark on every page)."""

    title = "Register has unwaived lint errors"


class DatasetError(ProblemsError):
    """A dataset file is malformed, or disagrees with the register or the live database.

    Carries every problem found, each located (file, line, dotted path).
    """

    title = "Invalid dataset"
    none_found = "invalid dataset"


class IdentifierError(InputError):
    title = "Invalid identifier"


class PeriodError(InputError):
    title = "Invalid period"


class SourceSkipped(InputError):
    """A source the PD scanner was given cannot be read (unreadable, binary, refused,
    no permission). ``where`` names it (a path, or a table: never a URL with its
    password); the message never quotes the source's content."""

    title = "Source skipped"

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}", field="source")
        self.where = where
        self.reason = reason

    def __reduce__(self) -> tuple[type[SourceSkipped], tuple[str, str]]:
        # Raised in worker processes and sent back to the scan: pickled with both fields.
        return (type(self), (self.where, self.reason))


class NotFoundError(DerbesError):
    title = "Not found"


class ConflictError(DerbesError):
    title = "Conflict"


class AuthError(DerbesError):
    title = "Not allowed"


class UnauthenticatedError(AuthError):
    """No API key, or a key that is unknown, malformed or revoked (never echoed back)."""

    title = "Not authenticated"


class RateLimitedError(DerbesError):
    """Too many attempts at a code or a key: refused until ``until``.

    ``retry_after`` is the whole number of seconds from the refusal to ``until``
    (what an HTTP client is told to wait). Nothing about the attempt itself —
    whether a code or key was right — is said while the refusal lasts.
    """

    title = "Too many attempts"

    def __init__(self, message: str, *, until: datetime, retry_after: int,
                 field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.until = until
        self.retry_after = max(1, retry_after)


class LegalRestrictionError(DerbesError):
    """The law forbids what was asked; ``citation`` says which rule."""

    title = "Restricted by law"

    def __init__(self, message: str, *, citation: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.citation = citation


class DecisionDeniedError(LegalRestrictionError):
    """The decision point said no. ``reasons`` lists every denial as plain data:
    ``{"subject_id", "code", "message", "citation", "ref"}`` (ids only, no PD)."""

    def __init__(
        self,
        message: str,
        *,
        citation: str,
        reasons: list[dict[str, str | None]],
        field: str | None = None,
    ) -> None:
        super().__init__(message, citation=citation, field=field)
        self.reasons = reasons


class ConfigurationError(DerbesError):
    title = "Configuration error"


class DeliveryError(DerbesError):
    """An SMS gateway or a mail server did not take a message.

    ``reason`` is one of the delivery model's failure reasons (``auth``, ``balance``,
    ``invalid_recipient``, ``rejected``, ``unavailable``, ``timeout``…), ``retryable``
    whether the same message may get through later (a server down, a timeout), not
    (a wrong key, an empty balance, a number the gateway refuses). The message names
    the gateway and its answer code, never the recipient, the text or a code sent.
    """

    title = "Delivery failed"

    def __init__(self, message: str, *, reason: str, retryable: bool) -> None:
        super().__init__(message, field="recipient" if reason == "invalid_recipient" else None)
        self.reason = reason
        self.retryable = retryable


class DatabaseBusyError(DerbesError):
    """The database stayed busy past the wait allowed, or chose this transaction as the
    victim of a deadlock or serialization failure.

    Contention, not a fault: the transaction was rolled back, nothing was changed,
    and the same request succeeds when retried. ``retry_after`` is a hint, in seconds.
    """

    title = "Database busy"

    def __init__(self, message: str, *, retry_after: int = 1) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CryptoError(DerbesError):
    """A sealed value does not open: wrong key, wrong associated data, or altered bytes.

    The message never carries plaintext, keys or ciphertext.
    """

    title = "Decryption failed"


class StoreUnavailableError(ConfigurationError):
    """An operator's database cannot be reached, or failed in the middle of a change.

    A ConfigurationError rather than a ConflictError: nothing is wrong with the
    request or with what is stored — the environment (server down, network,
    credentials, a dropped connection) failed. The store's transaction was
    rolled back, so the caller may retry the same request later unchanged; a
    ConflictError would tell the caller to change its request instead.
    ``store`` names the store (its dataset id), never its URL.
    """

    title = "Operator database unavailable"

    def __init__(self, store: str, message: str) -> None:
        super().__init__(message, field="store")
        self.store = store


class StoreNotConfiguredError(StoreUnavailableError):
    """An operator database has a dataset but no URL: its environment variable is not set.

    Unavailable, like a store that is down (the request is kept open and can be
    answered once the operator sets the variable); ``variable`` names it, never a URL.
    """

    title = "Operator database not configured"

    def __init__(self, store: str, variable: str) -> None:
        super().__init__(store, f"the operator database {store!r} is not configured: set the "
                         f"environment variable {variable} to its database URL "
                         "(docs/datasets.md), then answer the request again")
        self.variable = variable
