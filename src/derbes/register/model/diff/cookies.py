"""Changes of cookies: new, gone, longer-lived, another category, party or provider."""

from __future__ import annotations

from derbes.register.model.diff.changes import COOKIES, Change, ChangeKind, Effect, Side
from derbes.register.model.diff.differ import Differ
from derbes.register.model.diff.reconsent import cookie_needs_consent, cookie_scopes
from derbes.register.model.register import Cookie, CookieParty


def cookies(d: Differ) -> None:
    old = {c.name: (i, c) for i, c in enumerate(d.old.cookies)}
    new = {c.name: (i, c) for i, c in enumerate(d.new.cookies)}
    for name, (i, cookie) in new.items():
        path = f"cookies[{i}]"
        if name not in old:
            d.add(Change(
                ChangeKind.COOKIE_ADDED, Effect.WIDENS, path, Side.NEW,
                f"new {cookie.party.value}-party cookie {name} "
                f"({cookie.category.value}, {cookie.lifetime})"
                + ("" if cookie_needs_consent(cookie.category)
                   else "; strictly necessary, no consent needed"),
                citation=COOKIES, item=name, reconsent=cookie_scopes(cookie.category),
                after=cookie.category.value,
            ))
        else:
            cookie_changed(d, old[name][1], cookie, path)
    for name, (i, cookie) in old.items():
        if name not in new:
            d.add(Change(
                ChangeKind.COOKIE_REMOVED, Effect.NARROWS, f"cookies[{i}]", Side.OLD,
                f"cookie {name} is no longer set", citation=COOKIES, item=name,
                before=cookie.category.value,
            ))


def cookie_changed(d: Differ, old: Cookie, new: Cookie, path: str) -> None:
    name, scopes = new.name, cookie_scopes(new.category)
    if new.lifetime.is_longer_than(old.lifetime):
        d.add(Change(
            ChangeKind.COOKIE_LIFETIME_LENGTHENED, Effect.WIDENS, f"{path}.lifetime",
            Side.NEW, f"cookie {name} stays longer on the device", citation=COOKIES,
            item=name, before=str(old.lifetime), after=str(new.lifetime), reconsent=scopes,
        ))
    elif old.lifetime.is_longer_than(new.lifetime):
        d.add(Change(
            ChangeKind.COOKIE_LIFETIME_SHORTENED, Effect.NARROWS, f"{path}.lifetime",
            Side.NEW, f"cookie {name} stays shorter on the device", citation=COOKIES,
            item=name, before=str(old.lifetime), after=str(new.lifetime),
        ))
    elif old.lifetime != new.lifetime:
        d.add(Change(
            ChangeKind.TEXT_CHANGED, Effect.NEUTRAL, f"{path}.lifetime", Side.NEW,
            "the same lifetime written another way", item=name,
            before=str(old.lifetime), after=str(new.lifetime),
        ))
    if old.category != new.category:
        d.add(Change(
            ChangeKind.COOKIE_CATEGORY_CHANGED, Effect.WIDENS, f"{path}.category", Side.NEW,
            f"cookie {name} is now set as {new.category.value}: "
            + ("consent to that category did not include it" if scopes
               else "it is now set without consent"),
            citation=COOKIES, item=name, before=old.category.value,
            after=new.category.value, reconsent=scopes,
        ))
    if old.party != new.party:
        third = new.party is CookieParty.THIRD
        d.add(Change(
            ChangeKind.COOKIE_PARTY_CHANGED, Effect.WIDENS if third else Effect.NARROWS,
            f"{path}.party", Side.NEW,
            f"cookie {name} is now read by a third party" if third
            else f"cookie {name} is now the operator's own",
            citation=COOKIES, item=name, before=old.party.value, after=new.party.value,
            reconsent=scopes,
        ))
    if old.provider != new.provider:
        widens = new.provider is not None
        d.add(Change(
            ChangeKind.COOKIE_PROVIDER_CHANGED, Effect.WIDENS if widens else Effect.NEUTRAL,
            f"{path}.provider", Side.NEW,
            f"cookie {name} is now served by {new.provider}" if widens
            else f"cookie {name} no longer names a provider",
            citation=COOKIES, item=name, before=old.provider, after=new.provider,
            reconsent=scopes,
        ))
    d.text(old.purpose, new.purpose, f"{path}.purpose")
