"""Words of the scan reports in Russian, Kazakh and English."""

from __future__ import annotations

from derbes.platform.labels import Labels, Lang

TEXTS: dict[str, Labels] = {
    "title": Labels(ru="Поиск персональных данных", kk="Дербес деректерді іздеу",
                    en="Personal data discovery"),
    "operator": Labels(ru="Оператор", kk="Оператор", en="Operator"),
    "sources": Labels(ru="Источники", kk="Дереккөздер", en="Sources"),
    "when": Labels(ru="Время проверки", kk="Тексеру уақыты", en="Scanned"),
    "units": Labels(ru="Проверено частей (таблиц, файлов)",
                    kk="Тексерілген бөліктер (кестелер, файлдар)",
                    en="Parts scanned (tables, files)"),
    "resumed": Labels(ru="взято из прерванной проверки", kk="үзілген тексеруден алынды",
                      en="taken from an interrupted scan"),
    "summary": Labels(ru="Итог", kk="Қорытынды", en="Summary"),
    "by_entity": Labels(ru="Находки по видам данных", kk="Деректер түрлері бойынша табылғандар",
                        en="Findings by kind of data"),
    "by_place": Labels(ru="Где больше всего незаявленных данных",
                       kk="Мәлімделмеген деректер ең көп қай жерде",
                       en="Where most undeclared data sits"),
    "findings": Labels(ru="Находки", kk="Табылғандар", en="Findings"),
    "status": Labels(ru="Статус", kk="Мәртебесі", en="Status"),
    "where": Labels(ru="Где", kk="Қайда", en="Where"),
    "what": Labels(ru="Что", kk="Не", en="What"),
    "category": Labels(ru="Категория реестра", kk="Тізілім санаты", en="Register category"),
    "values": Labels(ru="Значений", kk="Мәндер", en="Values"),
    "share": Labels(ru="Доля", kk="Үлесі", en="Share"),
    "confidence": Labels(ru="Уверенность", kk="Сенімділік", en="Confidence"),
    "reasons": Labels(ru="Почему", kk="Неліктен", en="Why"),
    "examples": Labels(ru="Примеры (маскированы)", kk="Мысалдар (бүркемеленген)",
                       en="Examples (masked)"),
    "rule": Labels(ru="Правило и основание", kk="Ереже және негіздеме", en="Rule and citation"),
    "first": Labels(ru="первая строка", kk="бірінші жол", en="first line"),
    "skipped": Labels(ru="Пропущено", kk="Өткізіп жіберілді", en="Skipped"),
    "none": Labels(ru="Ничего не найдено.", kk="Ештеңе табылған жоқ.", en="Nothing found."),
    "holds": Labels(ru="столбец содержит", kk="баған қамтиды", en="column holds"),
    "mentions": Labels(ru="встречается в тексте", kk="мәтінде кездеседі", en="found in text"),
}


def text(key: str, lang: Lang | str) -> str:
    return TEXTS[key].get(lang)
