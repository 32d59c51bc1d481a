"""Invented people for the sample operator database: names (Kazakh and Russian, with
their female forms), valid IINs, phones, IBANs, addresses and call-centre notes.

Deterministic for a given ``random.Random``; nothing here is a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime

from derbes.identifiers.model._checksum import control_digit

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


def iso(d: date | datetime | None) -> str | None:
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
