"""Delivery: SMS length, back-off, masking, templates (pure), and the send/retry
scenario on the fake unit of work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.delivery.adapters.rules import load_delivery_rules
from derbes.delivery.model import (
    GSM7_BASIC,
    LANGUAGES,
    Channel,
    Failure,
    RetryPolicy,
    State,
    Template,
    after_failure,
    delay_after,
    mask_email,
    mask_phone,
    render,
    sms_length,
)
from derbes.errors import ConfigurationError, InputError
from derbes.testing.uow import FakeUnitOfWork
from tests.delivery_support import run_scenario

RULES = load_delivery_rules()
NOW = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
GSM = st.text(alphabet=sorted(GSM7_BASIC), max_size=500)
KAZAKH = "әғқңөұүһі"


@given(GSM)
def test_gsm7_text_is_160_in_one_segment_then_153_a_segment(text: str) -> None:
    length = sms_length(text)
    assert length.encoding == "gsm7" and length.units == len(text)
    expected = 0 if not text else 1 if len(text) <= 160 else -(-len(text) // 153)
    assert length.segments == expected


@given(GSM, st.sampled_from(KAZAKH + "абвЖЫ"), GSM)
def test_one_cyrillic_or_kazakh_letter_makes_the_whole_text_ucs2(before: str, letter: str,
                                                                  after: str) -> None:
    text = before + letter + after
    length = sms_length(text)
    assert length.encoding == "ucs2" and length.units == len(text)
    assert length.segments == (1 if len(text) <= 70 else -(-len(text) // 67))


def test_extension_characters_take_two_septets() -> None:
    assert sms_length("€" * 80).units == 160 and sms_length("€" * 80).segments == 1
    assert sms_length("€" * 81).segments == 2


@given(st.integers(min_value=1, max_value=60))
def test_back_off_doubles_up_to_its_cap(attempts: int) -> None:
    policy = RULES.retry
    wait = delay_after(policy, attempts)
    assert wait <= policy.max_delay
    assert delay_after(policy, attempts + 1) >= wait
    if attempts == 1:
        assert wait == policy.first_delay


def test_the_shipped_schedule_retries_a_code_within_its_ten_minutes() -> None:
    policy = RULES.retry
    waits = [delay_after(policy, n).total_seconds() for n in range(1, policy.max_attempts)]
    assert waits[:4] == [30, 60, 120, 240] and "RFC 5321" in policy.source


def test_what_no_retry_mends_gives_up_at_once_and_the_rest_stops_at_the_term() -> None:
    policy = RULES.retry
    assert after_failure(policy, Failure.AUTH, 1, NOW, None) == (State.GAVE_UP, None)
    assert after_failure(policy, Failure.BALANCE, 1, NOW, None) == (State.GAVE_UP, None)
    assert after_failure(policy, Failure.TIMEOUT, 1, NOW, None) == \
        (State.FAILED, NOW + timedelta(seconds=30))
    assert after_failure(policy, Failure.TIMEOUT, policy.max_attempts, NOW, None)[0] is \
        State.GAVE_UP
    assert after_failure(policy, Failure.UNAVAILABLE, 1, NOW,
                         NOW + timedelta(seconds=10)) == (State.GAVE_UP, None)


def test_a_nonsense_policy_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        RetryPolicy(timedelta(seconds=10), 0.5, timedelta(seconds=5), 3)


@given(st.text(alphabet="0123456789", min_size=10, max_size=15))
def test_a_masked_phone_shows_the_country_code_and_two_last_digits_only(digits: str) -> None:
    masked = mask_phone("+" + digits)
    shown = [c for c in masked if c.isdigit()]
    assert shown == [digits[0], digits[-2], digits[-1]]
    assert len(masked) == len(digits) + 1


def test_a_masked_address_shows_first_letters_and_the_top_domain() -> None:
    assert mask_email("aigerim.s@mail.kz") == "a•••@m•••.kz"
    assert "aigerim" not in mask_email("aigerim@example.com")
    assert mask_email("not an address") == "••••"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_renders_in_every_language(language: str) -> None:
    for template, spec in RULES.templates.specs.items():
        params = {p: f"<{p}>" for p in spec.params}
        text = render(RULES.templates, template, language, params)
        assert all(f"<{p}>" in (text.body + (text.subject or "")) for p in spec.params)
        assert (text.subject is not None) == (spec.channel is Channel.EMAIL)


def test_kazakh_texts_are_written_with_kazakh_letters() -> None:
    texts = " ".join(s.texts["kk"].body + (s.texts["kk"].subject or "")
                     for s in RULES.templates.specs.values())
    assert {"ә", "ғ", "қ", "ң", "ө", "ұ", "ү", "і"} <= set(texts)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_code_sms_is_one_segment_with_the_longest_term(language: str) -> None:
    text = render(RULES.templates, Template.OTP_CODE, language,
                  {"code": "999999", "minutes": "1440"})
    assert sms_length(text.body).segments == 1


def test_a_wrong_parameter_or_language_is_named_and_nothing_quoted() -> None:
    with pytest.raises(InputError) as wrong:
        render(RULES.templates, Template.OTP_CODE, "ru", {"code": "123456"})
    assert wrong.value.field == "params" and "123456" not in wrong.value.message
    with pytest.raises(InputError) as lang:
        render(RULES.templates, Template.OTP_CODE, "de", {"code": "1", "minutes": "1"})
    assert lang.value.field == "language"


def test_a_template_that_outgrows_one_sms_is_refused_at_load() -> None:
    from derbes.delivery.adapters import rules as loader
    from derbes.platform.shipped import shipped_mapping

    templates = shipped_mapping(loader.TEMPLATES)
    templates["templates"]["otp_code"]["kk"]["body"] += " Қосымша мәтін, ол тым ұзын."
    with pytest.raises(ConfigurationError) as refused:
        loader.rules_from_dicts(shipped_mapping(loader.RULES), templates)
    assert "segments" in refused.value.message and "(kk)" in refused.value.message


def test_send_retry_give_up_on_the_fake_store(caplog: pytest.LogCaptureFixture) -> None:
    shared = FakeUnitOfWork()
    run_scenario(lambda: shared, caplog)
