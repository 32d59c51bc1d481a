"""The scanner's recognisers: every kind in the forms people write it, look-alikes that
must not match, context words, masking, and arbitrary text (hypothesis)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from derbes.identifiers.model._checksum import control_digit
from derbes.identifiers.model.iban import compute_check_digits
from derbes.identifiers.model.pan import luhn_check_digit
from derbes.scanner.model.entities import Entity
from derbes.scanner.model.scan import ScanOptions, scan_many, scan_text

TODAY = date(2026, 3, 1)
OPTIONS = ScanOptions(today=TODAY)


def iin(head: str = "9004123") -> str:
    for serial in range(10_000):
        first11 = f"{head}{serial:04d}"
        digit = control_digit(first11)
        if digit is not None:
            return first11 + str(digit)
    raise AssertionError("no serial")


def bad_iin() -> str:
    good = iin()
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def pan(prefix: str = "440043", length: int = 16) -> str:
    body = prefix + "1" * (length - len(prefix) - 1)
    return body + luhn_check_digit(body)


def kz_iban(bank: str = "722", account: str = "0000012345678") -> str:
    return f"KZ{compute_check_digits('KZ', bank + account)}{bank}{account}"


def found(text: str, hint: str = "") -> list[tuple[Entity, str]]:
    return [(m.entity, text[m.start:m.end]) for m in scan_text(text, OPTIONS, hint)]


def kinds(text: str, hint: str = "") -> list[Entity]:
    return [e for e, _ in found(text, hint)]


# ------------------------------------------------------------------ IIN and BIN


def test_iin_with_checksum_and_context() -> None:
    value = iin()
    [match] = scan_text(f"ИИН клиента {value}", OPTIONS)
    assert match.entity is Entity.IIN
    assert match.confidence > 0.9
    assert {"checksum", "plausible_date", "context_positive"} <= {r.value for r in match.reasons}
    assert value not in match.masked and match.masked.endswith(value[-4:])


@pytest.mark.parametrize("text", [
    "ЖСН: {v}", "iin={v}", "{v}", "client {v} ok", '"iin": "{v}"',
])
def test_iin_forms(text: str) -> None:
    assert kinds(text.format(v=iin())) == [Entity.IIN]


def test_invalid_iin_and_order_numbers_do_not_match() -> None:
    assert kinds(f"ИИН {bad_iin()}") == []
    # A checksum-valid number after "заказ" is an order number.
    assert kinds(f"заказ № {iin()}") == []
    assert kinds("order 202603150001") == []


def test_iin_born_in_the_future_or_too_long_ago_is_not_an_iin() -> None:
    future = iin("3001015")  # 2030 (century digit 5)
    assert kinds(future) == []
    ancient = iin("0001011")  # 1800
    assert kinds(ancient) == []


def test_bin_is_reported_as_not_personal() -> None:
    for serial in range(10_000):
        first11 = f"0705400{serial:04d}"  # July 2007, resident legal entity, head office
        digit = control_digit(first11)
        if digit is not None:
            break
    assert kinds(f"БИН {first11}{digit}") == [Entity.BIN]
    assert not Entity.BIN.personal


# ------------------------------------------------------------------ phones


@pytest.mark.parametrize("text", [
    "+7 701 123 45 67", "8 (701) 123-45-67", "87011234567", "+77011234567",
    "+7(701)123-4567", "8 701 1234567", "+7 (777) 123 45 67", "тел. 7011234567",
])
def test_phone_forms(text: str) -> None:
    assert found(f"перезвонить {text} вечером") == [(Entity.PHONE, text.removeprefix("тел. "))]


def test_phone_look_alikes() -> None:
    assert kinds("Сумма 7 701 234 567 тг") == []  # an amount in groups of three
    assert kinds("баланс 87011234567 KZT") == []  # a currency after it
    assert kinds("+7 495 123 45 67") == []  # Moscow, not Kazakhstan
    assert kinds("2026-03-01 12:00:01") == []  # a timestamp


def test_two_numbers_in_one_run_are_both_found() -> None:
    value = iin()
    assert kinds(f"{value} 87011234567") == [Entity.IIN, Entity.PHONE]


# ------------------------------------------------------------------ cards, IBAN


def test_card_numbers_full_and_masked() -> None:
    full = pan()
    grouped = " ".join(full[i:i + 4] for i in range(0, 16, 4))
    [match] = scan_text(f"card {grouped}", OPTIONS)
    assert match.entity is Entity.PAN and match.masked == grouped[:7] + "** **** " + grouped[-4:]
    assert kinds("карта 440043******1234") == [Entity.PAN_MASKED]
    assert kinds("card 4400 43** **** 1234") == [Entity.PAN_MASKED]


def test_card_look_alikes() -> None:
    broken = pan()[:-1] + str((int(pan()[-1]) + 1) % 10)
    assert kinds(f"card {broken}") == []  # Luhn fails
    assert kinds("договор MK-202405-00000003") == []  # a contract number
    assert kinds("txn 9" + pan("9")[1:]) == []  # unknown range, a transaction context


def test_iban() -> None:
    value = kz_iban()
    spaced = " ".join(value[i:i + 4] for i in range(0, 20, 4))
    assert kinds(f"IBAN {value}") == [Entity.IBAN]
    assert kinds(f"счёт {spaced}") == [Entity.IBAN]
    assert kinds(f"IBAN {value[:-1]}{(int(value[-1]) + 1) % 10}") == []


# ------------------------------------------------------------------ e-mail, documents


def test_email() -> None:
    assert found("пишите на aigerim.nurlanova@mail.kz.") == [
        (Entity.EMAIL, "aigerim.nurlanova@mail.kz")]
    assert kinds("user@localhost") == []


def test_documents_need_context() -> None:
    assert kinds("удостоверение личности № 043123456") == [Entity.ID_CARD]
    assert kinds("код 043123456") == []
    assert kinds("043123456") == []
    assert kinds("043123456", hint="id_doc_number") == [Entity.ID_CARD]
    assert kinds("паспорт N12345678") == [Entity.PASSPORT]
    assert kinds("tokenN12345678") == []


def test_birth_dates_need_context() -> None:
    assert kinds("дата рождения 12.04.1990") == [Entity.BIRTH_DATE]
    assert kinds("туған күні 1990-04-12") == [Entity.BIRTH_DATE]
    assert kinds("1990-04-12", hint="birth_date") == [Entity.BIRTH_DATE]
    assert kinds("1990-04-12", hint="created_at") == []
    assert kinds("платёж от 12.04.2025") == []


# ------------------------------------------------------------------ names, addresses


@pytest.mark.parametrize("text", [
    "Иванов Петр Сергеевич", "Нұрланов Ерлан Асқарұлы", "Айгерим Сарсенбаева",
    "Сәрсенбаева Әсел Серікқызы", "Иванов П.С.", "Ким Ольга Викторовна",
    "ИВАНОВ ПЕТР СЕРГЕЕВИЧ", "НҰРЛАНОВА ӘСЕЛ",
])
def test_names(text: str) -> None:
    assert found(f"Клиент {text} оплатил") == [(Entity.PERSON_NAME, text)]


def test_latin_names_in_english_text() -> None:
    assert found("Customer Yerlan Akhmetov called") == [(Entity.PERSON_NAME, "Yerlan Akhmetov")]


@pytest.mark.parametrize("text", [
    "ТОО Казахтелеком", "Алматы Астана Павлодар", "Статус Одобрено", "Kaspi Bank",
    "Customer Service Login", "ТОО КАЗАХТЕЛЕКОМ", "ОПЛАТА ПРОВЕДЕНА",
])
def test_not_names(text: str) -> None:
    assert Entity.PERSON_NAME not in kinds(text)


def test_single_names_only_in_name_columns() -> None:
    assert scan_many(["Ахметов"], OPTIONS)[:1] == []
    found_ = scan_many(["Ахметов", "Иванова", "12"], OPTIONS, hint="last_name")
    assert [i for i, _ in found_] == [0, 1]


@pytest.mark.parametrize(("text", "city"), [
    ("г. Алматы, ул. Абая, д. 10, кв. 5", True),
    ("Алматы қ., Абай даңғылы, 12-үй, 5-пәтер", True),
    ("ул. Сейфуллина, 45", False),
    ("Сейфуллин көшесі, 7-үй", False),
])
def test_addresses(text: str, city: bool) -> None:
    [match] = [m for m in scan_text(f"адрес: {text}", OPTIONS) if m.entity is Entity.ADDRESS]
    assert match.confidence >= (0.9 if city else 0.7)
    assert (text[:6] in f"адрес: {text}"[match.start:match.end])


def test_no_address_without_a_house_number() -> None:
    assert Entity.ADDRESS not in kinds("улица была мокрой, проспект пуст")


# ------------------------------------------------------------------ batches, masks


def test_batch_offsets_stay_within_each_text() -> None:
    texts = ["нет данных", f"ИИН {iin()}", "", "+7 701 123 45 67"]
    pairs = scan_many(texts, OPTIONS)
    assert [(i, m.entity) for i, m in pairs] == [(1, Entity.IIN), (3, Entity.PHONE)]
    for i, m in pairs:
        assert 0 <= m.start < m.end <= len(texts[i])


def test_context_does_not_leak_between_texts() -> None:
    # "ИИН" ends the first text; the 9-digit number of the next one gets no context from it.
    assert [m.entity for _, m in scan_many(["ИИН", "043123456"], OPTIONS)] == []


@given(st.text(max_size=300))
def test_arbitrary_text_never_crashes_and_never_shows_a_value(text: str) -> None:
    for match in scan_text(text, OPTIONS):
        assert 0 <= match.start < match.end <= len(text)
        value = text[match.start:match.end]
        if match.entity not in (Entity.BIN, Entity.PAN_MASKED):
            assert match.masked != value or len(value) <= 2


@given(st.lists(st.sampled_from([iin(), "87011234567", pan(), "x", "Иванов Петр"]),
                max_size=20))
def test_batch_equals_one_by_one(texts: list[str]) -> None:
    together = [(i, m.entity) for i, m in scan_many(texts, OPTIONS)]
    alone = [(i, m.entity) for i, t in enumerate(texts) for m in scan_text(t, OPTIONS)]
    assert together == alone
