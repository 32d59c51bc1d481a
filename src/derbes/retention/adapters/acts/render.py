"""Render a destruction act as JSON, HTML or PDF (A4), in Russian, Kazakh or English.

The wording of the act is below, side by side in the three languages, so that
a lawyer can read each sentence against its translations; register choices
(legal bases, retention triggers) and periods come from the shared catalogues
of ``platform/i18n.py`` and ``deadlines/model/wording.py``, as in the notice and letters.
The PDF embeds a small SVG bar chart of the subjects per group.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import cache
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from derbes.deadlines.model.wording import format_clause
from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.labels import Labels, Lang
from derbes.register.model.register import AfterRetention, Retention
from derbes.retention.adapters.acts.rules import load_act_rules
from derbes.retention.model.acts import Act, ActGroup, Method, as_dict, references_digest

FORMATS = ("json", "html", "pdf")

TEXTS: Mapping[str, Labels] = {
    "title": Labels(ru="Акт об уничтожении персональных данных",
                    kk="Дербес деректерді жою актісі",
                    en="Personal data destruction act"),
    "no": Labels(ru="№", kk="№", en="No."),
    "approve": Labels(ru="УТВЕРЖДАЮ", kk="БЕКІТЕМІН", en="APPROVED"),
    "head": Labels(ru="Руководитель оператора", kk="Оператордың басшысы",
                   en="Head of the operator"),
    "date_blank": Labels(ru="«___» ______________ 20___ г.",
                         kk="20___ жылғы «___» ______________",
                         en="date ______________"),
    "s1": Labels(ru="1. Общие сведения", kk="1. Жалпы мәліметтер", en="1. General information"),
    "operator": Labels(ru="Оператор", kk="Оператор", en="Operator"),
    "bin": Labels(ru="БИН", kk="БСН", en="BIN"),
    "not_stated": Labels(ru="не указан в политике", kk="саясатта көрсетілмеген",
                         en="not stated in the policy"),
    "address": Labels(ru="Юридический адрес", kk="Заңды мекенжайы", en="Legal address"),
    "responsible": Labels(ru="Ответственный за организацию обработки персональных данных",
                          kk="Дербес деректерді өңдеуді ұйымдастыруға жауапты тұлға",
                          en="Person responsible for organising personal data processing"),
    "policy": Labels(ru="Редакция политики (реестра)", kk="Саясаттың (тізілімнің) редакциясы",
                     en="Policy (register) version"),
    "general_basis": Labels(ru="Правовое основание уничтожения",
                            kk="Жоюдың құқықтық негізі",
                            en="Legal ground of destruction"),
    "run": Labels(ru="Процедура уничтожения (идентификатор)",
                  kk="Жою рәсімі (сәйкестендіргіш)",
                  en="Destruction run (identifier)"),
    "as_of": Labels(ru="Сроки хранения исчислены на дату",
                    kk="Сақтау мерзімдері есептелген күн",
                    en="Retention periods counted as of"),
    "window": Labels(ru="Время выполнения", kk="Орындалу уақыты", en="Carried out"),
    "from_to": Labels(ru="с {start} по {end}", kk="{start} — {end} аралығында",
                      en="from {start} to {end}"),
    "actor": Labels(ru="Запущено", kk="Іске қосқан", en="Started by"),
    "statement": Labels(
        ru="Настоящий акт составлен в том, что по истечении сроков хранения, установленных "
           "для целей обработки, персональные данные, указанные в разделе 2, уничтожены "
           "(обезличены) способами, указанными в разделе 3, в порядке, установленном "
           "оператором. Данные, на которые распространяется правовое удержание или более "
           "длительный срок хранения по другой цели, не уничтожались. Субъекты указаны "
           "псевдонимизированными ссылками (приложение); персональные данные субъектов в акт "
           "не включены.",
        kk="Осы акт өңдеу мақсаттары үшін белгіленген сақтау мерзімдері өткеннен кейін "
           "2-бөлімде көрсетілген дербес деректер оператор белгілеген тәртіппен 3-бөлімде "
           "көрсетілген тәсілдермен жойылғаны (иесіздендірілгені) туралы жасалды. Құқықтық "
           "ұстап қалу қолданылатын немесе басқа мақсат бойынша ұзағырақ сақтау мерзімі бар "
           "деректер жойылмады. Субъектілер псевдонимделген сілтемелермен көрсетілген "
           "(қосымша); субъектілердің дербес деректері актіге енгізілмеген.",
        en="This act records that, on expiry of the retention periods set for the purposes "
           "of processing, the personal data listed in section 2 were destroyed (anonymised) "
           "by the methods listed in section 3, in the procedure established by the operator. "
           "Data covered by a legal hold or by a longer retention period of another purpose "
           "were not destroyed. Subjects are named by pseudonymous references (annex); no "
           "personal data of the subjects are included in the act."),
    "s2": Labels(ru="2. Уничтоженные персональные данные",
                 kk="2. Жойылған дербес деректер",
                 en="2. Personal data destroyed"),
    "summary": Labels(ru="Сводка по группам", kk="Топтар бойынша жиынтық",
                      en="Summary by group"),
    "chart": Labels(ru="Субъектов по группам", kk="Топтар бойынша субъектілер саны",
                    en="Subjects per group"),
    "group": Labels(ru="Группа", kk="Топ", en="Group"),
    "purpose": Labels(ru="Цель обработки", kk="Өңдеу мақсаты", en="Purpose of processing"),
    "clause": Labels(ru="пункт политики", kk="саясаттың тармағы", en="policy clause"),
    "basis": Labels(ru="Правовое основание обработки", kk="Өңдеудің құқықтық негізі",
                    en="Legal basis of processing"),
    "retention": Labels(ru="Срок хранения", kk="Сақтау мерзімі", en="Retention period"),
    "retention_citation": Labels(ru="Правовое основание срока", kk="Мерзімнің құқықтық негізі",
                                 en="Legal basis of the period"),
    "criterion": Labels(ru="Критерий уничтожения по политике",
                        kk="Саясат бойынша жою критерийі",
                        en="Destruction criterion in the policy"),
    "ended": Labels(ru="Сроки истекли", kk="Мерзімдер аяқталды", en="Periods ended"),
    "categories": Labels(ru="Категории персональных данных",
                         kk="Дербес деректердің санаттары",
                         en="Categories of personal data"),
    "action": Labels(ru="Действие", kk="Әрекет", en="Action"),
    "method": Labels(ru="Способ уничтожения", kk="Жою әдісі", en="Method"),
    "subjects": Labels(ru="Количество субъектов", kk="Субъектілер саны",
                       en="Number of subjects"),
    "subjects_short": Labels(ru="Субъектов", kk="Субъектілер", en="Subjects"),
    "pairs": Labels(ru="Уничтожено значений (субъект × категория)",
                    kk="Жойылған мәндер (субъект × санат)",
                    en="Values destroyed (subject × category)"),
    "not_in_register": Labels(ru="нет в действующем реестре", kk="қолданыстағы тізілімде жоқ",
                              en="not in the register in force"),
    "s3": Labels(ru="3. Способы уничтожения", kk="3. Жою әдістері",
                 en="3. Methods of destruction"),
    "vault": Labels(ru="Хранилище персональных данных derbes",
                    kk="derbes дербес деректер қоймасы",
                    en="derbes personal data vault"),
    "store": Labels(ru="База данных оператора", kk="Оператордың дерекқоры",
                    en="Operator's database"),
    "rows": Labels(ru="строк", kk="жол", en="rows"),
    "subjects_of": Labels(ru="субъектов", kk="субъект", en="subjects"),
    "shredded": Labels(ru="Субъектов, ключ шифрования которых уничтожен полностью",
                       kk="Шифрлау кілті толық жойылған субъектілер",
                       en="Subjects whose encryption key was destroyed"),
    "partial": Labels(ru="Субъектов, у которых уничтожена часть категорий (ключ заменён)",
                      kk="Санаттарының бір бөлігі жойылған субъектілер (кілт ауыстырылды)",
                      en="Subjects with some categories destroyed (key replaced)"),
    "values_deleted": Labels(ru="Удалено записей хранилища", kk="Қоймадан өшірілген жазбалар",
                             en="Vault records deleted"),
    "skipped": Labels(
        ru="Не уничтожено: ко времени обработки действовало правовое удержание "
           "или данных уже не было",
        kk="Жойылмады: өңдеу кезінде құқықтық ұстап қалу қолданылды немесе деректер болмады",
        en="Not destroyed: a legal hold applied when reached, or the data were already gone"),
    "logging": Labels(ru="Регистрация действий", kk="Әрекеттерді тіркеу",
                      en="Logging of actions"),
    "logged": Labels(
        ru="Каждое уничтожение записано в журнал действий с персональными данными "
           "(цепочка хешей), проверяемый командой «derbes audit verify».",
        kk="Әрбір жою дербес деректермен жасалған әрекеттер журналына (хештер тізбегі) "
           "жазылды; журнал «derbes audit verify» командасымен тексеріледі.",
        en="Every destruction is recorded in the log of actions with personal data "
           "(a hash chain), checked with «derbes audit verify»."),
    "s4": Labels(ru="4. Итог", kk="4. Қорытынды", en="4. Result"),
    "total": Labels(ru="Всего субъектов, данные которых уничтожены (обезличены)",
                    kk="Деректері жойылған (иесіздендірілген) субъектілердің жалпы саны",
                    en="Subjects whose data were destroyed (anonymised), in total"),
    "references": Labels(ru="Псевдонимизированные ссылки на субъектов",
                         kk="Субъектілердің псевдонимделген сілтемелері",
                         en="Pseudonymous subject references"),
    "references_note": Labels(
        ru="Ссылка — первые 64 бита HMAC-SHA-256 внутреннего идентификатора субъекта на "
           "ключе, хранящемся в хранилище ключей оператора. Без ключа по ссылке нельзя "
           "установить субъекта; оператор по ключу может проверить, включён ли субъект в акт.",
        kk="Сілтеме — оператордың кілттер қоймасында сақталатын кілтпен есептелген "
           "субъектінің ішкі сәйкестендіргішінің HMAC-SHA-256 мәнінің алғашқы 64 биті. "
           "Кілтсіз сілтеме бойынша субъектіні анықтау мүмкін емес; оператор кілт арқылы "
           "субъектінің актіге енгізілгенін тексере алады.",
        en="A reference is the first 64 bits of an HMAC-SHA-256 of the subject's internal "
           "identifier under a key held in the operator's key store. Without the key a "
           "reference does not identify the subject; with it the operator can check whether "
           "a subject is listed in the act."),
    "list_digest": Labels(ru="SHA-256 полного перечня ссылок", kk="Сілтемелердің толық "
                          "тізбесінің SHA-256 мәні", en="SHA-256 of the full list of references"),
    "digest": Labels(ru="Контрольная сумма акта (SHA-256)",
                     kk="Актінің бақылау сомасы (SHA-256)",
                     en="Checksum of the act (SHA-256)"),
    "signatures": Labels(ru="Подписи", kk="Қолдар", en="Signatures"),
    "commission": Labels(ru="Члены комиссии", kk="Комиссия мүшелері",
                         en="Members of the commission"),
    "sig_position": Labels(ru="(должность)", kk="(лауазымы)", en="(position)"),
    "sig_signature": Labels(ru="(подпись)", kk="(қолы)", en="(signature)"),
    "sig_name": Labels(ru="(фамилия, инициалы)", kk="(тегі, аты-жөнінің бас әріптері)",
                       en="(name)"),
    "annex": Labels(ru="Приложение к акту № {number}", kk="№ {number} актіге қосымша",
                    en="Annex to act No. {number}"),
    "annex_title": Labels(ru="Перечень псевдонимизированных ссылок на субъектов",
                          kk="Субъектілердің псевдонимделген сілтемелерінің тізбесі",
                          en="List of pseudonymous subject references"),
    "printed": Labels(
        ru="Напечатано {printed} из {total} ссылок. Полный перечень содержится в электронном "
           "приложении (JSON) к акту; его SHA-256 указан выше.",
        kk="{total} сілтеменің {printed} сілтемесі басылды. Толық тізбе актінің электрондық "
           "қосымшасында (JSON) берілген; оның SHA-256 мәні жоғарыда көрсетілген.",
        en="{printed} of {total} references are printed. The full list is in the act's "
           "electronic annex (JSON); its SHA-256 is given above."),
    "none": Labels(ru="Данных, подлежащих уничтожению, не было.",
                   kk="Жоюға жататын деректер болмады.",
                   en="No data were due for destruction."),
    "page": Labels(ru="Страница", kk="Бет", en="Page"),
}

ACTIONS: Mapping[AfterRetention, Labels] = {
    AfterRetention.DESTROY: Labels(ru="Уничтожение", kk="Жою", en="Destruction"),
    AfterRetention.ANONYMISE: Labels(ru="Обезличивание", kk="Иесіздендіру",
                                     en="Anonymisation"),
}

METHODS: Mapping[Method, Labels] = {
    Method.CRYPTO_SHREDDING: Labels(
        ru="Криптографическое уничтожение: ключ шифрования субъекта уничтожен в хранилище "
           "ключей, записи удалены; резервные копии содержат только нечитаемый шифротекст",
        kk="Криптографиялық жою: субъектінің шифрлау кілті кілттер қоймасында жойылды, "
           "жазбалар өшірілді; сақтық көшірмелерде тек оқылмайтын шифрмәтін қалады",
        en="Crypto-shredding: the subject's encryption key destroyed in the key store, the "
           "records deleted; backups hold only ciphertext that cannot be read"),
    Method.DELETION: Labels(
        ru="Удаление записей категорий; прежний ключ субъекта уничтожен, остальные данные "
           "зашифрованы новым ключом",
        kk="Санаттардың жазбалары өшірілді; субъектінің бұрынғы кілті жойылды, қалған "
           "деректер жаңа кілтпен шифрланды",
        en="Deletion of the categories' records; the subject's former key destroyed, the "
           "remaining data re-encrypted under a new key"),
    Method.ANONYMISATION: Labels(
        ru="Обезличивание: значения заменены так, что их принадлежность субъекту установить "
           "невозможно",
        kk="Иесіздендіру: мәндер олардың субъектіге тиесілігін анықтау мүмкін болмайтындай "
           "етіп ауыстырылды",
        en="Anonymisation: values replaced so that they can no longer be attributed to the "
           "subject"),
    Method.STORE_DELETE_ROW: Labels(ru="Удаление строк", kk="Жолдарды өшіру",
                                    en="Deletion of rows"),
    Method.STORE_NULL: Labels(ru="Очистка значений (NULL)", kk="Мәндерді тазарту (NULL)",
                              en="Values cleared (NULL)"),
    Method.STORE_MASK: Labels(ru="Маскирование значений", kk="Мәндерді бүркемелеу",
                              en="Values masked"),
    Method.STORE_HASH: Labels(ru="Замена значений ключевым хешем",
                              kk="Мәндерді кілттік хешпен ауыстыру",
                              en="Values replaced by a keyed hash"),
}


# Short names for the group tables; METHODS explains each in section 3.
METHOD_NAMES: Mapping[Method, Labels] = {
    Method.CRYPTO_SHREDDING: Labels(ru="Криптографическое уничтожение",
                                    kk="Криптографиялық жою", en="Crypto-shredding"),
    Method.DELETION: Labels(ru="Удаление с заменой ключа", kk="Кілтті ауыстырып өшіру",
                            en="Deletion with key replacement"),
    Method.ANONYMISATION: Labels(ru="Обезличивание", kk="Иесіздендіру", en="Anonymisation"),
    Method.STORE_DELETE_ROW: METHODS[Method.STORE_DELETE_ROW],
    Method.STORE_NULL: METHODS[Method.STORE_NULL],
    Method.STORE_MASK: METHODS[Method.STORE_MASK],
    Method.STORE_HASH: METHODS[Method.STORE_HASH],
}


def _t(key: str, lang: Lang) -> str:
    return TEXTS[key].get(lang)


def _when(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset[:3]}:{offset[3:]})"


def _number(n: int, lang: Lang) -> str:
    # Thousands grouped with a narrow no-break space in ru/kk, a comma in en.
    text = f"{n:,}"
    return text if lang is Lang.EN else text.replace(",", "\u202f")


def _retention_text(group: ActGroup, lang: Lang) -> str:
    if group.trigger is None or group.period is None:
        return "—"
    rule = Retention(trigger=group.trigger, period=group.period,
                     citation=group.retention_citation or "")
    return i18n.retention_phrase(rule, lang)


def _group_view(group: ActGroup, lang: Lang) -> dict[str, Any]:
    methods = []
    for use in group.methods:
        name = METHOD_NAMES[use.method].get(lang)
        if use.store is None:
            methods.append(f"{name} — {_t('vault', lang)}: {_number(use.count, lang)} "
                           f"{_t('subjects_of', lang)}")
        else:
            methods.append(f"{name} — {_t('store', lang)} «{use.store}»: "
                           f"{_number(use.count, lang)} {_t('rows', lang)}")
    ended = ""
    if group.ended_from and group.ended_to:
        ended = _t("from_to", lang).format(start=i18n.format_date(group.ended_from, lang),
                                           end=i18n.format_date(group.ended_to, lang))
    return {
        "no": group.no,
        "purpose": group.purpose.get(lang),
        "purpose_id": group.purpose_id,
        "clause": format_clause(group.clause, lang) if group.clause else None,
        "basis": i18n.enum_label(group.basis, lang) if group.basis else
        _t("not_in_register", lang),
        "basis_citation": (group.basis_cite.get(lang) if group.basis_cite
                           else group.basis_citation),
        "retention": _retention_text(group, lang),
        "retention_citation": (group.retention_cite.get(lang) if group.retention_cite
                               else group.retention_citation or "—"),
        "ended": ended,
        "criterion": group.criterion.get(lang) if group.criterion else None,
        "categories": [{"id": c.id, "label": c.labels.get(lang)} for c in group.categories],
        "action": ACTIONS[group.action].get(lang),
        "methods": methods,
        "subjects": _number(group.subjects, lang),
        "pairs": None if group.items is None else _number(group.items, lang),
    }


def bar_chart(bars: list[tuple[str, int]], title: str, lang: Lang) -> str:
    """A horizontal bar chart as inline SVG (no script, no external font)."""
    row, top, left, width = 20, 26, 70, 330
    height = top + row * max(1, len(bars)) + 8
    peak = max((n for _, n in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 90}" '
        f'height="{height}" viewBox="0 0 {left + width + 90} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="DejaVu Sans, sans-serif">',
        f'<text x="0" y="13" font-size="11" font-weight="bold" fill="#1d2b3a">'
        f'{escape(title)}</text>',
        f'<line x1="{left}" y1="{top - 4}" x2="{left}" y2="{height - 6}" stroke="#6b7785" '
        f'stroke-width="0.8"/>',
    ]
    for i, (label, n) in enumerate(bars):
        y = top + i * row
        length = max(1.5, width * n / peak) if n else 0
        parts.append(f'<text x="{left - 6}" y="{y + 12}" font-size="10" text-anchor="end" '
                     f'fill="#333">{escape(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 2}" width="{length:.1f}" height="{row - 7}" '
                     f'fill="#3d5a80"/>')
        parts.append(f'<text x="{left + length + 5:.1f}" y="{y + 12}" font-size="10" '
                     f'fill="#111">{escape(_number(n, lang))}</text>')
    parts.append("</svg>")
    return "".join(parts)


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("derbes.retention.adapters.acts", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def _annex(act: Act, budget: int) -> tuple[list[dict[str, Any]], int]:
    printed = 0
    groups = []
    for group in act.groups:
        take = list(group.references[: max(0, budget - printed)])
        printed += len(take)
        groups.append({"no": group.no, "purpose": group.purpose_id, "references": take,
                       "total": len(group.references)})
    return groups, printed


def view(act: Act, lang: Lang | str) -> dict[str, Any]:
    """Everything the template shows, in ``lang``."""
    language = i18n.as_lang(lang)
    rules = load_act_rules()
    zone = ZoneInfo(rules.timezone)
    number = str(act.number)
    annex, printed = _annex(act, rules.printed_references)
    all_refs = sum(len(g.references) for g in act.groups)
    chart_title = _t("chart", language)
    bars = [(f"{_t('group', language)} {g.no}", g.subjects) for g in act.groups]
    operator = act.operator
    totals = act.totals
    stores = sorted({(m.method, m.store) for g in act.groups for m in g.methods if m.store},
                    key=lambda x: (x[1] or "", x[0].value))
    return {
        "lang": language.value,
        "t": {k: v.get(language) for k, v in TEXTS.items()},
        "number": number,
        "date": i18n.format_date(act.act_date, language),
        "operator": {"name": operator.names.get(language), "bin": operator.bin,
                     "address": operator.address.get(language)},
        "responsible": None if act.responsible is None else {
            "role": act.responsible.role.get(language), "name": act.responsible.name,
            "email": act.responsible.email},
        "policy_version": act.policy_version,
        "general_basis": act.general_basis.get(language),
        "general_citation": act.general_citation,
        "anonymisation": act.anonymisation.get(language) if any(
            g.action is AfterRetention.ANONYMISE for g in act.groups) else None,
        "anonymisation_label": ACTIONS[AfterRetention.ANONYMISE].get(language),
        "logging": act.logging.get(language),
        "run_id": act.run_id,
        "actor": act.actor,
        "as_of": i18n.format_date(act.as_of, language),
        "window": TEXTS["from_to"].get(language).format(
            start=_when(act.started_at, zone), end=_when(act.finished_at, zone)),
        "groups": [_group_view(g, language) for g in act.groups],
        "chart": bar_chart(bars, chart_title, language) if act.groups else "",
        "methods": [METHODS[m].get(language) for m in act.methods if not m.in_store],
        "stores": [f"«{s}»: {METHODS[m].get(language)}"
                   for m, s in stores],
        "totals": None if totals is None else {
            "shredded": _number(totals.subjects_shredded, language),
            "partial": _number(totals.subjects_partial, language),
            "values_deleted": _number(totals.values_deleted, language),
            "skipped": _number(totals.items_skipped, language),
            "has_skipped": totals.items_skipped > 0},
        "subjects_total": _number(act.subjects_total, language),
        "references_digest": references_digest(r for g in act.groups for r in g.references),
        "digest": act.digest(),
        "annex": annex,
        "annex_title": TEXTS["annex"].get(language).format(number=number),
        "printed_note": TEXTS["printed"].get(language).format(
            printed=_number(printed, language), total=_number(all_refs, language))
        if printed < all_refs else "",
        "commission_lines": list(range(rules.commission_lines)),
    }


def act_json(act: Act) -> dict[str, Any]:
    """The JSON document of an act: its body plus the digest of that body."""
    body = as_dict(act)
    body["sha256"] = act.digest()
    return body


def render_act(act: Act, lang: Lang | str = Lang.RU, fmt: str = "pdf") -> bytes:
    """The act as ``json`` (every language at once), ``html`` or ``pdf`` in ``lang``."""
    if fmt not in FORMATS:
        raise InputError(f"an act is rendered as {', '.join(FORMATS)}", field="format")
    if fmt == "json":
        text = json.dumps(act_json(act), ensure_ascii=False, indent=2, sort_keys=False)
        return (text + "\n").encode("utf-8")
    html = _environment().get_template("act.html.j2").render(v=view(act, lang))
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
