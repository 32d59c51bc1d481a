"""How processing is run: request and consent channels, minors, the operator's own
deadlines, lint waivers, limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from derbes.deadlines.model.periods import Period
from derbes.register.model.builder.common import Problems, period, text
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

DEFAULT_COOKIE_MAX_LIFETIME = "1 year"  # seed 002 p.8.1: cookies kept at most a year


def request_channels(raw: Mapping[str, Any]) -> tuple[RequestChannel, ...]:
    return tuple(
        RequestChannel(ChannelKind(c["kind"]), str(c["address"]), text(c.get("note")))
        for c in raw.get("request_channels", [])
    )


def consent(raw: Mapping[str, Any]) -> ConsentSetup:
    setup = raw.get("consent", {})
    return ConsentSetup(
        channels=tuple(ConsentChannel(c) for c in setup.get("channels", ())),
        separate_scopes=tuple(SeparateScope(s) for s in setup.get("separate_scopes", ())),
        withdrawal=text(setup.get("withdrawal")),
        withdrawal_clause=setup.get("withdrawal_clause"),
    )


def minors(raw: Mapping[str, Any]) -> Minors:
    declared = raw.get("minors", {"processed": False})
    return Minors(
        processed=bool(declared["processed"]),
        representative_consent=bool(declared.get("representative_consent", True)),
        clause=declared.get("clause"),
    )


def regime_overrides(raw: Mapping[str, Any], problems: Problems) -> tuple[RegimeOverride, ...]:
    found: list[RegimeOverride] = []
    for i, o in enumerate(raw.get("regime_overrides", [])):
        term = period(o["term"], f"regime_overrides[{i}].term", problems)
        if term is not None:
            found.append(RegimeOverride(o["deadline"], term, str(o["citation"])))
    return tuple(found)


def waivers(raw: Mapping[str, Any]) -> tuple[Waiver, ...]:
    return tuple(
        Waiver(code=w["code"], path=w["path"], clause=w["clause"], reason=w["reason"])
        for w in raw.get("waivers", [])
    )


def cookie_max_lifetime(raw: Mapping[str, Any], problems: Problems) -> Period:
    limits = raw.get("limits", {})
    found = period(limits.get("cookie_max_lifetime", DEFAULT_COOKIE_MAX_LIFETIME),
                   "limits.cookie_max_lifetime", problems)
    return found or Period.parse(DEFAULT_COOKIE_MAX_LIFETIME)
