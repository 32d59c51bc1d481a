"""The approved list of PD and policy documents: each version of the operator's register
loaded into derbes, with the policy's own version, date and approval as the register
states them (Law 94-V Art. 25 p.2 sp.3-1: the operator's documents on PD processing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from derbes.context import Context
from derbes.platform.labels import Labels
from derbes.register.model.disclosures import Edition
from derbes.register.model.register import Policy

__all__ = ["DocumentLine", "NoticeLine", "documents", "notices"]


@dataclass(frozen=True)
class DocumentLine:
    """One version of the register (None: the policy does not state it)."""

    policy_version: str | None
    policy_date: date | None
    title: Labels | None
    approved_by: Labels | None
    approval_document: Labels | None
    approved_on: date | None
    editions: tuple[Edition, ...]
    url: str | None
    published_at: datetime  # loaded into derbes (in force from then until the next)
    sha256: str
    in_force: bool


def documents(ctx: Context, operator_id: str) -> list[DocumentLine]:
    """Every version of the operator's register, the one in force first (the caller has
    checked the person's permission)."""
    with ctx.uow:
        stored = [row for row in ctx.uow.registers.list() if row.operator_id == operator_id]
        parsed = [(row, ctx.uow.registers.parsed(row)) for row in stored]
    lines = []
    for place, (row, loaded) in enumerate(reversed(parsed)):
        policy = loaded.register.policy
        approval = policy.approval
        lines.append(DocumentLine(
            policy.version, policy.date, policy.title,
            approval.body if approval else None, approval.document if approval else None,
            approval.date if approval else None, policy.editions, policy.url,
            row.loaded_at, row.sha256, place == 0))
    return lines


@dataclass(frozen=True)
class NoticeLine:
    """The policy's text in one language as published (None: not stated)."""

    lang: str
    version: str | None
    date: date | None
    url: str | None


def notices(policy: Policy) -> list[NoticeLine]:
    """One line per language the policy is published in: a language edition's own
    version, date and address where the register gives them, else the policy's."""
    lines = []
    for lang in policy.languages:
        edition = next((e for e in policy.editions if e.lang is lang), None)
        version = edition.version.get(lang) if edition and edition.version else None
        lines.append(NoticeLine(
            lang.value, version or policy.version,
            (edition.date if edition else None) or policy.date,
            (edition.url if edition else None) or policy.url))
    return lines
