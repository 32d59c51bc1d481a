"""The regime table: loading from dicts, the shipped table, and override strictness."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from derbes.deadlines.adapters.regime_yaml import load_regime
from derbes.deadlines.model.calendar import WorkingCalendar
from derbes.deadlines.model.periods import Period, Unit
from derbes.deadlines.model.regime import (
    DeadlineOrigin,
    LooserOverrideError,
    Regime,
    RegimeError,
    RegimeOverride,
    apply_overrides,
    is_provably_not_longer,
    regime_as_dict,
    regime_from_dict,
)
from derbes.errors import InputError, NotFoundError

LABEL = {"ru": "Срок", "kk": "Мерзім", "en": "Term"}
COUNTING = {
    "timezone": "Asia/Almaty",
    "start_next_day": {"citation": "start", "check": True},
    "end_on_non_working_day": {"citation": "move"},
    "working_days": {"citation": "working"},
}


def table(**deadlines: dict[str, Any]) -> dict[str, Any]:
    return {"counting": copy.deepcopy(COUNTING), "deadlines": deadlines}


CITE = {"ru": "Закон № 94-V", "kk": "№ 94-V Заң", "en": "Law No. 94-V"}


def deadline(term: str, citation: str = "Law 94-V", **extra: Any) -> dict[str, Any]:
    return {"label": dict(LABEL), "term": term, "citation": citation, "origin": "law",
            "cite": dict(CITE), **extra}


def small_regime() -> Regime:
    return regime_from_dict(
        table(
            access=deadline("3 working days", check=True, note="same term for a refusal"),
            erasure=deadline("15 days"),
            yearly=deadline("1 year"),
        )
    )


# --- loading ---------------------------------------------------------------------


def test_loads_deadlines_with_terms_citations_and_flags() -> None:
    regime = small_regime()
    access = regime["access"]
    assert access.term == Period(3, Unit.WORKING_DAYS)
    assert access.check is True
    assert access.note == "same term for a refusal"
    assert access.trigger == "receipt"
    assert access.labels.kk == "Мерзім"
    assert regime["erasure"].check is False
    assert regime.counting.start_next_day.check is True
    assert len(regime) == 3


def test_unknown_deadline_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="access"):
        small_regime()["nope"]


def test_every_problem_is_reported_at_once() -> None:
    data = table(
        a=deadline("three days"),
        b={"label": {"ru": "x", "en": "x"}, "term": "1 day", "citation": "c"},
        c=deadline("1 day", citation=""),
        d=deadline("1 day", check="yes"),
    )
    with pytest.raises(RegimeError) as caught:
        regime_from_dict(data)
    message = caught.value.message
    for fragment in ("deadlines.a.term", "deadlines.b.label: missing text for kk",
                     "deadlines.c.citation", "deadlines.d.check"):
        assert fragment in message


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"deadlines": {"a": deadline("1 day")}},
        {"counting": COUNTING, "deadlines": {}},
        {"counting": {**COUNTING, "timezone": ""}, "deadlines": {"a": deadline("1 day")}},
        {"counting": {**COUNTING, "working_days": {}}, "deadlines": {"a": deadline("1 day")}},
        {"counting": COUNTING, "deadlines": {"a": deadline("1 day")}, "rules": []},
    ],
)
def test_malformed_tables_are_input_errors(data: object) -> None:
    with pytest.raises(InputError):
        regime_from_dict(data)


def test_shipped_regime_has_the_deadlines_of_the_law() -> None:
    regime = load_regime()
    terms = {d.id: str(d.term) for d in regime}
    # docs/LAW.md, checked against the consolidated law of 08.06.2026.
    assert terms == {
        "access": "3 working days",
        "blocking": "1 working day",
        "unblocking": "1 working day",
        "rectification": "1 working day",
        "destroy_unlawful": "1 working day",
        "public_source_removal": "1 working day",
        "transfer_notification": "10 working days",
        "automated_objection": "3 working days",
        "erasure_on_request": "15 days",
        "destroy_after_purpose": "30 working days",
        "breach_notification": "1 working day",
        "pretrial_claim": "30 working days",
        "consent_withdrawal_stop": "15 working days",
    }
    origins = {d.id: d.origin for d in regime}
    # Where the consolidated law sets no term, the table says so: a default.
    assert {d for d, o in origins.items() if o is DeadlineOrigin.DEFAULT} == {
        "access", "erasure_on_request", "destroy_after_purpose", "pretrial_claim"}
    cites = {d.id: d.cite.en for d in regime if d.cite is not None}
    assert "Article 25 paragraph 2 subparagraph 8" in cites["unblocking"]
    assert "Article 6" in cites["public_source_removal"]
    assert "Article 19 paragraph 1" in cites["transfer_notification"]
    assert "Article 19-1 paragraph 3" in cites["automated_objection"]
    assert all(d.citation and d.cite for d in regime)
    assert all(d.operator is None for d in regime)  # no operator's promise ships
    assert regime["breach_notification"].trigger == "detection"
    assert regime.rule("cookie_max_lifetime").value == Period(1, Unit.YEARS)
    assert regime.rule("age_of_majority").value == Period(18, Unit.YEARS)
    assert regime.counting.timezone == "Asia/Almaty"
    assert "consent_withdrawal" not in regime.deadlines


def test_citations_for_customers_carry_no_internal_note() -> None:
    for d in load_regime():
        assert d.cite is not None
        for lang in ("ru", "kk", "en"):
            text = d.cite.get(lang)
            assert "check" not in text and "seed" not in text.lower(), (d.id, lang)
            assert "policy" not in text.lower(), (d.id, lang)


def test_an_operators_promise_cannot_ship_in_the_table() -> None:
    data = table(access=deadline("3 working days", origin="promise"))
    with pytest.raises(RegimeError, match="regime_overrides"):
        regime_from_dict(data)


def test_a_term_without_its_customer_citation_is_refused() -> None:
    data = table(access={k: v for k, v in deadline("1 day").items() if k != "cite"})
    with pytest.raises(RegimeError, match=r"deadlines\.access\.cite"):
        regime_from_dict(data)


def test_shipped_regime_round_trips_through_its_dict_view() -> None:
    view = regime_as_dict(load_regime())
    assert view["deadlines"][0]["id"] == "access"
    assert view["deadlines"][0]["label"]["kk"]
    assert yaml.safe_dump(view, allow_unicode=True)  # plain data only


def test_regime_due_date_cites_the_deadline() -> None:
    regime = small_regime()
    cal = WorkingCalendar()
    result = regime.due_date(
        "access", datetime(2026, 6, 1, 9, tzinfo=ZoneInfo("Asia/Almaty")), cal
    )
    assert result.due == date(2026, 6, 4)
    assert result.citations[0] == "Law 94-V"


# --- strictness ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proposed", "default", "ok"),
    [
        ("2 working days", "3 working days", True),
        ("3 working days", "3 working days", True),
        ("4 working days", "3 working days", False),
        ("10 days", "15 days", True),
        ("16 days", "15 days", False),
        ("15 working days", "15 days", False),  # N working days are never shorter than N days
        ("10 working days", "15 days", False),  # 10 wd can exceed 15 days around holidays
        ("1 working day", "15 days", True),
        ("15 days", "15 working days", True),  # calendar N never ends after N working days
        ("16 days", "15 working days", False),
        ("11 months", "1 year", True),
        ("12 months", "1 year", True),
        ("13 months", "1 year", False),
        ("1 year", "12 months", True),
        ("1 month", "30 days", False),  # a month can be 31 days
        ("1 month", "31 days", True),
        ("28 days", "1 month", True),
        ("29 days", "1 month", False),  # February
        ("365 days", "1 year", True),
        ("366 days", "1 year", False),
    ],
)
def test_is_provably_not_longer(proposed: str, default: str, ok: bool) -> None:
    assert is_provably_not_longer(Period.parse(proposed), Period.parse(default)) is ok


periods = st.builds(
    Period,
    st.integers(min_value=0, max_value=400),
    st.sampled_from(list(Unit)),
)


@given(periods)
def test_a_term_is_never_looser_than_itself(term: Period) -> None:
    assert is_provably_not_longer(term, term)


@given(st.integers(min_value=1, max_value=60), st.dates(date(2025, 1, 1), date(2026, 12, 31)))
def test_accepted_working_day_terms_really_end_first(n: int, start: date) -> None:
    """Where "n working days" is accepted against "m days", it ends first even on a
    calendar with a dense cluster of holidays (4 weekdays off in every 4 weeks)."""
    dense = frozenset(
        start + timedelta(days=k)
        for k in range(0, 800)
        if (start + timedelta(days=k)).weekday() < 5 and k % 7 == 2
    )
    cal = WorkingCalendar(non_working=dense)
    wd_end = cal.add_working_days(start, n)
    span = (wd_end - start).days
    for m in range(1, 120):
        if is_provably_not_longer(Period(n, Unit.WORKING_DAYS), Period(m, Unit.DAYS)):
            assert span <= m


def test_override_makes_a_deadline_stricter_and_keeps_the_default() -> None:
    regime = apply_overrides(
        small_regime(), [RegimeOverride("access", Period.parse("2 working days"), "policy p.6")]
    )
    access = regime["access"]
    assert access.term == Period(2, Unit.WORKING_DAYS)
    assert access.citation == "policy p.6"
    assert access.origin is DeadlineOrigin.PROMISE
    assert access.default is not None
    assert access.default.term == Period(3, Unit.WORKING_DAYS)
    assert regime_as_dict(regime)["deadlines"][0]["default"]["term"] == "3 working days"
    assert small_regime()["access"].default is None  # the original is untouched


def test_looser_override_names_the_deadline_and_both_terms() -> None:
    with pytest.raises(LooserOverrideError) as caught:
        apply_overrides(
            small_regime(), [RegimeOverride("erasure", Period.parse("15 working days"), "p.1")]
        )
    error = caught.value
    assert isinstance(error, InputError)
    assert error.deadline == "erasure"
    assert "erasure" in error.message
    assert "15 working days" in error.message
    assert "15 days" in error.message


def test_second_override_cannot_loosen_back_past_the_default() -> None:
    regime = apply_overrides(
        small_regime(), [RegimeOverride("access", Period.parse("1 working day"), "p.1")]
    )
    with pytest.raises(LooserOverrideError, match="1 working day"):
        apply_overrides(regime, [RegimeOverride("access", Period.parse("2 working days"), "p.2")])


def test_unknown_deadline_override_is_an_error() -> None:
    with pytest.raises(RegimeError, match="unknown deadline 'acess'"):
        apply_overrides(small_regime(), [RegimeOverride("acess", Period.parse("1 day"), "p.1")])


def test_override_needs_a_citation() -> None:
    with pytest.raises(RegimeError, match="citation"):
        apply_overrides(small_regime(), [RegimeOverride("access", Period.parse("1 day"), " ")])


def test_register_shaped_overrides_are_accepted() -> None:
    from derbes.register.model.register import RegimeOverride as RegisterOverride

    regime = apply_overrides(
        small_regime(), [RegisterOverride("yearly", Period.parse("6 months"), "p.8")]
    )
    assert regime["yearly"].term == Period(6, Unit.MONTHS)


def test_a_promise_belongs_to_the_operator_that_made_it() -> None:
    regime = apply_overrides(
        small_regime(),
        [RegimeOverride("access", Period.parse("2 working days"), "policy p.6", source="p.6")],
        operator="kassa24",
    )
    assert regime["access"].operator == "kassa24"
    assert regime["access"].source == "p.6"
    assert regime["erasure"].operator is None
