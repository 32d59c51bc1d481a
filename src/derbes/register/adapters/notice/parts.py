"""The pieces a notice is laid out from, and the helpers that word them in one language.

Every sentence the notice shows is either backed by a register field (with the
clause it comes from) or says that the policy does not state it; a field the
register marks as a modeller's assumption reads as not stated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from derbes.deadlines.model.wording import DateCase, format_clause
from derbes.platform import i18n
from derbes.platform.i18n import Lang
from derbes.register.adapters.notice import texts as t
from derbes.register.model import register as reg
from derbes.register.model.statement import SectionStatement


@dataclass(frozen=True)
class Field:
    """One row of a key-value table: a label and its value lines."""

    label: str
    lines: tuple[str, ...]
    not_stated: bool = False


@dataclass(frozen=True)
class PurposeView:
    label: str
    description: str | None
    clause: str | None
    categories: tuple[str, ...]
    special_categories: tuple[bool, ...]  # parallel to ``categories``: biometric and the like
    exhaustive: bool
    restrictions: tuple[str, ...]
    rows: tuple[Field, ...]


@dataclass(frozen=True)
class TaskView:
    label: str
    purposes: tuple[PurposeView, ...]


@dataclass(frozen=True)
class RecipientView:
    name: str
    cross_border: bool
    description: str | None
    is_class: bool
    clause: str | None
    rows: tuple[Field, ...]


@dataclass(frozen=True)
class CookieView:
    name: str
    provider: str
    category: str
    party: str
    lifetime: str
    purpose: str


@dataclass(frozen=True)
class ChannelView:
    kind: str
    address: str
    note: str | None


@dataclass(frozen=True)
class DeadlineView:
    label: str
    term: str
    cite: str
    origin: str | None  # "the law sets no term …" / "the operator's own commitment …"


@dataclass(frozen=True)
class ItemView:
    """A line of a list section with the clause of the policy it comes from."""

    text: str
    clause: str | None = None
    details: tuple[str, ...] = ()


class Words:
    """Translation and formatting in one language, for one register."""

    def __init__(self, register: reg.Register, lang: Lang) -> None:
        self.register, self.lang = register, lang

    def __call__(self, message: str) -> str:
        return i18n.gettext(self.lang, message)

    def text(self, value: reg.Text | None) -> str | None:
        return None if value is None else value.get(self.lang)

    def cite(self, citation: str | None, cite: reg.Text | None) -> str | None:
        """A citation in this language: its ru/kk/en form, or the DPO's English text
        in the English notice only (lint DRB031 asks for the translations)."""
        if cite is not None:
            return cite.get(self.lang)
        return citation if citation and self.lang is Lang.EN else None

    def clause(self, clause: str | None) -> str | None:
        return None if not clause else format_clause(clause, self.lang)

    def policy_clause(self, clause: str | None) -> str | None:
        shown = self.clause(clause)
        return None if shown is None else self(t.POLICY_CLAUSE) % {"clause": shown}

    def label(self, member: StrEnum) -> str:
        return i18n.enum_label(member, self.lang)

    def date(self, value: date, case: DateCase = DateCase.NOMINATIVE) -> str:
        return i18n.format_date(value, self.lang, case)

    def country(self, code: str | None) -> str:
        return self(t.NOT_STATED) if code is None else i18n.country_name(code, self.lang)

    def said(self, path: str, value: str | None) -> str:
        """``value`` when the register states it (and not as an assumption), else
        "not stated"."""
        if value is None or self.register.assumed(path) is not None:
            return self(t.NOT_STATED)
        return value

    def none_or_silent(self, statement: SectionStatement, none_message: str,
                       silent_message: str, unlisted_message: str | None = None
                       ) -> str | None:
        """The sentence for a section without items: stated as none, stated but not
        listed, or not stated."""
        if statement.unlisted and unlisted_message is not None:
            return self(unlisted_message) % {"clause": self.clause(statement.source) or ""}
        if statement.none:
            return self(none_message) % {"clause": self.clause(statement.source) or ""}
        if statement.silent:
            return self(silent_message)
        return None
