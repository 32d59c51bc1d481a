"""One recognised value: what it is, where, how sure, and why. Never the value itself."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from derbes.platform.labels import Labels, Lang
from derbes.scanner.model.entities import Entity


class Reason(StrEnum):
    """Why a recogniser thinks a value is what it says (shown in reports, no PD)."""

    CHECKSUM = "checksum"
    PLAUSIBLE_DATE = "plausible_date"
    SHAPE = "shape"
    KZ_NUMBERING_PLAN = "kz_numbering_plan"
    MOBILE_PREFIX = "mobile_prefix"
    LUHN = "luhn"
    KNOWN_CARD_RANGE = "known_card_range"
    MOD97 = "mod97"
    EMAIL_SYNTAX = "email_syntax"
    GIVEN_NAME = "given_name"
    SURNAME = "surname"
    PATRONYMIC = "patronymic"
    INITIALS = "initials"
    NER = "ner"
    STREET_WORD = "street_word"
    HOUSE_NUMBER = "house_number"
    CITY = "city"
    CONTEXT_POSITIVE = "context_positive"
    CONTEXT_NEGATIVE = "context_negative"
    COLUMN_NAME = "column_name"
    AMOUNT_SHAPE = "amount_shape"

    def label(self, lang: Lang | str = Lang.EN) -> str:
        return _REASON_LABELS[self].get(lang)


_REASON_LABELS: dict[Reason, Labels] = {
    Reason.CHECKSUM: Labels(ru="контрольная цифра верна", kk="бақылау цифры дұрыс",
                            en="check digit matches"),
    Reason.PLAUSIBLE_DATE: Labels(ru="правдоподобная дата", kk="шынайы күн",
                                  en="plausible date"),
    Reason.SHAPE: Labels(ru="форма значения", kk="мәннің пішіні", en="shape of the value"),
    Reason.KZ_NUMBERING_PLAN: Labels(ru="план нумерации Казахстана",
                                     kk="Қазақстанның нөмірлеу жоспары",
                                     en="Kazakhstan numbering plan"),
    Reason.MOBILE_PREFIX: Labels(ru="мобильный код оператора", kk="ұялы байланыс операторының коды",
                                 en="mobile operator code"),
    Reason.LUHN: Labels(ru="контроль Луна", kk="Лун бақылауы", en="Luhn check"),
    Reason.KNOWN_CARD_RANGE: Labels(ru="известный диапазон карт", kk="белгілі карта ауқымы",
                                    en="known card range"),
    Reason.MOD97: Labels(ru="контроль mod 97", kk="mod 97 бақылауы", en="mod 97 check"),
    Reason.EMAIL_SYNTAX: Labels(ru="синтаксис адреса", kk="мекенжай синтаксисі",
                                en="address syntax"),
    Reason.GIVEN_NAME: Labels(ru="имя из словаря", kk="сөздіктегі есім",
                              en="given name in the dictionary"),
    Reason.SURNAME: Labels(ru="окончание фамилии", kk="тектің жалғауы", en="surname ending"),
    Reason.PATRONYMIC: Labels(ru="отчество", kk="әкесінің аты", en="patronymic"),
    Reason.INITIALS: Labels(ru="инициалы", kk="аты-жөнінің бас әріптері", en="initials"),
    Reason.NER: Labels(ru="модель NER", kk="NER моделі", en="NER model"),
    Reason.STREET_WORD: Labels(ru="слово улицы", kk="көше сөзі", en="street word"),
    Reason.HOUSE_NUMBER: Labels(ru="номер дома", kk="үй нөмірі", en="house number"),
    Reason.CITY: Labels(ru="город Казахстана", kk="Қазақстан қаласы", en="Kazakhstan city"),
    Reason.CONTEXT_POSITIVE: Labels(ru="слова рядом подтверждают",
                                    kk="жанындағы сөздер растайды",
                                    en="nearby words confirm"),
    Reason.CONTEXT_NEGATIVE: Labels(ru="слова рядом опровергают",
                                    kk="жанындағы сөздер теріске шығарады",
                                    en="nearby words contradict"),
    Reason.COLUMN_NAME: Labels(ru="имя столбца", kk="баған атауы", en="column name"),
    Reason.AMOUNT_SHAPE: Labels(ru="похоже на сумму", kk="сомаға ұқсайды",
                                en="looks like an amount"),
}


@dataclass(frozen=True, slots=True)
class Match:
    """A recognised value at ``start:end`` of the text scanned.

    ``masked`` is the only form of the value a match keeps: reports, logs and the
    resume state never hold the value in full.
    """

    entity: Entity
    start: int
    end: int
    confidence: float
    reasons: tuple[Reason, ...]
    masked: str
