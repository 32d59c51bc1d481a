"""Generate a realistic microcredit operator database (SQLite or PostgreSQL).

The demo builds its sample Kredit Seven database with it (``installation/service/demo.py``);
``scripts/make_operator_db.py`` runs it from the command line:

    .venv/bin/python scripts/make_operator_db.py --url sqlite:///var/kredit-seven-core.sqlite3 \
        --clients 10000 --seed 7
    .venv/bin/python scripts/make_operator_db.py --url "$KREDIT_SEVEN_CORE_URL" --clients 1000000

The schema is what a Kazakhstan microfinance organisation's core system looks
like, and what ``registers/datasets/kredit-seven-core.yaml`` maps to the Kredit
Seven register:

    clients       one row per borrower: valid IIN (control digit computed as
                  derbes checks it), Kazakh and Russian names, +7 7xx mobile
                  phones, addresses in Kazakh or Russian, ID card, job, income
    applications  1-4 per client: amount, term, declared income/expenses,
                  credit score, IP address, status
    loans         one per approved application: contract, dates, IBAN, card token
    payments      1-6 per loan (more for closed loans)
    contacts      0-3 per client: relatives, guarantors, colleagues given by the client

About 10 rows per client: 1,000,000 clients give ~10,000,000 rows.

Speed: rows are generated in streaming batches (memory stays flat), loaded by
COPY on PostgreSQL and executemany on SQLite, and the indexes and (on
PostgreSQL) foreign keys are created after the load. The indexes of the access
path (``derbes dataset show``, access requests) are:

    clients(iin) UNIQUE        find the subject by IIN            (identity kind iin)
    clients(phone)             find the subject by phone          (identity kind phone)
    applications(client_id)    clients -> applications
    loans(application_id)      applications -> loans   (UNIQUE: one loan per application)
    payments(loan_id)          loans -> payments
    contacts(client_id)        clients -> contacts
    primary keys               customer_id look-ups and erasure by key

Output is deterministic for a given ``--seed``, ``--clients`` and ``--as-of``.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    func,
    select,
    text,
)
from sqlalchemy.schema import AddConstraint, CreateIndex, CreateTable, ForeignKeyConstraint

from derbes.identifiers.model._checksum import control_digit
from derbes.platform.db import make_engine

TABLES = ("clients", "applications", "loans", "payments", "contacts")

# ------------------------------------------------------------------ schema


def operator_metadata() -> MetaData:
    """The operator's tables. Indexes are in :func:`access_indexes`, created after the load."""
    md = MetaData()
    Table(
        "clients", md,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("iin", String(12), nullable=False),
        Column("last_name", String(64), nullable=False),
        Column("first_name", String(64), nullable=False),
        Column("patronymic", String(64)),
        Column("birth_date", Date),
        Column("sex", String(1)),
        Column("phone", String(16), nullable=False),
        Column("email", String(128)),
        Column("id_doc_number", String(16)),
        Column("registration_address", String(256)),
        Column("residence_address", String(256)),
        Column("marital_status", String(16)),
        Column("education", String(128)),
        Column("employer", String(128)),
        Column("monthly_income", Numeric(14, 2)),
        Column("created_at", DateTime, nullable=False),
    )
    Table(
        "applications", md,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("client_id", BigInteger, ForeignKey("clients.id", name="fk_applications_client"),
               nullable=False),
        Column("created_at", DateTime, nullable=False),
        Column("requested_amount", Numeric(14, 2), nullable=False),
        Column("term_days", Integer, nullable=False),
        Column("declared_income", Numeric(14, 2)),
        Column("declared_expenses", Numeric(14, 2)),
        Column("credit_score", Integer),
        Column("ip_address", String(45)),
        Column("status", String(16), nullable=False),
        # The call-centre operator's free-text note. Not in the dataset mapping: people
        # write phone numbers here, which is what `derbes scan` finds.
        Column("comment", String(512)),
    )
    Table(
        "loans", md,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("application_id", BigInteger,
               ForeignKey("applications.id", name="fk_loans_application"), nullable=False),
        Column("contract_number", String(32), nullable=False),
        Column("issued_on", Date, nullable=False),
        Column("principal", Numeric(14, 2), nullable=False),
        Column("rate_percent", Numeric(6, 2), nullable=False),
        Column("due_on", Date, nullable=False),
        Column("closed_on", Date),
        Column("status", String(16), nullable=False),
        Column("payout_iban", String(20)),
        Column("card_token", String(40)),
    )
    Table(
        "payments", md,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("loan_id", BigInteger, ForeignKey("loans.id", name="fk_payments_loan"),
               nullable=False),
        Column("paid_at", DateTime, nullable=False),
        Column("amount", Numeric(14, 2), nullable=False),
        Column("method", String(16), nullable=False),
        Column("card_mask", String(19)),
    )
    Table(
        "contacts", md,
        Column("id", BigInteger, primary_key=True, autoincrement=False),
        Column("client_id", BigInteger, ForeignKey("clients.id", name="fk_contacts_client"),
               nullable=False),
        Column("kind", String(16), nullable=False),
        Column("full_name", String(192)),
        Column("phone", String(16)),
        Column("relation", String(32)),
    )
    return md


def access_indexes(md: MetaData) -> list[Index]:
    t = md.tables
    return [
        Index("ix_clients_iin", t["clients"].c.iin, unique=True),
        Index("ix_clients_phone", t["clients"].c.phone),
        Index("ix_applications_client_id", t["applications"].c.client_id),
        Index("ix_loans_application_id", t["loans"].c.application_id, unique=True),
        Index("ix_payments_loan_id", t["payments"].c.loan_id),
        Index("ix_contacts_client_id", t["contacts"].c.client_id),
    ]


# ------------------------------------------------------------------ vocabulary

# (Kazakh form, Russian form) of male surnames; female forms add -а to -ов/-ев/-ин.
KAZAKH_SURNAMES = (
    "Нұрланов", "Ахметов", "Сәрсенбаев", "Жұмабаев", "Оспанов", "Қасымов", "Мұқанов",
    "Ерғалиев", "Сұлтанбеков", "Байжанов", "Омаров", "Есенов", "Тоқтаров", "Әбенов",
    "Серікбаев", "Қалиев", "Бекмұхамбетов", "Исабеков", "Жақсылықов", "Төлеуов",
)
RUSSIAN_SURNAMES = (
    "Иванов", "Петров", "Смирнов", "Кузнецов", "Попов", "Соколов", "Волков", "Морозов",
    "Лебедев", "Новиков", "Фёдоров", "Михайлов", "Козлов", "Павлов",
)
INDECLINABLE_SURNAMES = ("Ким", "Цой", "Пак", "Шевченко", "Бондаренко", "Ли")
KAZAKH_MALE = (
    "Нұрлан", "Ерлан", "Айдос", "Асқар", "Бауыржан", "Дәурен", "Ержан", "Жандос", "Қайрат",
    "Мұрат", "Серік", "Тимур", "Әлібек", "Ғалым", "Саят", "Арман", "Ақжол", "Олжас", "Дархан",
    "Нұрсұлтан", "Ерасыл", "Бекзат",
)
KAZAKH_FEMALE = (
    "Айгерім", "Әсел", "Гүлнар", "Динара", "Жанар", "Назерке", "Мөлдір", "Ақбота", "Аружан",
    "Салтанат", "Сәуле", "Балжан", "Ләззат", "Айнұр", "Гүлмира", "Толғанай", "Жансая",
)
RUSSIAN_MALE = ("Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Владимир", "Николай", "Павел")
RUSSIAN_FEMALE = ("Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Светлана", "Анна", "Мария")
# Father's names for patronymics: (Kazakh stem, Russian male patronymic, Russian female).
FATHERS = (
    ("Нұрлан", "Нурланович", "Нурлановна"), ("Серік", "Серикович", "Сериковна"),
    ("Қайрат", "Кайратович", "Кайратовна"), ("Мұрат", "Муратович", "Муратовна"),
    ("Ержан", "Ержанович", "Ержановна"), ("Асқар", "Аскарович", "Аскаровна"),
    ("Бауыржан", "Бауыржанович", "Бауыржановна"), ("Ерлан", "Ерланович", "Ерлановна"),
)
RUSSIAN_FATHERS = (
    ("Иванович", "Ивановна"), ("Сергеевич", "Сергеевна"), ("Петрович", "Петровна"),
    ("Александрович", "Александровна"), ("Викторович", "Викторовна"),
)

# (Kazakh, Russian) city names, weighted by population in ``CITY_WEIGHTS``.
CITIES = (
    ("Алматы", "Алматы"), ("Астана", "Астана"), ("Шымкент", "Шымкент"),
    ("Қарағанды", "Караганда"), ("Ақтөбе", "Актобе"), ("Тараз", "Тараз"),
    ("Павлодар", "Павлодар"), ("Өскемен", "Усть-Каменогорск"), ("Семей", "Семей"),
    ("Атырау", "Атырау"), ("Қостанай", "Костанай"), ("Қызылорда", "Кызылорда"),
    ("Орал", "Уральск"), ("Петропавл", "Петропавловск"), ("Ақтау", "Актау"),
    ("Түркістан", "Туркестан"),
)
CITY_WEIGHTS = (22, 14, 12, 6, 6, 4, 4, 4, 4, 4, 4, 3, 3, 3, 3, 4)
# (Kazakh street, Russian street)
STREETS = (
    ("Абай даңғылы", "пр. Абая"), ("Сейфуллин көшесі", "ул. Сейфуллина"),
    ("Жібек жолы көшесі", "ул. Жибек жолы"), ("Төле би көшесі", "ул. Толе би"),
    ("Республика даңғылы", "пр. Республики"), ("Достық даңғылы", "пр. Достык"),
    ("Байтұрсынұлы көшесі", "ул. Байтурсынова"), ("Қонаев көшесі", "ул. Кунаева"),
    ("Момышұлы көшесі", "ул. Момышулы"), ("Гагарин көшесі", "ул. Гагарина"),
    ("Әл-Фараби даңғылы", "пр. аль-Фараби"), ("Сәтпаев көшесі", "ул. Сатпаева"),
)
EMPLOYERS = (
    "ТОО «Казахтелеком»", "АО «Kaspi Bank»", "ИП Сериков", "ТОО «Магнум Кэш энд Керри»",
    "КГУ «Школа-гимназия № 12»", "ТОО «Самрук-Энерго»", "ГКП «Городская поликлиника № 4»",
    "АО «Қазақстан темір жолы»", "ТОО «Technodom Operator»", "самозанятый",
    "ТОО «Glovo Kazakhstan»", "АО «КазМунайГаз»",
)
EDUCATION = (
    "КазНУ им. аль-Фараби", "ЕНУ им. Л. Н. Гумилёва", "Алматинский колледж связи",
    "КарГТУ", "ЮКГУ им. М. Ауэзова", "средняя школа", "КазАТУ им. С. Сейфуллина",
)
MARITAL = ("single", "married", "divorced", "widowed")
MOBILE_CODES = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777",
                "778")
EMAIL_DOMAINS = ("mail.ru", "gmail.com", "inbox.kz", "yandex.kz", "list.ru")
RELATIONS = (
    ("relative", "мать"), ("relative", "отец"), ("relative", "супруг(а)"),
    ("relative", "брат"), ("relative", "сестра"), ("relative", "әпке"), ("relative", "аға"),
    ("guarantor", "поручитель"), ("colleague", "коллега"), ("friend", "друг"),
)
LATIN = dict(zip(
    "абвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюяә",
    ["a", "b", "v", "g", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "q", "l", "m", "n", "n",
     "o", "o", "p", "r", "s", "t", "u", "u", "u", "f", "kh", "h", "ts", "ch", "sh", "sch", "",
     "y", "i", "", "e", "yu", "ya", "a"],
    strict=True,
))


def latin(word: str) -> str:
    return "".join(LATIN.get(c, c) for c in word.lower())


# ------------------------------------------------------------------ rows


def make_iin(rng: random.Random, birth: date, male: bool, taken: set[int]) -> str:
    """A valid IIN for ``birth`` and sex, unique in ``taken`` (Law No. 223-III)."""
    century = ("5" if male else "6") if birth.year >= 2000 else ("3" if male else "4")
    head = f"{birth:%y%m%d}{century}"
    while True:
        first11 = head + f"{rng.randrange(10000):04d}"
        check = control_digit(first11)
        if check is None:
            continue
        value = first11 + str(check)
        if int(value) not in taken:
            taken.add(int(value))
            return value


def make_phone(rng: random.Random) -> str:
    return f"+7{rng.choice(MOBILE_CODES)}{rng.randrange(10_000_000):07d}"


def make_iban(rng: random.Random) -> str:
    # KZ + 2 check digits + 3-digit bank code + 13 account characters; mod-97 valid.
    bank = rng.choice(("722", "601", "998", "965", "914", "551"))
    account = f"{rng.randrange(10**13):013d}"
    bban = bank + account
    numeric = int("".join(str(int(c, 36)) for c in bban + "KZ00"))
    return f"KZ{98 - numeric % 97:02d}{bban}"


@dataclass
class Person:
    last: str
    first: str
    patronymic: str | None
    male: bool
    kazakh: bool

    @property
    def full_name(self) -> str:
        return " ".join(p for p in (self.last, self.first, self.patronymic) if p)


def _female_surname(surname: str) -> str:
    if surname in INDECLINABLE_SURNAMES:
        return surname
    return surname + "а"


def make_person(rng: random.Random) -> Person:
    male = rng.random() < 0.5
    roll = rng.random()
    if roll < 0.7:  # Kazakh name, Kazakh spelling
        last = rng.choice(KAZAKH_SURNAMES)
        first = rng.choice(KAZAKH_MALE if male else KAZAKH_FEMALE)
        father = rng.choice(FATHERS)
        style = rng.random()
        if style < 0.4:  # the modern Kazakh form: -ұлы / -қызы
            patronymic: str | None = father[0] + ("ұлы" if male else "қызы")
        elif style < 0.9:
            patronymic = father[1] if male else father[2]
        else:
            patronymic = None
        return Person(last if male else _female_surname(last), first, patronymic, male, True)
    if roll < 0.92:
        last = rng.choice(RUSSIAN_SURNAMES)
        first = rng.choice(RUSSIAN_MALE if male else RUSSIAN_FEMALE)
        father_r = rng.choice(RUSSIAN_FATHERS)
        return Person(last if male else _female_surname(last), first,
                      father_r[0] if male else father_r[1], male, False)
    last = rng.choice(INDECLINABLE_SURNAMES)
    first = rng.choice(RUSSIAN_MALE if male else RUSSIAN_FEMALE)
    father_r = rng.choice(RUSSIAN_FATHERS)
    return Person(last, first, father_r[0] if male else father_r[1], male, False)


def make_address(rng: random.Random, kazakh: bool) -> str:
    city_kk, city_ru = rng.choices(CITIES, weights=CITY_WEIGHTS)[0]
    street_kk, street_ru = rng.choice(STREETS)
    house = rng.randint(1, 250)
    flat = rng.randint(1, 180) if rng.random() < 0.75 else None
    if kazakh:
        tail = f", {flat}-пәтер" if flat else ""
        return f"{city_kk} қ., {street_kk}, {house}-үй{tail}"
    tail = f", кв. {flat}" if flat else ""
    return f"г. {city_ru}, {street_ru}, д. {house}{tail}"


def _iso(d: date | datetime | None) -> str | None:
    # ISO text for both backends: sqlite3's default date adapters are deprecated.
    if d is None:
        return None
    return d.isoformat(sep=" ") if isinstance(d, datetime) else d.isoformat()


# Notes of the call centre (ru and kk); {phone} is a number written as people write it.
COMMENTS_WITH_PHONE = (
    "Клиент просил перезвонить на {phone} после 18:00",
    "Звонил с номера {phone}, уточнял график платежей",
    "Новый номер клиента: {phone}",
    "Клиент кешкі алтыдан кейін {phone} нөміріне қоңырау шалуды сұрады",
    "Жұмыс телефоны {phone}, хабарласу керек",
)
COMMENTS_PLAIN = (
    "Согласовано", "Клиент не выходит на связь", "Документы проверены",
    "Құжаттар тексерілді", "Повторная заявка", None, None, None,
)


def written_phone(rng: random.Random) -> str:
    """A mobile number in one of the forms people write by hand."""
    code, rest = rng.choice(MOBILE_CODES), f"{rng.randrange(10_000_000):07d}"
    a, b, c = rest[:3], rest[3:5], rest[5:]
    return rng.choice((
        f"+7 {code} {a} {b} {c}", f"8 ({code}) {a}-{b}-{c}", f"8{code}{rest}",
        f"+7({code}){a}-{b}{c}", f"8 {code} {a} {b}{c}",
    ))


def make_comment(rng: random.Random) -> str | None:
    if rng.random() < 0.3:
        return rng.choice(COMMENTS_WITH_PHONE).format(phone=written_phone(rng))
    return rng.choice(COMMENTS_PLAIN)


@dataclass
class Counters:
    application: int = 0
    loan: int = 0
    payment: int = 0
    contact: int = 0
    taken_iins: set[int] = field(default_factory=set)
    # Comments draw from their own generator so that adding them left every other
    # generated value as it was for a given seed.
    comments: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311


Batch = dict[str, list[tuple[Any, ...]]]


def client_batch(rng: random.Random, first_id: int, count: int, as_of: date,
                 counters: Counters) -> Batch:
    """Rows of ``count`` clients from ``first_id`` and everything that hangs off them."""
    batch: Batch = {name: [] for name in TABLES}
    for client_id in range(first_id, first_id + count):
        person = make_person(rng)
        age_days = rng.randint(18 * 365 + 5, 65 * 365)
        birth = as_of - timedelta(days=age_days)
        iin = make_iin(rng, birth, person.male, counters.taken_iins)
        created = datetime.combine(as_of - timedelta(days=rng.randint(30, 6 * 365)),
                                   datetime.min.time()) + timedelta(seconds=rng.randrange(86400))
        registration = make_address(rng, person.kazakh)
        residence = registration if rng.random() < 0.6 else make_address(rng, person.kazakh)
        email = (f"{latin(person.first)}.{latin(person.last)}{rng.randrange(100)}@"
                 f"{rng.choice(EMAIL_DOMAINS)}") if rng.random() < 0.6 else None
        income = rng.randrange(85_000, 900_000, 500)
        batch["clients"].append((
            client_id, iin, person.last, person.first, person.patronymic, _iso(birth),
            "M" if person.male else "F", make_phone(rng), email,
            f"0{rng.randrange(10**8):08d}", registration, residence, rng.choice(MARITAL),
            rng.choice(EDUCATION) if rng.random() < 0.7 else None,
            rng.choice(EMPLOYERS) if rng.random() < 0.85 else None, income, _iso(created),
        ))
        for _ in range(rng.choice((1, 1, 2, 2, 2, 3, 3))):
            counters.application += 1
            app_id = counters.application
            applied = created + timedelta(days=rng.randint(0, max(1, (as_of - created.date()).days
                                                                    - 1)))
            amount = rng.randrange(20_000, 500_001, 5_000)
            status = rng.choices(("approved", "rejected", "cancelled"), weights=(75, 20, 5))[0]
            batch["applications"].append((
                app_id, client_id, _iso(applied), amount, rng.choice((7, 14, 21, 30, 60, 90, 180)),
                income if rng.random() < 0.8 else rng.randrange(85_000, 900_000, 500),
                rng.randrange(20_000, 400_000, 500) if rng.random() < 0.7 else None,
                rng.randint(300, 850) if rng.random() < 0.9 else None,
                f"{rng.choice((2, 5, 37, 46, 95, 178, 212))}.{rng.randrange(256)}."
                f"{rng.randrange(256)}.{rng.randrange(1, 255)}",
                status, make_comment(counters.comments),
            ))
            if status != "approved":
                continue
            counters.loan += 1
            loan_id = counters.loan
            issued = applied.date() + timedelta(days=rng.randint(0, 2))
            term = rng.choice((30, 60, 90, 180, 365))
            due = issued + timedelta(days=term)
            state = rng.choices(("closed", "active", "overdue", "written_off"),
                                weights=(60, 25, 10, 5))[0]
            if due >= as_of and state in ("closed", "written_off"):
                state = "active"
            closed = (min(due + timedelta(days=rng.randint(-10, 20)), as_of)
                      if state in ("closed", "written_off") else None)
            batch["loans"].append((
                loan_id, app_id, f"MK-{issued:%Y%m}-{loan_id:08d}", _iso(issued), amount,
                rng.choice((36.5, 45.0, 49.9, 55.9)),  # annual; GEPR is capped at 56%
                _iso(due), _iso(closed), state,
                make_iban(rng) if rng.random() < 0.6 else None,
                f"tok_{rng.getrandbits(96):024x}" if rng.random() < 0.8 else None,
            ))
            n_payments = rng.randint(1, 6) if state != "active" else rng.randint(0, 3)
            paid = datetime.combine(issued, datetime.min.time())
            for _ in range(n_payments):
                counters.payment += 1
                paid += timedelta(days=rng.randint(7, 35), seconds=rng.randrange(86400))
                method = rng.choices(("card", "kaspi", "terminal", "bank_transfer"),
                                     weights=(40, 35, 15, 10))[0]
                card = (f"{rng.choice(('440043', '400303', '536280', '220220'))}******"
                        f"{rng.randrange(10000):04d}") if method == "card" else None
                batch["payments"].append((
                    counters.payment, loan_id, _iso(paid),
                    max(1_000, amount // n_payments + rng.randrange(-2_000, 5_000)), method, card,
                ))
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            counters.contact += 1
            kind, relation = rng.choice(RELATIONS)
            contact = make_person(rng)
            batch["contacts"].append((
                counters.contact, client_id, kind, contact.full_name, make_phone(rng), relation,
            ))
    return batch


# ------------------------------------------------------------------ loading


def _columns(md: MetaData, table: str) -> list[str]:
    return [c.name for c in md.tables[table].columns]


def create_schema(engine: Engine, md: MetaData, *, drop: bool = False) -> None:
    """Create the tables (no indexes; on PostgreSQL no foreign keys until the load is done)."""
    postgres = engine.dialect.name == "postgresql"
    with engine.begin() as connection:
        if drop:
            md.drop_all(connection)
        for table in md.sorted_tables:
            if postgres:
                connection.execute(CreateTable(table, include_foreign_key_constraints=[]))
            else:
                connection.execute(CreateTable(table))


def load_batch(engine: Engine, md: MetaData, batch: Batch, raw: Any) -> None:
    """Append one batch through the raw DBAPI connection ``raw`` (COPY or executemany)."""
    if engine.dialect.name == "postgresql":
        with raw.cursor() as cursor:
            for table in TABLES:
                rows = batch[table]
                if not rows:
                    continue
                names = ", ".join(_columns(md, table))
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
    else:
        cursor = raw.cursor()
        try:
            for table in TABLES:
                cols = _columns(md, table)
                marks = ", ".join("?" for _ in cols)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})",  # noqa: S608
                    batch[table],
                )
        finally:
            cursor.close()


def finish_schema(engine: Engine, md: MetaData) -> None:
    """Indexes of the access path, foreign keys (PostgreSQL), fresh planner statistics."""
    with engine.begin() as connection:
        for index in access_indexes(md):
            connection.execute(CreateIndex(index))
        if engine.dialect.name == "postgresql":
            for table in md.sorted_tables:
                for constraint in table.constraints:
                    if isinstance(constraint, ForeignKeyConstraint):
                        connection.execute(AddConstraint(constraint))
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


Progress = Callable[[int, Batch], None]


def generate(
    url: str,
    clients: int,
    *,
    seed: int = 7,
    batch_size: int = 5_000,
    as_of: date = date(2026, 3, 1),
    drop: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Create and fill the operator database at ``url``; returns rows per table."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    md = operator_metadata()
    engine = make_engine(url)
    counts = dict.fromkeys(TABLES, 0)
    try:
        create_schema(engine, md, drop=drop)
        counters = Counters(comments=random.Random(seed + 1))  # noqa: S311
        raw = engine.raw_connection()
        try:
            driver = raw.driver_connection
            if engine.dialect.name == "sqlite":
                driver.execute("PRAGMA synchronous=OFF")  # type: ignore[union-attr]
                driver.execute("BEGIN")  # type: ignore[union-attr]
            for first in range(1, clients + 1, batch_size):
                count = min(batch_size, clients - first + 1)
                batch = client_batch(rng, first, count, as_of, counters)
                load_batch(engine, md, batch, driver)
                for table in TABLES:
                    counts[table] += len(batch[table])
                if progress is not None:
                    progress(count, batch)
            if engine.dialect.name == "sqlite":
                driver.execute("COMMIT")  # type: ignore[union-attr]
                driver.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
            else:
                raw.commit()
        finally:
            raw.close()
        finish_schema(engine, md)
    finally:
        engine.dispose()
    return counts


def main(argv: Sequence[str] | None = None) -> int:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--url", required=True, help="SQLAlchemy URL (sqlite:///… or postgresql://…)")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=5_000, help="clients per batch")
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 3, 1),
                        help="the day the data end (ISO date; default 2026-03-01)")
    parser.add_argument("--drop", action="store_true", help="drop the tables first")
    args = parser.parse_args(argv)
    console = Console(stderr=True)
    rows = {"n": 0}
    with Progress(
        TextColumn("[bold]clients"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rows]:,} rows"), TimeElapsedColumn(), TimeRemainingColumn(),
        console=console,
    ) as bar:
        task = bar.add_task("load", total=args.clients, rows=0)

        def advance(count: int, batch: Batch) -> None:
            rows["n"] += sum(len(r) for r in batch.values())
            bar.update(task, advance=count, rows=rows["n"])

        counts = generate(args.url, args.clients, seed=args.seed, batch_size=args.batch,
                          as_of=args.as_of, drop=args.drop, progress=advance)
    for table, count in counts.items():
        console.print(f"{table:>13}: {count:>12,}")
    console.print(f"{'total':>13}: {sum(counts.values()):>12,}")
    return 0



def add_client(url: str, *, iin: str, last_name: str, first_name: str, patronymic: str | None,
               phone: str, as_of: date = date(2026, 3, 1)) -> int:
    """Add one named borrower (an approved application, its open loan, one payment) to the
    database at ``url``; returns the client's id. A client with this IIN already there is
    left as it is (its id is returned)."""
    md = operator_metadata()
    clients, applications, loans, payments = (md.tables[t] for t in TABLES[:4])
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            found = connection.execute(
                select(clients.c.id).where(clients.c.iin == iin)).scalar_one_or_none()
            if found is not None:
                return int(found)

            def next_id(table: Table) -> int:
                return int(connection.execute(
                    select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1

            client_id, app_id = next_id(clients), next_id(applications)
            loan_id, payment_id = next_id(loans), next_id(payments)
            opened = as_of - timedelta(days=30)
            connection.execute(clients.insert().values(
                id=client_id, iin=iin, last_name=last_name, first_name=first_name,
                patronymic=patronymic, phone=phone, created_at=datetime.combine(
                    opened, datetime.min.time())))
            connection.execute(applications.insert().values(
                id=app_id, client_id=client_id, created_at=datetime.combine(
                    opened, datetime.min.time()), requested_amount=150_000, term_days=90,
                status="approved"))
            connection.execute(loans.insert().values(
                id=loan_id, application_id=app_id, contract_number=f"MK-DEMO-{loan_id:08d}",
                issued_on=opened, principal=150_000, rate_percent=45.0,
                due_on=opened + timedelta(days=90), status="active"))
            connection.execute(payments.insert().values(
                id=payment_id, loan_id=loan_id, paid_at=datetime.combine(
                    as_of - timedelta(days=1), datetime.min.time()), amount=50_000,
                method="kaspi"))
            return client_id
    finally:
        engine.dispose()
