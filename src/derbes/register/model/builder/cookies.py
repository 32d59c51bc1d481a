"""Cookies the operator's sites set: category, party, lifetime, purpose, provider."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.register.model.builder.common import Problems, check_unique, period, required_text
from derbes.register.model.register import Cookie, CookieCategory, CookieParty


def cookies(raw: Mapping[str, Any], problems: Problems) -> tuple[Cookie, ...]:
    declared = raw.get("cookies", [])
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
        ))
    return tuple(found)
