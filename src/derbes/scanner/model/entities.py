"""What the scanner looks for: kinds of personal data (entities), their names in three
languages, and which categories of the processing register may hold each of them.

An entity is what a value *is* (an IIN, a phone number); a category is what the
register *says* a column holds (``identity.iin``, ``family.details``). One entity fits
several categories: the phone of a relative the client named is PD of that relative and
the Kredit Seven dataset maps it to ``family.details``.
"""

from __future__ import annotations

from enum import StrEnum

from derbes.platform.labels import Labels, Lang


class Entity(StrEnum):
    IIN = "iin"
    BIN = "bin"
    PHONE = "phone"
    PAN = "pan"
    PAN_MASKED = "pan_masked"
    IBAN = "iban"
    EMAIL = "email"
    ID_CARD = "id_card"
    PASSPORT = "passport"
    ADDRESS = "address"
    PERSON_NAME = "person_name"
    BIRTH_DATE = "birth_date"

    def label(self, lang: Lang | str = Lang.EN) -> str:
        return _LABELS[self].get(lang)

    @property
    def personal(self) -> bool:
        """False for a BIN: it names a legal entity, not a person (reported, never a finding)."""
        return self is not Entity.BIN

    @property
    def categories(self) -> frozenset[str]:
        """Register categories that may hold this entity (taxonomy ids)."""
        return _CATEGORIES[self]


_LABELS: dict[Entity, Labels] = {
    Entity.IIN: Labels(ru="ИИН", kk="ЖСН", en="IIN"),
    Entity.BIN: Labels(ru="БИН", kk="БСН", en="BIN"),
    Entity.PHONE: Labels(ru="Номер телефона", kk="Телефон нөмірі", en="Phone number"),
    Entity.PAN: Labels(ru="Номер карты (полный)", kk="Карта нөмірі (толық)",
                       en="Card number (full)"),
    Entity.PAN_MASKED: Labels(ru="Номер карты (маскированный)", kk="Карта нөмірі (бүркемеленген)",
                              en="Card number (masked)"),
    Entity.IBAN: Labels(ru="IBAN (ИИК)", kk="IBAN (ЖСК)", en="IBAN"),
    Entity.EMAIL: Labels(ru="Адрес электронной почты", kk="Электрондық пошта мекенжайы",
                         en="E-mail address"),
    Entity.ID_CARD: Labels(ru="Номер удостоверения личности", kk="Жеке куәлік нөмірі",
                           en="ID card number"),
    Entity.PASSPORT: Labels(ru="Номер паспорта", kk="Төлқұжат нөмірі", en="Passport number"),
    Entity.ADDRESS: Labels(ru="Адрес", kk="Мекенжай", en="Address"),
    Entity.PERSON_NAME: Labels(ru="ФИО", kk="Аты-жөні", en="Personal name"),
    Entity.BIRTH_DATE: Labels(ru="Дата рождения", kk="Туған күні", en="Date of birth"),
}

# Categories of people the subject named (relatives, guarantors) may hold their name,
# phone, address and birth date: the datasets map such columns to these.
_ABOUT_OTHERS = frozenset({"family.details", "contact.contact_persons"})

# A full card number fits no category: registers declare cards tokenised (first six and
# last four digits, PCI DSS v4.0 req. 3.4.1), so a full PAN anywhere is reported.
_CATEGORIES: dict[Entity, frozenset[str]] = {
    Entity.IIN: frozenset({"identity.iin"}),
    Entity.BIN: frozenset(),
    Entity.PHONE: frozenset({"contact.phone"}) | _ABOUT_OTHERS,
    Entity.PAN: frozenset(),
    Entity.PAN_MASKED: frozenset({"financial.card_token"}),
    Entity.IBAN: frozenset({"financial.iban"}),
    Entity.EMAIL: frozenset({"contact.email"}) | _ABOUT_OTHERS,
    Entity.ID_CARD: frozenset({"identity.id_document"}),
    Entity.PASSPORT: frozenset({"identity.id_document"}),
    Entity.ADDRESS: frozenset({"address.registration", "address.residence",
                               "identity.birth_place"}) | _ABOUT_OTHERS,
    Entity.PERSON_NAME: frozenset({"identity.full_name"}) | _ABOUT_OTHERS,
    Entity.BIRTH_DATE: frozenset({"identity.birth_date"}) | _ABOUT_OTHERS,
}

# The category a finding of this entity is reported under when no mapping names one.
PRIMARY_CATEGORY: dict[Entity, str | None] = {
    Entity.IIN: "identity.iin",
    Entity.BIN: None,
    Entity.PHONE: "contact.phone",
    Entity.PAN: "financial.card_token",
    Entity.PAN_MASKED: "financial.card_token",
    Entity.IBAN: "financial.iban",
    Entity.EMAIL: "contact.email",
    Entity.ID_CARD: "identity.id_document",
    Entity.PASSPORT: "identity.id_document",
    Entity.ADDRESS: "address.residence",
    Entity.PERSON_NAME: "identity.full_name",
    Entity.BIRTH_DATE: "identity.birth_date",
}


def mask_text(value: str, keep_start: int, keep_end: int) -> str:
    """``value`` with all but ``keep_start`` leading and ``keep_end`` trailing chars hidden.

    Separators (spaces, hyphens, brackets, dots) stay where they are so that the
    masked form still shows the shape the value was written in.
    """
    total = sum(map(str.isalnum, value))
    if keep_start + keep_end >= total:
        keep_start, keep_end = 0, 0
    out: list[str] = []
    seen = 0
    for char in value:
        if char.isalnum():
            seen += 1
            out.append(char if seen <= keep_start or seen > total - keep_end else "*")
        else:
            out.append(char)
    return "".join(out)


def mask(entity: Entity, value: str) -> str:
    """How a found value may be shown: never in full (like the PAN rule, req. 3.4.1)."""
    if entity is Entity.BIN:
        return value  # not personal data
    if entity is Entity.PAN_MASKED:
        return "".join("*" if c in "xX•" else c for c in value)  # already the allowed form
    if entity is Entity.PAN:
        return mask_text(value, 6, 4)
    if entity is Entity.IIN:
        return mask_text(value, 0, 4)
    if entity is Entity.PHONE:
        return mask_text(value, 4, 2)
    if entity is Entity.IBAN:
        return mask_text(value, 7, 4)
    if entity is Entity.EMAIL:
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if entity in (Entity.PERSON_NAME, Entity.ADDRESS):
        return " ".join(w[:1] + "*" * (len(w) - 1) if w[:1].isalpha() else "*" * len(w)
                        for w in value.split())
    return mask_text(value, 0, 2)
