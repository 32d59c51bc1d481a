"""What the published policy says about a fact: stated, not stated, or stated as none.

A register describes what an operator's *policy* says, and a notice must never
assert what the policy does not. Three answers are possible for every fact a
notice turns into a sentence:

- **stated** — the policy says it, and the register records the clause it comes
  from (``source: "p.3.5"``);
- **not stated** — the policy is silent: the notice says "the policy does not
  state …" and lint reports the gap with the article that requires the
  information;
- **stated as none** — the policy says there is none ("we do not use cookies"),
  again with the clause.

A modeller who adds a fact the policy does not give records it as an
*assumption* with the reason; lint lists assumptions and the notice renders an
assumed fact as not stated, never as the operator's statement.

Pure: standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class Statement(StrEnum):
    STATED = "stated"
    NOT_STATED = "not_stated"
    NONE = "none"  # the policy says there is none
    UNLISTED = "unlisted"  # the policy says there are some, but does not list them


@dataclass(frozen=True)
class SectionStatement:
    """What the policy says about a whole section (recipients, cookies, …)."""

    status: Statement
    source: str | None = None  # the clause, for "stated as none"

    @property
    def stated(self) -> bool:
        return self.status is Statement.STATED

    @property
    def none(self) -> bool:
        return self.status is Statement.NONE

    @property
    def silent(self) -> bool:
        return self.status is Statement.NOT_STATED

    @property
    def unlisted(self) -> bool:
        return self.status is Statement.UNLISTED


NOT_STATED = SectionStatement(Statement.NOT_STATED)
STATED = SectionStatement(Statement.STATED)


@dataclass(frozen=True)
class Assumption:
    """A fact the modeller added that the policy does not state, and why."""

    path: str  # dotted register path it covers, e.g. "purposes[3].retention"
    reason: str


def path_covers(prefix: str, path: str) -> bool:
    """``prefix`` is ``path`` or one of its ancestors (``purposes[2]`` covers
    ``purposes[2].basis``, not ``purposes[20]``)."""
    prefix, path = prefix.strip(), path.strip()
    return path == prefix or path.startswith((f"{prefix}.", f"{prefix}["))


@dataclass(frozen=True)
class Sources:
    """The clauses an object's fields come from: one for the object, and
    per-field clauses where a field comes from elsewhere in the policy."""

    source: str | None = None
    fields: Mapping[str, str] | None = None

    def of(self, field_name: str) -> str | None:
        if self.fields and field_name in self.fields:
            return self.fields[field_name]
        return self.source

    def __bool__(self) -> bool:
        return bool(self.source) or bool(self.fields)
