"""How processing is run: request and consent channels, minors, the operator's own
deadlines, lint waivers, assumptions, limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.register.model.builder.common import Problems, period, section_items, text
from derbes.register.model.register import (
    ChannelKind,
    ConsentChannel,
    ConsentSetup,
    Minors,
    RegimeOverride,
    RequestChannel,
    SeparateScope,
    Waiver,
)
from derbes.register.model.statement import Assumption, SectionStatement

# derbes' configurable default, not a rule of the law: the cookie banner refuses a
# declared cookie that lives longer, unless the register sets its own limit
# (limits.cookie_max_lifetime, with the clause of the operator's policy).
DEFAULT_COOKIE_MAX_LIFETIME = "1 year"


def request_channels(
    raw: Mapping[str, Any], statements: dict[str, SectionStatement]
) -> tuple[RequestChannel, ...]:
    return tuple(
        RequestChannel(ChannelKind(c["kind"]),
                       str(c["address"]) if c.get("address") is not None else None,
                       text(c.get("note")), c.get("source"))
        for c in section_items(raw, "request_channels", statements)
    )


def consent(raw: Mapping[str, Any], statements: dict[str, SectionStatement]) -> ConsentSetup:
    setup = raw.get("consent", {})
    channels = section_items(setup, "channels", statements, "consent.channels")
    scopes = section_items(setup, "separate_scopes", statements, "consent.separate_scopes")
    return ConsentSetup(
        channels=tuple(ConsentChannel(c) for c in channels),
        separate_scopes=tuple(SeparateScope(s) for s in scopes),
        withdrawal=text(setup.get("withdrawal")),
        withdrawal_source=setup.get("withdrawal_source"),
        source=setup.get("source"),
    )


def minors(raw: Mapping[str, Any]) -> Minors | None:
    declared = raw.get("minors")
    if declared is None:
        return None
    consent_by = declared.get("representative_consent")
    return Minors(
        processed=bool(declared["processed"]),
        age_threshold=declared.get("age_threshold"),
        representative_consent=None if consent_by is None else bool(consent_by),
        source=declared.get("source"),
    )


def regime_overrides(raw: Mapping[str, Any], problems: Problems) -> tuple[RegimeOverride, ...]:
    found: list[RegimeOverride] = []
    for i, o in enumerate(raw.get("regime_overrides", [])):
        term = period(o["term"], f"regime_overrides[{i}].term", problems)
        if term is not None:
            found.append(RegimeOverride(o["deadline"], term, str(o["citation"]),
                                        text(o.get("cite")), o.get("source")))
    return tuple(found)


def waivers(raw: Mapping[str, Any]) -> tuple[Waiver, ...]:
    return tuple(
        Waiver(code=w["code"], path=w["path"], clause=w["clause"], reason=w["reason"])
        for w in raw.get("waivers", [])
    )


def assumptions(raw: Mapping[str, Any]) -> tuple[Assumption, ...]:
    return tuple(Assumption(str(a["path"]), str(a["reason"])) for a in raw.get("assumptions", []))


def cookie_max_lifetime(raw: Mapping[str, Any], problems: Problems) -> tuple[Period, str | None]:
    """The longest cookie lifetime, and the clause of the policy that sets it (None:
    derbes' default)."""
    limits = raw.get("limits", {})
    found = period(limits.get("cookie_max_lifetime", DEFAULT_COOKIE_MAX_LIFETIME),
                   "limits.cookie_max_lifetime", problems)
    return found or Period.parse(DEFAULT_COOKIE_MAX_LIFETIME), limits.get("source")
