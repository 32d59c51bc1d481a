#!/usr/bin/env python3
"""Generate a labelled corpus of a Kazakhstan operator's data: tables, logs and exports
in Russian, Kazakh and English, with personal data planted where people put it and
look-alikes that must not match, and the ground truth of every planted value.

    .venv/bin/python scripts/make_pd_corpus.py --out var/pd-corpus --mb 200 --seed 14
    .venv/bin/python scripts/make_pd_corpus.py --out tests/fixtures/pd-corpus --mb 0.3

Files (each about the same share of the size asked):

    tables/clients.csv          CSV export of the client table (ru headers)
    tables/payments.jsonl       payment events (JSON lines): order ids, amounts, cards, IBANs
    tables/applications.parquet loan applications with operators' notes (ru/kk/en)
    exports/клиенттер_kk.csv    an export with Kazakh headers, cp1251-free UTF-8 with BOM
    logs/gateway-N.log          an English application log (iin=, phone=, card=, order ids)
    logs/support-N.log          support chat transcripts in ru and kk (names, addresses)

``truth.tsv`` has one line per planted value: file, unit (1-based row or line), column
(empty for text), entity, start and end (character offsets in the cell or line).
Look-alikes are checked against the real checks (an order number is never a valid IIN
or BIN, a transaction id never passes Luhn), so the truth is exact. The output is the
same for the same ``--seed`` and ``--mb``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from derbes.errors import IdentifierError
from derbes.identifiers.model import bin as kz_bin
from derbes.identifiers.model import iin as kz_iin
from derbes.identifiers.model._checksum import control_digit
from derbes.identifiers.model.iban import compute_check_digits
from derbes.identifiers.model.pan import luhn_check_digit, luhn_valid

AS_OF = date(2026, 3, 1)

KK_SURNAMES = ("Нұрланов", "Ахметов", "Сәрсенбаев", "Жұмабаев", "Оспанов", "Қасымов",
               "Мұқанов", "Ерғалиев", "Байжанов", "Омаров", "Есенов", "Тоқтаров", "Серікбаев",
               "Қалиев", "Исабеков", "Төлеуов", "Абдрахманов", "Жақыпов", "Бекмұратов")
RU_SURNAMES = ("Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Волков",
               "Морозов", "Лебедев", "Новиков", "Фёдоров", "Михайлов", "Козлов", "Павлов")
KK_MALE = ("Нұрлан", "Ерлан", "Айдос", "Асқар", "Бауыржан", "Дәурен", "Ержан", "Жандос",
           "Қайрат", "Мұрат", "Серік", "Тимур", "Ғалым", "Арман", "Олжас", "Дархан", "Нурлан",
           "Ерасыл", "Бекзат", "Санжар")
KK_FEMALE = ("Айгерім", "Әсел", "Гүлнар", "Динара", "Жанар", "Назерке", "Мөлдір", "Ақбота",
             "Аружан", "Салтанат", "Сәуле", "Балжан", "Айнұр", "Гульмира", "Толғанай", "Айгерим")
RU_MALE = ("Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Владимир", "Николай", "Павел")
RU_FEMALE = ("Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария")
FATHERS = ("Нұрлан", "Серік", "Қайрат", "Мұрат", "Ержан", "Асқар", "Бауыржан", "Ерлан")
RU_PATRONYMICS = (("Иванович", "Ивановна"), ("Сергеевич", "Сергеевна"), ("Петрович", "Петровна"),
                  ("Александрович", "Александровна"), ("Викторович", "Викторовна"),
                  ("Николаевич", "Николаевна"))
CITIES_RU = ("Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Тараз", "Павлодар",
             "Усть-Каменогорск", "Семей", "Атырау", "Костанай", "Кызылорда", "Уральск")
CITIES_KK = ("Алматы", "Астана", "Шымкент", "Қарағанды", "Ақтөбе", "Тараз", "Павлодар",
             "Өскемен", "Семей", "Атырау", "Қостанай", "Қызылорда", "Орал")
STREETS_RU = ("ул. Абая", "ул. Сейфуллина", "пр. Достык", "ул. Толе би", "пр. Республики",
              "ул. Кунаева", "мкр. Самал-2", "ул. Гагарина", "пр. аль-Фараби", "ул. Сатпаева")
STREETS_KK = ("Абай даңғылы", "Сейфуллин көшесі", "Төле би көшесі", "Достық даңғылы",
              "Қонаев көшесі", "Сәтпаев көшесі", "Жібек жолы көшесі", "Момышұлы көшесі")
COMPANIES = ("ТОО «Казахтелеком»", "АО «Kaspi Bank»", "ТОО «Магнум Кэш энд Керри»",
             "АО «Қазақстан темір жолы»", "ТОО «Technodom Operator»", "АО «КазМунайГаз»")
MOBILE = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")
CARD_BINS = ("440043", "400303", "536280", "220220", "417413", "510621")
BANKS = ("722", "601", "998", "965", "914", "551")
DOMAINS = ("mail.ru", "gmail.com", "inbox.kz", "yandex.kz", "list.ru")
TRANSLIT = str.maketrans({
    "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e", "ё": "e",
    "ж": "zh", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "k", "л": "l", "м": "m", "н": "n",
    "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "u",
    "ү": "u", "ф": "f", "х": "kh", "һ": "h", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "sch",
    "ъ": "", "ы": "y", "і": "i", "ь": "", "э": "e", "ю": "yu", "я": "ya",
})
ENTITIES = ("iin", "phone", "pan", "pan_masked", "iban", "email", "id_card", "passport",
            "address", "person_name", "birth_date")


@dataclass
class Text:
    """A line or a cell being written, with the spans of the PD planted in it."""

    parts: list[str] = field(default_factory=list)
    spans: list[tuple[int, int, str]] = field(default_factory=list)
    length: int = 0

    def add(self, text: str, entity: str | None = None) -> Text:
        if entity is not None:
            self.spans.append((self.length, self.length + len(text), entity))
        self.parts.append(text)
        self.length += len(text)
        return self

    def __str__(self) -> str:
        return "".join(self.parts)


class Maker:
    """Values, valid ones and look-alikes, from one random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - test data, not secrets

    def pick(self, items: tuple[str, ...]) -> str:
        return self.rng.choice(items)

    def birth(self) -> date:
        return AS_OF - timedelta(days=self.rng.randint(18 * 365 + 5, 75 * 365))

    def iin(self, born: date | None = None) -> str:
        born = born or self.birth()
        century = ("5" if self.rng.random() < 0.5 else "6") if born.year >= 2000 else (
            "3" if self.rng.random() < 0.5 else "4")
        while True:
            first11 = f"{born:%y%m%d}{century}{self.rng.randrange(10000):04d}"
            digit = control_digit(first11)
            if digit is not None:
                return first11 + str(digit)

    def bin(self) -> str:
        while True:
            first11 = (f"{self.rng.randint(7, 25):02d}{self.rng.randint(1, 12):02d}"
                       f"{self.pick(('4', '5'))}0{self.rng.randrange(100000):05d}")
            digit = control_digit(first11)
            if digit is not None:
                return first11 + str(digit)

    def not_iin(self, value: str | None = None) -> str:
        """Twelve digits that are neither a valid IIN nor a valid BIN."""
        while True:
            candidate = value or f"{self.rng.randrange(10**11, 10**12)}"
            value = None
            if not (_valid(kz_iin.parse, candidate) or _valid(kz_bin.parse, candidate)):
                return candidate

    def broken_iin(self) -> str:
        good = self.iin()
        return self.not_iin(good[:-1] + str((int(good[-1]) + self.rng.randint(1, 9)) % 10))

    def phone(self) -> str:
        code, rest = self.pick(MOBILE), f"{self.rng.randrange(10_000_000):07d}"
        a, b, c = rest[:3], rest[3:5], rest[5:]
        return self.pick((f"+7 {code} {a} {b} {c}", f"8 ({code}) {a}-{b}-{c}", f"8{code}{rest}",
                          f"+7{code}{rest}", f"+7 ({code}) {a}-{b}-{c}", f"8 {code} {a} {b} {c}"))

    def amount(self) -> str:
        """A sum that looks like a phone number: 7 701 234 567."""
        return f"{self.rng.choice((7, 8))} {self.pick(MOBILE)} {self.rng.randrange(1000):03d} " \
               f"{self.rng.randrange(1000):03d}"

    def pan(self) -> str:
        body = self.pick(CARD_BINS) + f"{self.rng.randrange(10**9):09d}"
        digits = body + luhn_check_digit(body)
        return self.pick((digits, " ".join(digits[i:i + 4] for i in range(0, 16, 4))))

    def not_pan(self) -> str:
        while True:
            digits = f"{self.rng.randrange(10**15, 10**16)}"
            if not luhn_valid(digits):
                return digits

    def masked_pan(self) -> str:
        return f"{self.pick(CARD_BINS)}******{self.rng.randrange(10000):04d}"

    def iban(self) -> str:
        bban = self.pick(BANKS) + f"{self.rng.randrange(10**13):013d}"
        value = f"KZ{compute_check_digits('KZ', bban)}{bban}"
        return value if self.rng.random() < 0.7 else " ".join(
            value[i:i + 4] for i in range(0, 20, 4))

    def person(self) -> tuple[str, str, str, bool]:
        """(surname, given name, patronymic, Kazakh)."""
        male, kazakh = self.rng.random() < 0.5, self.rng.random() < 0.7
        if kazakh:
            last = self.pick(KK_SURNAMES) + ("" if male else "а")
            first = self.pick(KK_MALE if male else KK_FEMALE)
            father = self.pick(FATHERS)
            patronymic = father + ("ұлы" if male else "қызы") if self.rng.random() < 0.5 \
                else father + ("ович" if male else "овна")
        else:
            last = self.pick(RU_SURNAMES) + ("" if male else "а")
            first = self.pick(RU_MALE if male else RU_FEMALE)
            patronymic = self.rng.choice(RU_PATRONYMICS)[0 if male else 1]
        return last, first, patronymic, kazakh

    def full_name(self) -> str:
        last, first, patronymic, _ = self.person()
        return self.rng.choice((f"{last} {first} {patronymic}", f"{last} {first}",
                                f"{first} {last}", f"{last} {first[0]}.{patronymic[0]}."))

    def email(self) -> str:
        last, first, _, _ = self.person()
        return (f"{first.lower().translate(TRANSLIT)}.{last.lower().translate(TRANSLIT)}"
                f"{self.rng.randrange(100)}@{self.pick(DOMAINS)}")

    def address(self, kazakh: bool) -> str:
        house, flat = self.rng.randint(1, 250), self.rng.randint(1, 180)
        if kazakh:
            return f"{self.pick(CITIES_KK)} қ., {self.pick(STREETS_KK)}, {house}-үй, {flat}-пәтер"
        return f"г. {self.pick(CITIES_RU)}, {self.pick(STREETS_RU)}, д. {house}, кв. {flat}"

    def id_card(self) -> str:
        return f"0{self.rng.randrange(10**8):08d}"

    def passport(self) -> str:
        return f"N{self.rng.randrange(10**8):08d}"

    def day(self, born: date | None = None) -> str:
        when = born or self.birth()
        return self.pick((f"{when:%d.%m.%Y}", f"{when:%Y-%m-%d}"))


def _valid(parse: Callable[..., object], value: str) -> bool:
    try:
        parse(value, on=AS_OF)
    except IdentifierError:
        return False
    return True


# ------------------------------------------------------------------ units


def client_row(m: Maker, n: int) -> dict[str, Text]:
    born = m.birth()
    last, first, patronymic, kazakh = m.person()
    comment = Text()
    roll = m.rng.random()
    if roll < 0.2:
        comment.add("перезвонить на ").add(m.phone(), "phone")
    elif roll < 0.3:
        comment.add("ИИН супруги ").add(m.iin(), "iin")
    elif roll < 0.4:
        comment.add("заказ № ").add(m.not_iin()).add(" оплачен")
    elif roll < 0.5:
        comment.add("сумма к оплате ").add(m.amount()).add(" тг")
    else:
        comment.add(m.pick(("", "ок", "клиент VIP", "повторный клиент", "жалоба закрыта")))
    return {
        "id": Text().add(str(n)),
        "фио": Text().add(f"{last} {first} {patronymic}", "person_name"),
        "иин": Text().add(m.iin(born), "iin"),
        "телефон": Text().add(m.phone(), "phone"),
        "email": Text().add(m.email(), "email") if m.rng.random() < 0.6 else Text(),
        "дата_рождения": Text().add(f"{born:%Y-%m-%d}", "birth_date"),
        "адрес": Text().add(m.address(kazakh), "address"),
        "номер_удостоверения": Text().add(m.id_card(), "id_card"),
        "работодатель": Text().add(m.pick(COMPANIES) + " БИН " + m.bin()),
        "комментарий": comment,
    }


def payment_row(m: Maker, n: int) -> dict[str, Text]:
    card = Text()
    roll = m.rng.random()
    if roll < 0.5:
        card.add(m.masked_pan(), "pan_masked")
    elif roll < 0.6:
        card.add(m.pan(), "pan")
    else:
        card.add("")
    payer = Text()
    if m.rng.random() < 0.5:
        payer.add(m.full_name(), "person_name")
    else:
        payer.add(m.pick(COMPANIES))
    return {
        "event_id": Text().add(f"{n}"),
        "order_id": Text().add(m.not_iin()),
        "txn": Text().add(m.not_pan()),
        "amount": Text().add(f"{m.rng.randrange(1000, 5_000_000)}.00"),
        "card": card,
        "iban": Text().add(m.iban(), "iban") if m.rng.random() < 0.3 else Text(),
        "payer": payer,
        "paid_at": Text().add(f"2026-02-{m.rng.randint(1, 28):02d}T10:{n % 60:02d}:00"),
    }


def application_row(m: Maker, n: int) -> dict[str, Text]:
    note = Text()
    roll = m.rng.random()
    if roll < 0.15:
        note.add("Клиент ").add(m.full_name(), "person_name").add(" просил связаться по "
                                                                    "номеру ").add(m.phone(),
                                                                                   "phone")
    elif roll < 0.25:
        note.add("Клиент паспорт ұсынды: ").add(m.passport(), "passport")
    elif roll < 0.35:
        note.add("удостоверение личности № ").add(m.id_card(), "id_card").add(" проверено")
    elif roll < 0.45:
        note.add("Applicant moved to ").add(m.address(False), "address")
    elif roll < 0.55:
        note.add("дата рождения ").add(m.day(), "birth_date").add(" подтверждена")
    elif roll < 0.65:
        note.add("проверка ИИН ").add(m.broken_iin()).add(" не пройдена")
    else:
        note.add(m.pick(("одобрено", "отказ по скорингу", "Құжаттар толық", "needs review")))
    return {
        "application_id": Text().add(f"A-{n:08d}"),
        "contract": Text().add(f"MK-2025{m.rng.randint(1, 12):02d}-{n:08d}"),
        "requested": Text().add(str(m.rng.randrange(20_000, 500_000, 5_000))),
        "note": note,
    }


def kk_export_row(m: Maker, n: int) -> dict[str, Text]:
    last, first, patronymic, _ = m.person()
    return {
        "р/с": Text().add(str(n)),
        "аты-жөні": Text().add(f"{last} {first} {patronymic}", "person_name"),
        "жсн": Text().add(m.iin(), "iin"),
        "байланыс": Text().add(m.phone(), "phone"),
        "мекенжайы": Text().add(m.address(True), "address"),
        "шот": Text().add(m.iban(), "iban"),
        "ескерту": Text().add(m.pick(("", "төленді", "мерзімі өтті", "қайта қарау"))),
    }


def gateway_line(m: Maker, n: int) -> Text:
    line = Text().add(f"2026-03-01T{n // 3600 % 24:02d}:{n // 60 % 60:02d}:{n % 60:02d}Z "
                      f"{m.pick(('INFO', 'INFO', 'DEBUG', 'WARN'))} "
                      f"req={m.rng.randrange(10**8, 10**9)} ")
    roll = m.rng.random()
    if roll < 0.12:
        line.add("kyc check passed iin=").add(m.iin(), "iin")
    elif roll < 0.22:
        line.add("sms sent to phone=").add(m.phone(), "phone")
    elif roll < 0.27:
        line.add("card payment card=").add(m.pan(), "pan").add(" approved")
    elif roll < 0.35:
        line.add("card payment card=").add(m.masked_pan(), "pan_masked").add(" approved")
    elif roll < 0.42:
        line.add("mail queued to=").add(m.email(), "email")
    elif roll < 0.47:
        line.add("payout to iban=").add(m.iban(), "iban")
    elif roll < 0.55:
        line.add(f"order {m.not_iin()} paid amount={m.rng.randrange(1000, 900000)} KZT")
    elif roll < 0.62:
        line.add(f"txn {m.not_pan()} settled")
    elif roll < 0.66:
        latin = m.full_name().lower().translate(TRANSLIT).title()
        line.add("customer ").add(latin, "person_name").add(" logged in")
    elif roll < 0.70:
        line.add(f"merchant bin={m.bin()} registered")
    else:
        line.add(m.pick(("healthcheck ok", "cache refreshed", "scoring model v3 loaded",
                         "retry scheduled in 30s", "session closed")))
    return line


def support_line(m: Maker, n: int) -> Text:
    line = Text().add(f"[{n:07d}] ")
    roll = m.rng.random()
    if roll < 0.2:
        line.add("Оператор: здравствуйте, ").add(m.full_name(), "person_name").add("!")
    elif roll < 0.35:
        line.add("Клиент: мой номер ").add(m.phone(), "phone").add(", перезвоните")
    elif roll < 0.45:
        line.add("Клиент: живу по адресу ").add(m.address(False), "address")
    elif roll < 0.55:
        line.add("Клиент: менің мекенжайым ").add(m.address(True), "address")
    elif roll < 0.62:
        line.add("Клиент: ЖСН ").add(m.iin(), "iin")
    elif roll < 0.68:
        line.add("Клиент: туған күнім ").add(m.day(), "birth_date")
    elif roll < 0.74:
        line.add("Оператор: сумма долга ").add(m.amount()).add(" тенге")
    elif roll < 0.80:
        line.add(f"Оператор: номер обращения {m.not_iin()}")
    elif roll < 0.85:
        line.add("Клиент: почта ").add(m.email(), "email")
    else:
        line.add(m.pick(("Оператор: чем могу помочь?", "Клиент: спасибо, всё понятно",
                         "Оператор: Рахмет, күте тұрыңыз", "Клиент: Сау болыңыз",
                         "Оператор: Кредит продлён до 15.04.2026")))
    return line


# ------------------------------------------------------------------ writing


@dataclass
class Truth:
    handle: io.TextIOBase

    def record(self, file: str, unit: int, column: str | None, text: Text) -> None:
        for start, end, entity in text.spans:
            self.handle.write(f"{file}\t{unit}\t{column or ''}\t{entity}\t{start}\t{end}\n")


def _rows(make: Callable[[Maker, int], dict[str, Text]], m: Maker,
          budget: int) -> Iterator[tuple[int, dict[str, Text]]]:
    size, n = 0, 0
    while size < budget:
        n += 1
        row = make(m, n)
        size += sum(len(str(v).encode()) + 1 for v in row.values())
        yield n, row


def write_csv(path: Path, rel: str, make: Callable[[Maker, int], dict[str, Text]], m: Maker,
              budget: int, truth: Truth, *, bom: bool = False) -> None:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer: csv.DictWriter[str] | None = None
        for n, row in _rows(make, m, budget):
            if writer is None:
                writer = csv.DictWriter(handle, fieldnames=list(row))
                writer.writeheader()
            writer.writerow({k: str(v) for k, v in row.items()})
            for column, value in row.items():
                truth.record(rel, n, column, value)


def write_jsonl(path: Path, rel: str, m: Maker, budget: int, truth: Truth) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for n, row in _rows(payment_row, m, budget):
            handle.write(json.dumps({k: str(v) for k, v in row.items() if str(v)},
                                    ensure_ascii=False) + "\n")
            for column, value in row.items():
                truth.record(rel, n, column, value)


def write_parquet(path: Path, rel: str, m: Maker, budget: int, truth: Truth) -> None:
    import duckdb

    staging = path.with_suffix(".csv.tmp")
    write_csv(staging, rel, application_row, m, budget, truth)
    try:
        # Paths made by this script, not input: no quoting to escape.
        duckdb.sql(f"COPY (SELECT * FROM read_csv('{staging}', all_varchar=true, "  # noqa: S608
                   f"header=true)) TO '{path}' (FORMAT parquet)")
    finally:
        staging.unlink()


def write_log(path: Path, rel: str, make: Callable[[Maker, int], Text], m: Maker,
              budget: int, truth: Truth) -> None:
    size, n = 0, 0
    with path.open("w", encoding="utf-8") as handle:
        while size < budget:
            n += 1
            line = make(m, n)
            text = str(line)
            handle.write(text + "\n")
            size += len(text.encode()) + 1
            truth.record(rel, n, None, line)


def generate(out: Path, megabytes: float, seed: int = 14, logs: int = 2) -> dict[str, int]:
    """Write the corpus and its truth under ``out``; returns bytes per file."""
    m = Maker(seed)
    budget = int(megabytes * 1_000_000)
    share = budget // (4 + 2 * logs)
    for sub in ("tables", "exports", "logs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    with (out / "truth.tsv").open("w", encoding="utf-8") as handle:
        handle.write("file\tunit\tcolumn\tentity\tstart\tend\n")
        truth = Truth(handle)
        write_csv(out / "tables/clients.csv", "tables/clients.csv", client_row, m, share, truth)
        write_jsonl(out / "tables/payments.jsonl", "tables/payments.jsonl", m, share, truth)
        write_parquet(out / "tables/applications.parquet", "tables/applications.parquet", m,
                      share, truth)
        write_csv(out / "exports/клиенттер_kk.csv", "exports/клиенттер_kk.csv", kk_export_row,
                  m, share, truth, bom=True)
        for k in range(1, logs + 1):
            write_log(out / f"logs/gateway-{k}.log", f"logs/gateway-{k}.log", gateway_line, m,
                      share, truth)
            write_log(out / f"logs/support-{k}.log", f"logs/support-{k}.log", support_line, m,
                      share, truth)
    return {str(p.relative_to(out)): p.stat().st_size for p in sorted(out.rglob("*"))
            if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--mb", type=float, default=200.0, help="approximate size in MB")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--logs", type=int, default=0,
                        help="gateway and support logs of each kind (default: 1 per 25 MB)")
    args = parser.parse_args(argv)
    logs = args.logs or max(1, int(args.mb // 25))
    sizes = generate(args.out, args.mb, args.seed, logs)
    for name, size in sizes.items():
        print(f"{size:>14,}  {name}")
    print(f"{sum(sizes.values()):>14,}  total")
    return 0


if __name__ == "__main__":
    sys.exit(main())
