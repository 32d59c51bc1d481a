"""The compliance rules from plain values: what an appointment needs, what period a pack
covers; and the console's reading of an incident form and of a time
left, in each language."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from derbes.compliance.model import NewAppointment, check_appointment, check_period
from derbes.console.adapters.pages import _duration
from derbes.errors import InputError
from derbes.platform.labels import Lang

TODAY = date(2026, 3, 20)


def _new(**changes: object) -> NewAppointment:
    fields: dict[str, object] = {"operator_id": "kassa24", "name": " Айгерім ",
                                 "position": "DPO", "appointed_on": date(2026, 1, 15),
                                 "email": "dpo@kassa24.kz"}
    fields.update(changes)
    return NewAppointment(**fields)  # type: ignore[arg-type]


def test_an_appointment_is_trimmed_and_needs_a_contact_and_a_past_date() -> None:
    assert check_appointment(_new(), TODAY).name == "Айгерім"
    assert check_appointment(_new(email=None, phone="+7 (727) 355-00-00"), TODAY).phone
    for changes, field in (({"email": None}, "email"), ({"email": "a@b"}, "email"),
                           ({"email": "a b@c.kz"}, "email"), ({"phone": "12"}, "phone"),
                           ({"appointed_on": TODAY + timedelta(days=1)}, "appointed_on"),
                           ({"name": "x" * 201}, "name"), ({"document": "d" * 201}, "document")):
        with pytest.raises(InputError) as refused:
            check_appointment(_new(**changes), TODAY)
        assert refused.value.field == field, changes


def test_a_period_defaults_to_the_year_to_date_and_is_bounded() -> None:
    assert check_period(None, None, TODAY).since == date(2026, 1, 1)
    with pytest.raises(InputError):
        check_period(date(2026, 3, 2), date(2026, 3, 1), TODAY)
    with pytest.raises(InputError):
        check_period(date(2010, 1, 1), TODAY, TODAY)


@pytest.mark.parametrize(("left", "lang", "shown"), [
    (timedelta(days=1, hours=3, minutes=20), Lang.KK, "1 күн 3 сағ 20 мин"),
    (timedelta(hours=2, minutes=5), Lang.RU, "2 ч 5 мин"),
    (-timedelta(hours=2, minutes=5), Lang.EN, "-2 h 5 min"),
    (timedelta(days=2), Lang.EN, "2 d 0 h 0 min"),
    (timedelta(seconds=30), Lang.EN, "0 min"),
])
def test_time_left_reads_in_the_readers_language(left: timedelta, lang: Lang, shown: str
                                                  ) -> None:
    assert _duration(left, lang) == shown
