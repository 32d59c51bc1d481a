"""E-mail addresses: a pragmatic syntax check with RFC 5321 lengths."""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.errors import IdentifierError
from derbes.identifiers.model import Kind, email


@pytest.mark.parametrize(
    ("value", "normalised", "domain", "idn"),
    [
        ("dpo@kassa24.kz", "dpo@kassa24.kz", "kassa24.kz", False),
        ("  Aigerim.Nurlanovna@Mail.KZ ", "Aigerim.Nurlanovna@mail.kz", "mail.kz", False),
        ("first+tag@sub.example.com", "first+tag@sub.example.com", "sub.example.com", False),
        ("o'brien@example.co.uk", "o'brien@example.co.uk", "example.co.uk", False),
        ("user@xn--80ak6aa92e.xn--80ao21a", "user@xn--80ak6aa92e.xn--80ao21a",
         "xn--80ak6aa92e.xn--80ao21a", False),
        ("user@Мысал.ҚАЗ", "user@мысал.қаз", "мысал.қаз", True),
        ("a" * 64 + "@example.kz", "a" * 64 + "@example.kz", "example.kz", False),
    ],
)
def test_known_good(value: str, normalised: str, domain: str, idn: bool) -> None:
    verdict = email.check(value)
    assert verdict.valid, verdict.reason
    assert verdict.kind is Kind.EMAIL
    assert verdict.value == normalised
    assert verdict.facts == {"domain": domain, "idn": idn}
    assert verdict.masked == normalised[0] + "***@" + domain


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("", "must contain @"),
        ("dpo.kassa24.kz", "must contain @"),
        ("@kassa24.kz", "local part"),
        ("dpo@", "domain (after @) is empty"),
        ("dpo@localhost", "must contain a dot"),
        ("dpo@kassa24..kz", "empty label"),
        ("dpo@.kassa24.kz", "empty label"),
        ("dpo@kassa24.kz.", "empty label"),
        ("dpo@-kassa24.kz", "labels"),
        ("dpo@kassa_24.kz", "labels"),
        ("dpo@10.0.0.1", "numeric"),
        (".dpo@kassa24.kz", "dot"),
        ("d..po@kassa24.kz", "dot"),
        ("d po@kassa24.kz", "characters"),
        ("дпо@kassa24.kz", "characters"),
        ("a@b@kassa24.kz", "characters"),
        ("a" * 65 + "@example.kz", "64"),
        ("dpo@" + "a" * 64 + ".kz", "63"),
        ("ab@" + ".".join(["a" * 62] * 4) + ".kz", "254"),  # domain 254, address 257
        ("dpo@" + ".".join(["a" * 63] * 4) + ".kz", "255"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    verdict = email.check(value)
    assert not verdict.valid
    assert verdict.reason is not None
    assert reason in verdict.reason
    with pytest.raises(IdentifierError, match=re.escape(reason)):
        email.parse(value)


def test_the_local_part_is_not_in_repr() -> None:
    parsed = email.parse("aigerim@mail.kz")
    assert "aigerim" not in repr(parsed)
    assert "aigerim" not in repr(email.check("aigerim@mail.kz"))


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        email.parse(text)
    assert email.check(text).kind is Kind.EMAIL


@given(local=st.text(alphabet=st.characters(codec="ascii"), min_size=1, max_size=70),
       domain=st.text(min_size=1, max_size=70))
def test_address_shaped_text_raises_only_identifier_error(local: str, domain: str) -> None:
    with contextlib.suppress(IdentifierError):
        email.parse(f"{local}@{domain}")
