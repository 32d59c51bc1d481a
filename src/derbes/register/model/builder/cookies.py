"""Cookies the operator's sites set: category, party, lifetime, purpose, provider;
and what the policy says of cookies before consent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.register.model.builder.common import (
    Problems,
    check_unique,
    period,
    required_text,
    section_items,
    text,
)
from derbes.register.model.disclosures import CookieDefault, CookiePolicy
from derbes.register.model.register import Cookie, CookieCategory, CookieParty
from derbes.register.model.statement import SectionStatement


def cookies(
    raw: Mapping[str, Any], problems: Problems, statements: dict[str, SectionStatement]
) -> tuple[Cookie, ...]:
    declared = section_items(raw, "cookies", statements)
    check_unique(declared, "cookies", problems, key="name")
    found: list[Cookie] = []
    for i, c in enumerate(declared):
        lifetime = period(c["lifetime"], f"cookies[{i}].lifetime", problems)
        if lifetime is None:
            continue
        found.append(Cookie(
            name=c["name"],
            category=CookieCategory(c["category"]),
            party=CookieParty(c["party"]),
            lifetime=lifetime,
            purpose=required_text(c["purpose"]),
            provider=c.get("provider"),
            source=c.get("source"),
        ))
    return tuple(found)


def cookie_policy(raw: Mapping[str, Any]) -> CookiePolicy | None:
    declared = raw.get("cookie_policy")
    if not declared:
        return None
    default = declared.get("default")
    return CookiePolicy(
        default=None if default is None else CookieDefault(default),
        refusal=text(declared.get("refusal")),
        source=declared.get("source"),
    )
