"""The one exception tree of derbes.

Nothing here knows about HTTP or exit codes: the API maps these classes to
RFC 9457 problem documents in ``entrypoints/api/problems.py`` and the CLI maps
them to messages and exit codes in ``entrypoints/cli/_errors.py``.

Messages never carry personal data in clear: callers pass identifiers masked
or as a kind ("IIN"), never the value itself.

    DerbesError
    ├── InputError                 bad input; nothing stored was changed
    │   ├── RegisterError          a processing register does not load
    │   ├── IdentifierError        an IIN/BIN/IBAN/PAN/phone/e-mail is invalid
    │   └── PeriodError            a retention period or term does not parse
    ├── NotFoundError              the thing asked for does not exist
    ├── ConflictError              the request contradicts what is stored
    ├── AuthError                  caller unknown or not allowed
    ├── LegalRestrictionError      the law forbids the action (with citation)
    └── ConfigurationError         settings, keys or the environment are wrong
"""

from __future__ import annotations

from dataclasses import dataclass


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


class InputError(DerbesError):
    title = "Invalid input"


class RegisterError(InputError):
    """A register file is malformed or inconsistent; carries every problem found."""

    title = "Invalid processing register"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        first = self.problems[0].render() if self.problems else "invalid register"
        more = f" (and {len(self.problems) - 1} more)" if len(self.problems) > 1 else ""
        super().__init__(first + more, field=self.problems[0].path if self.problems else None)


class IdentifierError(InputError):
    title = "Invalid identifier"


class PeriodError(InputError):
    title = "Invalid period"


class NotFoundError(DerbesError):
    title = "Not found"


class ConflictError(DerbesError):
    title = "Conflict"


class AuthError(DerbesError):
    title = "Not allowed"


class LegalRestrictionError(DerbesError):
    """The law forbids what was asked; ``citation`` says which rule."""

    title = "Restricted by law"

    def __init__(self, message: str, *, citation: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.citation = citation


class ConfigurationError(DerbesError):
    title = "Configuration error"
