"""BIN: the two seed operators' real BINs, a table, generated BINs, single-digit changes."""

from __future__ import annotations

import contextlib
from datetime import date
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from derbes.errors import IdentifierError, InputError
from derbes.identifiers import service as identifiers
from derbes.identifiers.adapters.phone import PHONES
from derbes.identifiers.model import Kind, Verdict, iin
from derbes.identifiers.model import bin as kz_bin
from derbes.platform import i18n


def check_id(value: str, kind: Any = None, **kw: Any) -> Verdict:
    """The identifier check with the Kazakhstan numbering plan."""
    return identifiers.check(value, kind, phones=PHONES, **kw)

def oracle_control(first11: str) -> int | None:
    digits = [int(c) for c in first11]
    first = sum((i + 1) * d for i, d in enumerate(digits)) % 11
    if first != 10:
        return first
    second = sum(((i + 2) % 11 + 1) * d for i, d in enumerate(digits)) % 11
    return None if second == 10 else second


def build(yymm: str, entity: str, division: str, serial: int) -> str | None:
    head = yymm + entity + division + f"{serial:05d}"
    control = oracle_control(head)
    return None if control is None else head + str(control)


@pytest.mark.parametrize(
    ("value", "registered", "entity_type", "division"),
    [
        # TOO «Личная касса» (seed 000) and TOO «QIWI Kazakhstan» (seed 002)
        ("130940014692", "2013-09", "resident_legal_entity", "head_office"),
        ("060640010247", "2006-06", "resident_legal_entity", "head_office"),
        ("150341001231", "2015-03", "resident_legal_entity", "branch"),
        ("200152000456", "2020-01", "non_resident_legal_entity", "representative_office"),
        ("980743000787", "1998-07", "resident_legal_entity", "peasant_farm"),
        ("111160000007", "2011-11", "joint_individual_entrepreneur", "head_office"),
        ("130940000907", "2013-09", "resident_legal_entity", "head_office"),  # second pass
        ("1309 4001 4692", "2013-09", "resident_legal_entity", "head_office"),
    ],
)
def test_known_good(value: str, registered: str, entity_type: str, division: str) -> None:
    verdict = kz_bin.check(value)
    assert verdict.valid, verdict.reason
    assert verdict.kind is Kind.BIN
    assert verdict.value == value.replace(" ", "")
    assert verdict.facts["registered"] == registered
    assert verdict.facts["entity_type"] == entity_type
    assert verdict.facts["division"] == division


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("13094001469", "12 digits"),
        ("130940014693", "control digit"),
        ("060640010248", "control digit"),
        ("131340014692", "month"),
        ("130040014692", "month"),
        ("130970014692", "digit 5"),
        ("130944014692", "digit 6"),
        ("130940000970", "cannot exist"),  # both passes give 10
        ("1309400146o2", "digits only"),
    ],
)
def test_known_bad(value: str, reason: str) -> None:
    verdict = kz_bin.check(value)
    assert not verdict.valid
    assert verdict.reason is not None
    assert reason in verdict.reason
    with pytest.raises(IdentifierError, match=reason):
        kz_bin.parse(value)


def test_labels_in_three_languages() -> None:
    facts = check_id("060640010247", "bin", lang="kk").facts
    assert facts["entity_type_label"] == "заңды тұлға — резидент"
    assert facts["division_label"] == "бас бөлімше"
    ru = check_id("060640010247", "bin", lang="ru").facts
    assert ru["entity_type_label"] == "юридическое лицо — резидент"
    assert check_id("060640010247", "bin").facts["division_label"] == "head office"
    for lang in ("ru", "kk"):
        for member in (*kz_bin.EntityType, *kz_bin.Division):
            assert i18n.gettext(lang, member.message) != member.message, (lang, member)
    with pytest.raises(InputError):
        check_id("060640010247", "bin", lang="fr")


def test_registration_after_today_is_invalid_when_today_is_known() -> None:
    assert kz_bin.check("130940014692", on=date(2013, 9, 1)).valid
    assert not kz_bin.check("130940014692", on=date(2013, 8, 31)).valid


# --- properties --------------------------------------------------------------

yymms = st.builds(lambda y, m: f"{y:02d}{m:02d}", st.integers(0, 99), st.integers(1, 12))
entities = st.sampled_from("456")
divisions = st.sampled_from("0123")
serials = st.integers(0, 99999)


@given(yymm=yymms, entity=entities, division=divisions, serial=serials)
def test_generated_bins_are_valid_and_never_iins(yymm: str, entity: str, division: str,
                                                  serial: int) -> None:
    value = build(yymm, entity, division, serial)
    assume(value is not None)
    assert value is not None
    parsed = kz_bin.parse(value)
    assert parsed.registered_month == int(yymm[2:])
    assert parsed.registered_year % 100 == int(yymm[:2])
    # digit 5 of a BIN (4-6) would be the tens of an IIN's day of birth
    assert not iin.check(value).valid


@given(yymm=yymms, entity=entities, division=divisions, serial=serials,
       position=st.integers(0, 11), digit=st.sampled_from("0123456789"))
def test_single_digit_changes_follow_the_checksum(yymm: str, entity: str, division: str,
                                                  serial: int, position: int,
                                                  digit: str) -> None:
    value = build(yymm, entity, division, serial)
    assume(value is not None)
    assert value is not None
    assume(value[position] != digit)
    changed = value[:position] + digit + value[position + 1:]
    verdict = kz_bin.check(changed)
    if oracle_control(changed[:11]) != int(changed[11]):
        assert not verdict.valid
    if position == 11:
        assert not verdict.valid
    if verdict.valid:
        # still valid only where the checksum coincides and the structure holds
        assert oracle_control(changed[:11]) == int(changed[11])
        assert changed[4] in "456"
        assert changed[5] in "0123"


@given(st.text())
def test_parse_raises_only_identifier_error(text: str) -> None:
    with contextlib.suppress(IdentifierError):
        kz_bin.parse(text)
    assert kz_bin.check(text).kind is Kind.BIN
