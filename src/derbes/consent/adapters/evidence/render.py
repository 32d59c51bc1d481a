"""Render the consent evidence of a subject as a certificate (HTML or PDF, A4).

The input is the JSON export built by ``consent/service/evidence.py``; the texts of
the certificate are below in Russian, Kazakh and English, and the labels of
register choices (channels, scopes, cookie categories) come from the shared
catalogues of ``platform/i18n.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

import jinja2

from derbes.errors import InputError
from derbes.platform import i18n
from derbes.platform.labels import Labels, Lang
from derbes.register.model.register import ConsentChannel, CookieCategory, SeparateScope

TEXTS: Mapping[str, Labels] = {
    "title": Labels(
        ru="Справка о согласиях на сбор и обработку персональных данных",
        kk="Дербес деректерді жинауға және өңдеуге берілген келісімдер туралы анықтама",
        en="Certificate of consents to the collection and processing of personal data"),
    "law": Labels(
        ru="Закон Республики Казахстан «О персональных данных и их защите» № 94-V, статья 8",
        kk="«Дербес деректер және оларды қорғау туралы» Қазақстан Республикасының "
           "№ 94-V Заңы, 8-бап",
        en="Law of the Republic of Kazakhstan No. 94-V «On personal data and their "
           "protection», Article 8"),
    "operator": Labels(ru="Оператор", kk="Оператор", en="Operator"),
    "bin": Labels(ru="БИН", kk="БСН", en="BIN"),
    "not_stated": Labels(ru="не указан", kk="көрсетілмеген", en="not stated"),
    "subject": Labels(ru="Субъект персональных данных", kk="Дербес деректер субъектісі",
                      en="Data subject"),
    "subject_id": Labels(ru="Внутренний идентификатор", kk="Ішкі сәйкестендіргіш",
                         en="Internal identifier"),
    "generated": Labels(ru="Справка сформирована", kk="Анықтама қалыптастырылған уақыт",
                        en="Generated at"),
    "consent": Labels(ru="Согласие", kk="Келісім", en="Consent"),
    "scope": Labels(ru="Предмет согласия", kk="Келісімнің нысанасы", en="Scope"),
    "processing": Labels(ru="Сбор и обработка персональных данных",
                         kk="Дербес деректерді жинау және өңдеу",
                         en="Collection and processing of personal data"),
    "cookies": Labels(ru="Файлы cookie", kk="Cookie файлдары", en="Cookies"),
    "purposes": Labels(ru="Цели", kk="Мақсаттар", en="Purposes"),
    "recipients": Labels(ru="Получатели", kk="Алушылар", en="Recipients"),
    "cookie_categories": Labels(ru="Категории cookie", kk="Cookie санаттары",
                                en="Cookie categories"),
    "status": Labels(ru="Статус", kk="Мәртебесі", en="Status"),
    "active": Labels(ru="действует", kk="күшінде", en="in force"),
    "withdrawn": Labels(ru="отозвано", kk="кері қайтарылды", en="withdrawn"),
    "expired": Labels(ru="срок действия истёк", kk="қолданылу мерзімі өтті", en="expired"),
    "needs_reconsent": Labels(ru="требуется повторное согласие", kk="қайта келісім қажет",
                              en="a new consent is required"),
    "given_at": Labels(ru="Дата и время получения", kk="Алынған күні мен уақыты",
                       en="Given at"),
    "valid_until": Labels(ru="Срок действия", kk="Қолданылу мерзімі", en="Valid until"),
    "until_withdrawn": Labels(ru="до отзыва", kk="кері қайтарылғанға дейін",
                              en="until withdrawn"),
    "withdrawn_at": Labels(ru="Дата и время отзыва", kk="Кері қайтарылған күні мен уақыты",
                           en="Withdrawn at"),
    "channel": Labels(ru="Способ получения", kk="Алу тәсілі", en="How it was given"),
    "policy_version": Labels(ru="Редакция политики", kk="Саясаттың редакциясы",
                             en="Policy version"),
    "policy_hash": Labels(ru="Хеш текста уведомления (SHA-256)",
                          kk="Хабарлама мәтінінің хеші (SHA-256)",
                          en="Hash of the notice text (SHA-256)"),
    "given_by": Labels(ru="Кем дано", kk="Кім берді", en="Given by"),
    "by_subject": Labels(ru="субъектом лично", kk="субъектінің өзі", en="the subject"),
    "by_representative": Labels(ru="законным представителем", kk="заңды өкілі",
                                en="a legal representative"),
    "representative": Labels(ru="Законный представитель", kk="Заңды өкіл",
                             en="Legal representative"),
    "evidence": Labels(ru="Подтверждение", kk="Растау", en="Evidence"),
    "destroyed": Labels(ru="сведения уничтожены (ключ субъекта удалён)",
                        kk="мәліметтер жойылды (субъектінің кілті жойылды)",
                        en="destroyed (the subject's key was erased)"),
    "ledger": Labels(ru="Журнал согласий (цепочка хешей)",
                     kk="Келісімдер журналы (хештер тізбегі)",
                     en="Consent ledger (hash chain)"),
    "seq": Labels(ru="№", kk="№", en="No."),
    "time": Labels(ru="Время (UTC)", kk="Уақыты (UTC)", en="Time (UTC)"),
    "event": Labels(ru="Событие", kk="Оқиға", en="Event"),
    "hash": Labels(ru="Хеш", kk="Хеш", en="Hash"),
    "authentic": Labels(ru="Подлинность", kk="Түпнұсқалығы", en="Authentic"),
    "yes": Labels(ru="да", kk="иә", en="yes"),
    "no": Labels(ru="нет", kk="жоқ", en="no"),
    "head": Labels(ru="Последняя запись журнала", kk="Журналдың соңғы жазбасы",
                   en="Last entry of the ledger"),
    "footer": Labels(
        ru="Справка сформирована системой derbes по журналу согласий. Подлинность и "
           "целостность записей проверяются командой «derbes ledger verify».",
        kk="Анықтаманы derbes жүйесі келісімдер журналы бойынша қалыптастырды. "
           "Жазбалардың түпнұсқалығы мен тұтастығы «derbes ledger verify» командасымен "
           "тексеріледі.",
        en="Generated by derbes from the consent ledger. The authenticity and integrity "
           "of the entries are checked with «derbes ledger verify»."),
    "ev_given": Labels(ru="согласие дано", kk="келісім берілді", en="consent given"),
    "ev_withdrawn": Labels(ru="согласие отозвано", kk="келісім кері қайтарылды",
                           en="consent withdrawn"),
    "ev_withdrawal_refused_in_part": Labels(
        ru="отзыв исполнен частично: обработка продолжается по договору или закону",
        kk="кері қайтару ішінара орындалды: өңдеу шарт немесе заң бойынша жалғасады",
        en="withdrawal refused in part: processing continues under a contract or the law"),
    "ev_reconsent_required": Labels(ru="требуется повторное согласие",
                                    kk="қайта келісім қажет", en="a new consent is required"),
    "ev_expired": Labels(ru="срок действия истёк", kk="қолданылу мерзімі өтті",
                         en="expired"),
}

_SEPARATE = {s.value: s for s in SeparateScope}


def _scope_label(kind: str, lang: Lang) -> str:
    if kind in _SEPARATE:
        return i18n.enum_label(_SEPARATE[kind], lang)
    return TEXTS["processing" if kind == "processing" else "cookies"].get(lang)


def _when(value: str | None) -> str:
    if not value:
        return ""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M UTC")


def _labelled(value: Mapping[str, Any] | None, lang: Lang, fallback: str) -> str:
    if isinstance(value, Mapping) and isinstance(value.get(lang.value), str):
        return str(value[lang.value])
    return fallback


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("derbes.consent.adapters.evidence", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"),
                                            default=True),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )


def _view(export: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    consents = []
    for c in export["consents"]:
        channel = i18n.enum_label(ConsentChannel(c["channel"]), lang)
        evidence = dict(c.get("evidence") or {})
        consents.append({
            "id": c["id"],
            "scope": _scope_label(c["scope"], lang),
            "purposes": [_labelled(p.get("labels"), lang, p["id"]) for p in c["purposes"]],
            "recipients": [_labelled(r.get("names"), lang, r["id"]) for r in c["recipients"]],
            "cookie_categories": [i18n.enum_label(CookieCategory(x), lang)
                                  for x in c["cookie_categories"]],
            "status": TEXTS[c["status"]].get(lang),
            "needs_reconsent": bool(c.get("needs_reconsent_since")),
            "given_at": _when(c["given_at"]),
            "valid_until": _when(c.get("valid_until")) or TEXTS["until_withdrawn"].get(lang),
            "withdrawn_at": _when(c.get("withdrawn_at")),
            "channel": channel,
            "policy_version": c["policy_version"],
            "policy_hash": c["policy_hash"],
            "given_by": TEXTS["by_subject" if c["given_by"] == "subject"
                              else "by_representative"].get(lang),
            "representative": c.get("representative"),
            "evidence": evidence,
            "evidence_destroyed": bool(c.get("evidence_destroyed")),
        })
    entries = [{
        "seq": e["seq"], "at": _when(e["at"]),
        "event": TEXTS.get("ev_" + e["event"], Labels(e["event"], e["event"], e["event"]))
        .get(lang),
        "consent_id": e["consent_id"][:8], "hash": e["hash"][:16],
        "authentic": TEXTS["yes" if e["authentic"] else "no"].get(lang),
    } for e in export["ledger"]["entries"]]
    operator = export["operator"]
    return {
        "lang": lang.value,
        "t": {k: v.get(lang) for k, v in TEXTS.items()},
        "operator_name": _labelled(operator.get("names"), lang, operator["id"]),
        "operator_bin": operator.get("bin"),
        "subject_id": export["subject"]["id"],
        "subject_name": export["subject"].get("full_name"),
        "generated_at": _when(export["generated_at"]),
        "consents": consents,
        "entries": entries,
        "head": export["ledger"]["head"],
    }


def render_certificate(export: Mapping[str, Any], lang: Lang | str, fmt: str = "pdf") -> bytes:
    """The certificate of ``export`` in ``lang``: ``html`` or ``pdf``."""
    language = i18n.as_lang(lang)
    if fmt not in ("html", "pdf"):
        raise InputError("the certificate is rendered as html or pdf", field="format")
    html = _environment().get_template("certificate.html.j2").render(v=_view(export, language))
    if fmt == "html":
        return html.encode("utf-8")
    import weasyprint  # Pango and fonts: only PDF needs them

    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
