"""The cookie banner: the register -> banner model, the checks a choice must pass, the
script's size, and recording choices (fakes)."""

from __future__ import annotations

import dataclasses
import gzip
import uuid
from typing import Any

import pytest

from derbes.banner.adapters.script import MARKER, banner_script, script_source
from derbes.banner.model.config import BANNER_TEXTS, BannerConfig, banner_config, check_choice
from derbes.banner.service import choices as svc
from derbes.consent.model.consent import LedgerEvent
from derbes.deadlines.model.periods import Period
from derbes.errors import ConflictError, InputError
from derbes.platform.clock import FixedClock
from derbes.platform.i18n import labels
from derbes.platform.labels import Labels
from derbes.register.adapters.yaml import load_register
from derbes.register.model.register import Cookie, CookieCategory, CookieParty, Register
from derbes.register.service import registers
from derbes.testing.context import make_context
from derbes.testing.uow import FakeUnitOfWork
from tests.consent_support import EXPRESS

QIWI = EXPRESS.parent / "qiwi-kz.yaml"
TEXTS = {key: labels(message) for key, message in BANNER_TEXTS.items()}
KAZAKH = set("әғқңөұүһі")


@pytest.fixture(scope="module")
def register() -> Register:
    return load_register(QIWI).register


@pytest.fixture(scope="module")
def config(register: Register) -> BannerConfig:
    return banner_config(register, TEXTS)


def choice(config: BannerConfig, **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "operator": config.operator_id, "choice_id": str(uuid.uuid4()),
        "visitor_id": str(uuid.uuid4()), "banner_version": config.version,
        "text_hash": config.text_hashes["kk"], "lang": "kk", "action": "choose",
        "categories": ["analytics"], "gpc": False}
    raw.update(changes)
    return raw


# ------------------------------------------------------------------ the model


def test_banner_lists_the_register_cookies_by_category(config: BannerConfig) -> None:
    assert config.operator_id == "qiwi-kz"
    assert config.categories == (CookieCategory.STRICTLY_NECESSARY, CookieCategory.FUNCTIONAL,
                                 CookieCategory.ANALYTICS, CookieCategory.MARKETING)
    assert config.optional == config.categories[1:]
    third = [c.name for c in config.cookies if c.party is CookieParty.THIRD]
    assert third == ["analytics_third_party", "marketing_third_party"]
    # seed 002 p.8.1: at most a year, on every cookie and as the re-ask age.
    assert {c.lifetime_days for c in config.cookies} == {365}
    assert config.max_age_days == 365
    cookies: Any = config.script_data()["cookies"]
    assert cookies[0]["key"] == "strictly_necessary:strictly_necessary"


def test_texts_exist_in_three_languages_with_kazakh_letters(config: BannerConfig) -> None:
    for key, text in config.texts.items():
        assert text.ru and text.kk and text.en, key
        assert text.kk != text.en or key == "days"
    kazakh = "".join(t.kk for t in config.texts.values())
    assert KAZAKH & set(kazakh.lower())
    assert len(set(config.text_hashes.values())) == 3


def test_version_changes_when_the_cookie_list_widens(register: Register,
                                                     config: BannerConfig) -> None:
    extra = Cookie(name="ads_pixel", category=CookieCategory.MARKETING,
                   party=CookieParty.THIRD, lifetime=Period.parse("90 days"),
                   purpose=Labels("а", "ә", "a"), provider="Ads Ltd")
    wider = banner_config(dataclasses.replace(register, cookies=(*register.cookies, extra)),
                          TEXTS)
    assert wider.version != config.version
    assert wider.text_hashes != config.text_hashes
    # The same register gives the same digests: a choice can be checked later.
    assert banner_config(register, TEXTS) == config


def test_text_hash_covers_what_the_visitor_reads(config: BannerConfig) -> None:
    changed = {**TEXTS, "reject_all": Labels("Отклонить", "Бас тарту", "Decline")}
    other = banner_config(load_register(QIWI).register, changed)
    assert other.version == config.version
    assert all(other.text_hashes[x] != config.text_hashes[x] for x in ("ru", "kk", "en"))


def test_missing_text_is_refused(register: Register) -> None:
    with pytest.raises(ValueError, match="reject_all"):
        banner_config(register, {k: v for k, v in TEXTS.items() if k != "reject_all"})


# ------------------------------------------------------------------ checking a choice


def test_a_genuine_choice_passes(config: BannerConfig) -> None:
    checked = check_choice(config, choice(config))
    assert checked.allowed == (CookieCategory.ANALYTICS,)
    assert checked.refused == (CookieCategory.FUNCTIONAL, CookieCategory.MARKETING)
    assert checked.evidence()["text_hash"] == config.text_hashes["kk"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"operator": "kassa24"}, "operator"),
    ({"categories": ["analytics", "tracking"]}, "categories"),
    ({"categories": ["strictly_necessary_x"]}, "categories"),
    ({"categories": "analytics"}, "categories"),
    ({"banner_version": "0" * 64}, "banner_version"),
    ({"text_hash": "0" * 64}, "text_hash"),
    ({"lang": "de"}, "lang"),
    ({"choice_id": "not-a-uuid"}, "choice_id"),
    ({"visitor_id": str(uuid.uuid1())}, "visitor_id"),
    ({"action": "maybe"}, "action"),
    ({"action": "accept_all", "categories": ["analytics"]}, "categories"),
    ({"action": "reject_all", "categories": ["functional"]}, "categories"),
    ({"gpc": True, "categories": ["marketing"]}, "categories"),
    ({"action": "gpc", "categories": []}, "gpc"),
])
def test_a_forged_choice_names_its_field(config: BannerConfig, changes: dict[str, Any],
                                         field: str) -> None:
    with pytest.raises(InputError) as caught:
        check_choice(config, choice(config, **changes))
    assert caught.value.field == field


def test_the_text_hash_of_another_language_is_refused(config: BannerConfig) -> None:
    with pytest.raises(InputError, match="text hash"):
        check_choice(config, choice(config, lang="ru"))


# ------------------------------------------------------------------ the script


def test_script_is_small_gzipped_and_carries_the_banner(config: BannerConfig) -> None:
    assert MARKER in script_source()
    script = banner_script(config)
    assert MARKER not in script
    assert config.version in script and "Барлығынан бас тарту" in script
    assert len(gzip.compress(script.encode("utf-8"), 9)) <= 15 * 1024
    assert "</" not in script.split("var C = ", 1)[1].split(";\n", 1)[0]


# ------------------------------------------------------------------ recording (fakes)


@pytest.fixture
def uow(register: Register) -> FakeUnitOfWork:
    fake = FakeUnitOfWork()
    registers.publish(fake, [load_register(QIWI)], FixedClock())
    return fake


def test_a_choice_is_recorded_once(uow: FakeUnitOfWork, config: BannerConfig) -> None:
    ctx = make_context(uow, actor="banner:visitor")
    raw = choice(config)
    first = svc.record_choice(ctx, "qiwi-kz", raw)
    again = svc.record_choice(ctx, "qiwi-kz", raw)
    assert not first.replayed and again.replayed and again.seq == first.seq
    [entry] = uow.fake_consent_ledger.rows
    assert entry.event == LedgerEvent.COOKIE_CHOICE.value
    assert entry.subject_id == raw["visitor_id"] and entry.consent_id == raw["choice_id"]
    assert entry.payload["evidence"]["allowed"] == ["analytics"]
    with pytest.raises(ConflictError):
        svc.record_choice(ctx, "qiwi-kz", {**raw, "categories": [], "action": "reject_all"})
    assert len(uow.fake_consent_ledger.rows) == 1


def test_a_forged_choice_is_audited_and_not_stored(uow: FakeUnitOfWork,
                                                   config: BannerConfig) -> None:
    ctx = make_context(uow, actor="banner:visitor")
    with pytest.raises(InputError):
        svc.record_choice(ctx, "qiwi-kz", choice(config, text_hash="f" * 64))
    with pytest.raises(InputError) as caught:
        svc.record_choice(ctx, "no-such-operator", choice(config))
    assert caught.value.field == "operator"
    assert uow.fake_consent_ledger.rows == []
    refused = [e for e in uow.fake_audit.entries() if e.action == svc.REFUSED_ACTION]
    assert [e.details["field"] for e in refused] == ["text_hash", "operator"]
