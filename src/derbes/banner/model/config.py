"""What the banner shows, built from the register in force, and what a recorded choice
must match.

The banner lists the cookie categories and cookies the register declares (with their
lifetimes and third parties) and nothing else: a visitor can only be asked about what
the operator's policy says it sets. Two digests make a choice provable:

- the **banner version**, a digest of the cookie list; it changes whenever a cookie is
  added, removed or changed, and the script asks again when the list widens (a cookie
  the visitor has not seen);
- the **text hash** of each language, a digest of every word the visitor was shown in
  that language (buttons, explanations, the cookies' purposes), so the operator can show
  what a consent was given to (Law 94-V Art. 8: consent is given knowingly; the operator
  proves it, Art. 7 p.5 via Rules of consent evidence).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from derbes.errors import InputError
from derbes.platform.labels import N_, Labels, Lang
from derbes.register.model.register import Cookie, CookieCategory, CookieParty, Register

__all__ = [
    "BANNER_TEXTS",
    "CATEGORY_ORDER",
    "VISITOR_ID",
    "Action",
    "BannerConfig",
    "BannerCookie",
    "Choice",
    "banner_config",
    "check_choice",
]

CATEGORY_ORDER: tuple[CookieCategory, ...] = (
    CookieCategory.STRICTLY_NECESSARY, CookieCategory.FUNCTIONAL,
    CookieCategory.ANALYTICS, CookieCategory.MARKETING,
)

# The banner's own words, by key; their ru/kk/en texts come from the catalogues.
BANNER_TEXTS: Mapping[str, str] = {
    "title": N_("Cookie banner: Cookies on this site"),
    "intro": N_(
        "Cookie banner: We use cookies. Strictly necessary ones are always on; the others "
        "are set only if you allow them. You can change your choice at any time with the "
        "“Cookie settings” button."),
    "accept_all": N_("Cookie banner: Accept all"),
    "reject_all": N_("Cookie banner: Reject all"),
    "choose": N_("Cookie banner: Choose"),
    "save": N_("Cookie banner: Save my choice"),
    "back": N_("Cookie banner: Back"),
    "always_on": N_("Cookie banner: Always on"),
    "lifetime": N_("Cookie banner: Kept for"),
    "days": N_("Cookie banner: days"),
    "first_party": N_("Cookie banner: Set by this site"),
    "third_party": N_("Cookie banner: Set by a third party"),
    "provider": N_("Cookie banner: Provider"),
    "settings": N_("Cookie banner: Cookie settings"),
    "cat_strictly_necessary": N_("Cookie banner: Strictly necessary"),
    "cat_functional": N_("Cookie banner: Functional"),
    "cat_analytics": N_("Cookie banner: Analytics"),
    "cat_marketing": N_("Cookie banner: Marketing"),
}

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
VISITOR_ID = _UUID  # what a visitor id (the banner's first-party cookie) looks like
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class Action:
    """How the visitor answered: the button, or Global Privacy Control without a prompt."""

    ACCEPT_ALL = "accept_all"
    REJECT_ALL = "reject_all"
    CHOOSE = "choose"
    GPC = "gpc"
    ALL: frozenset[str] = frozenset({ACCEPT_ALL, REJECT_ALL, CHOOSE, GPC})


@dataclass(frozen=True)
class BannerCookie:
    name: str
    category: CookieCategory
    party: CookieParty
    lifetime: str  # as the register states it ("1 year")
    lifetime_days: int
    provider: str | None
    purpose: Labels

    @property
    def key(self) -> str:
        return f"{self.category.value}:{self.name}"


@dataclass(frozen=True)
class BannerConfig:
    operator_id: str
    operator_name: Labels
    cookies: tuple[BannerCookie, ...]
    max_age_days: int  # ask again when the consent is older (the register's limit)
    texts: Mapping[str, Labels]
    version: str
    text_hashes: Mapping[str, str]  # lang -> digest of what the visitor reads

    @property
    def categories(self) -> tuple[CookieCategory, ...]:
        present = {c.category for c in self.cookies}
        return tuple(c for c in CATEGORY_ORDER if c in present)

    @property
    def optional(self) -> tuple[CookieCategory, ...]:
        """The categories a visitor may refuse: all but the strictly necessary."""
        return tuple(c for c in self.categories if c is not CookieCategory.STRICTLY_NECESSARY)

    def script_data(self) -> dict[str, object]:
        """What the script needs, as JSON data (texts in every language)."""
        return {
            "operator": self.operator_id, "version": self.version,
            "maxAgeDays": self.max_age_days,
            "hashes": dict(self.text_hashes),
            "operatorName": _labels(self.operator_name),
            "texts": {k: _labels(v) for k, v in self.texts.items()},
            "categories": [c.value for c in self.categories],
            "cookies": [{
                "key": c.key, "name": c.name, "category": c.category.value,
                "party": c.party.value, "lifetime": c.lifetime, "days": c.lifetime_days,
                "provider": c.provider, "purpose": _labels(c.purpose),
            } for c in self.cookies],
        }


def _labels(value: Labels) -> dict[str, str]:
    return {"ru": value.ru, "kk": value.kk, "en": value.en}


def _digest(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _cookie(cookie: Cookie) -> BannerCookie:
    return BannerCookie(
        name=cookie.name, category=cookie.category, party=cookie.party,
        lifetime=str(cookie.lifetime), lifetime_days=int(cookie.lifetime.approx_days),
        provider=cookie.provider, purpose=cookie.purpose)


def shown_text(config_texts: Mapping[str, Labels], operator_name: Labels,
               cookies: Sequence[BannerCookie], lang: Lang) -> list[object]:
    """Every word the visitor reads in ``lang``, in a fixed order (hashed as evidence)."""
    words: list[object] = [getattr(operator_name, lang.value)]
    words += [[key, getattr(config_texts[key], lang.value)] for key in BANNER_TEXTS]
    words += [[c.key, c.lifetime, c.party.value, c.provider, getattr(c.purpose, lang.value)]
              for c in cookies]
    return words


def banner_config(register: Register, texts: Mapping[str, Labels]) -> BannerConfig:
    """The banner of ``register``: its cookies by category, the re-ask age, the digests."""
    missing = [key for key in BANNER_TEXTS if key not in texts]
    if missing:
        raise ValueError(f"banner texts missing: {', '.join(missing)}")
    order = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    cookies = tuple(sorted((_cookie(c) for c in register.cookies),
                           key=lambda c: (order[c.category], c.name)))
    version = _digest([[c.key, c.party.value, c.lifetime, c.provider] for c in cookies])
    name = register.operator.names
    hashes = {lang.value: _digest(shown_text(texts, name, cookies, lang)) for lang in Lang}
    return BannerConfig(
        operator_id=register.operator.id, operator_name=name, cookies=cookies,
        max_age_days=int(register.cookie_max_lifetime.approx_days),
        texts=dict(texts), version=version, text_hashes=hashes)


@dataclass(frozen=True)
class Choice:
    """One answer a visitor's browser sends, as checked against the banner in force."""

    operator_id: str
    choice_id: str  # made by the browser: the key of idempotency with the visitor
    visitor_id: str  # random, kept in a first-party cookie; never derived from PD
    # What the visitor was shown: the cookie list and every word in their language.
    banner_version: str
    text_hash: str
    lang: Lang
    action: str  # the button pressed (Action), or gpc without a prompt
    allowed: tuple[CookieCategory, ...]
    refused: tuple[CookieCategory, ...]
    gpc: bool  # the browser sent Global Privacy Control

    def evidence(self) -> dict[str, object]:
        return {
            "operator_id": self.operator_id, "choice_id": self.choice_id,
            "banner_version": self.banner_version, "text_hash": self.text_hash,
            "lang": self.lang.value, "action": self.action, "gpc": self.gpc,
            "allowed": [c.value for c in self.allowed],
            "refused": [c.value for c in self.refused],
        }


def _reject(message: str, field: str) -> InputError:
    return InputError(message, field=field)


def check_choice(config: BannerConfig, raw: Mapping[str, object]) -> Choice:
    """The choice ``raw`` (already typed as strings and lists by the entry point) if it
    matches the banner in force; ``InputError`` naming the field otherwise."""
    if raw.get("operator") != config.operator_id:
        raise _reject("the choice names another operator than the banner's", "operator")
    for name in ("choice_id", "visitor_id"):
        if not _UUID.match(str(raw.get(name, ""))):
            raise _reject(f"{name} must be a random (version 4) UUID in lower case", name)
    lang_text = str(raw.get("lang", ""))
    if lang_text not in {lang.value for lang in Lang}:
        raise _reject("lang must be one of ru, kk, en", "lang")
    lang = Lang(lang_text)
    if raw.get("banner_version") != config.version:
        raise _reject("the banner version is not the one in force: reload the banner",
                      "banner_version")
    text_hash = str(raw.get("text_hash", ""))
    if not _HEX64.match(text_hash) or text_hash != config.text_hashes[lang.value]:
        raise _reject("the text hash is not that of the banner in force in this language",
                      "text_hash")
    action = str(raw.get("action", ""))
    if action not in Action.ALL:
        raise _reject(f"action must be one of {', '.join(sorted(Action.ALL))}", "action")
    given = raw.get("categories")
    if not isinstance(given, list) or not all(isinstance(c, str) for c in given):
        raise _reject("categories must be a list of category names", "categories")
    declared = {c.value for c in config.optional}
    unknown = sorted(set(given) - declared)
    if unknown:
        raise _reject(f"categories not in the register's cookie list: {', '.join(unknown)}",
                      "categories")
    gpc = raw.get("gpc") is True
    allowed = tuple(c for c in config.optional if c.value in given)
    _check_action(action, allowed, config, gpc)
    return Choice(
        operator_id=config.operator_id, choice_id=str(raw["choice_id"]),
        visitor_id=str(raw["visitor_id"]), banner_version=config.version,
        text_hash=text_hash, lang=lang, action=action, allowed=allowed,
        refused=tuple(c for c in config.optional if c not in allowed), gpc=gpc)


_GPC_OFF = (CookieCategory.ANALYTICS, CookieCategory.MARKETING)


def _check_action(action: str, allowed: tuple[CookieCategory, ...], config: BannerConfig,
                  gpc: bool) -> None:
    """The categories must be what the button means: all, none, or (Choose) any."""
    if action == Action.ACCEPT_ALL and allowed != config.optional:
        raise _reject("accept_all must allow every optional category", "categories")
    if action == Action.REJECT_ALL and allowed:
        raise _reject("reject_all allows no optional category", "categories")
    if (action == Action.GPC or gpc) and any(c in _GPC_OFF for c in allowed):
        # Global Privacy Control is a refusal of sale and sharing: analytics and
        # marketing stay off while the browser sends it.
        raise _reject("with Global Privacy Control analytics and marketing stay off",
                      "categories")
    if action == Action.GPC and not gpc:
        raise _reject("a gpc answer needs the browser's Global Privacy Control signal",
                      "gpc")
