"""Presidio's analyzer set up for the comparison of ``bench/scan.py``: offline, with no NLP
engine (``NoOpNlpEngine``), its own pattern recognisers, and the Kazakhstan regexes the
scanner uses added as Presidio pattern recognisers, so both look for the same things.

Where the scanner checks a value (IIN control digit and birth date), the Presidio
recogniser checks it too (``validate_result``), with the same function. Context words
reach Presidio only as the column name passed to ``analyze(context=...)``: without an
NLP engine it has no tokens to find them in the text.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import tldextract
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import NoOpNlpEngine

from derbes.errors import IdentifierError
from derbes.identifiers.model import iin as kz_iin

TODAY = date(2026, 3, 1)
# Case matters in names and addresses: no IGNORECASE for the Kazakhstan patterns.
FLAGS = re.DOTALL | re.MULTILINE
UP, LO = "А-ЯЁӘҒҚҢӨҰҮҺІ", "а-яёәғқңөұүһі"

# Presidio's entity types, and those of the recognisers below, as the corpus names them.
ENTITY_MAP = {
    "CREDIT_CARD": "pan", "EMAIL_ADDRESS": "email", "IBAN_CODE": "iban",
    "PHONE_NUMBER": "phone", "KZ_IIN": "iin", "KZ_PHONE": "phone",
    "KZ_PAN_MASKED": "pan_masked", "KZ_ID_CARD": "id_card", "KZ_PASSPORT": "passport",
    "KZ_ADDRESS": "address", "KZ_PERSON": "person_name", "KZ_BIRTH_DATE": "birth_date",
}


class IinRecognizer(PatternRecognizer):  # type: ignore[misc]
    def validate_result(self, pattern_text: str) -> bool:
        try:
            kz_iin.parse(pattern_text, on=TODAY)
        except IdentifierError:
            return False
        return True


def _recognisers() -> list[PatternRecognizer]:
    word = rf"[{UP}][{LO}]+"
    surname = rf"[{UP}][{LO}]+(?:ов|ев|ин|ова|ева|ина)"
    patronymic = rf"[{UP}][{LO}]+(?:ович|евич|овна|евна|ұлы|улы|қызы|кызы)"
    return [
        IinRecognizer("KZ_IIN", patterns=[Pattern("iin", r"\b\d{12}\b", 0.5)],
                      context=["иин", "жсн", "iin"], global_regex_flags=FLAGS),
        PatternRecognizer("KZ_PHONE", patterns=[Pattern(
            "kz phone", r"(?<![\w+])(?:\+7|8)[ \-]?\(?7\d\d\)?[ \-]?\d{3}[ \-]?\d\d[ \-]?\d\d\b",
            0.7)], context=["тел", "phone", "телефон", "байланыс"], global_regex_flags=FLAGS),
        PatternRecognizer("KZ_PAN_MASKED", patterns=[Pattern(
            "masked", r"\b\d{6}[*xX•]{2,9}\d{4}\b", 0.6)], context=["card", "карт"],
            global_regex_flags=FLAGS),
        PatternRecognizer("KZ_ID_CARD", patterns=[Pattern("id card", r"\b0\d{8}\b", 0.3)],
                          context=["удостоверен", "удостоверения", "куәлік"],
                          global_regex_flags=FLAGS),
        PatternRecognizer("KZ_PASSPORT", patterns=[Pattern("passport", r"\bN\d{8}\b", 0.6)],
                          context=["паспорт", "passport", "төлқұжат"], global_regex_flags=FLAGS),
        PatternRecognizer("KZ_PERSON", patterns=[
            Pattern("surname first", rf"\b{surname}\s+{word}(?:\s+{patronymic})?\b", 0.6),
            Pattern("given first", rf"\b{word}\s+{surname}\b", 0.5),
            Pattern("initials", rf"\b{surname}\s+[{UP}]\.\s?[{UP}]\.", 0.6),
            Pattern("latin", r"\b[A-Z][a-z]+(?:ov|ev|ova|eva|in|ina)\s+[A-Z][a-z]+"
                             r"(?:\s+[A-Z][a-z]+(?:ovich|evich|ovna|evna|uly|kyzy))?\b", 0.5),
        ], context=["фио", "аты-жөні", "name"], global_regex_flags=FLAGS),
        PatternRecognizer("KZ_ADDRESS", patterns=[
            Pattern("ru", rf"(?:г\.\s*[{UP}][{LO}\-]+,\s*)?(?:ул|пр|мкр)\.\s*(?:[{UP}]|аль-)"
                          rf"[^,\n]{{1,40}},\s*(?:д\.\s*)?\d+(?:,\s*кв\.\s*\d+)?", 0.6),
            Pattern("kk", rf"(?:[{UP}][\w\-]+\s+қ\.,\s*)?[{UP}][\w\-]*(?:\s+[\w\-]+)?\s+"
                          rf"(?:көшесі|даңғылы),\s*\d+-үй(?:,\s*\d+-пәтер)?", 0.6),
        ], context=["адрес", "мекенжай", "address"], global_regex_flags=FLAGS),
        PatternRecognizer("KZ_BIRTH_DATE", patterns=[
            Pattern("with words", r"(?:рожд\w*|д\.р\.|туған\s+күн\w*|birth\w*|dob)\D{0,20}"
                                  r"(?:\d{2}\.\d{2}\.\d{4}|\d{4}-\d{2}-\d{2})", 0.6),
            Pattern("bare", r"^(?:\d{2}\.\d{2}\.(?:19|20)\d\d|(?:19|20)\d\d-\d{2}-\d{2})$", 0.2),
        ], context=["рождения", "birth", "туған"], global_regex_flags=FLAGS),
    ]


def make_analyzer() -> AnalyzerEngine:
    """Presidio offline: the public-suffix list comes from tldextract's bundled snapshot."""
    tldextract.extract = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    registry = RecognizerRegistry(supported_languages=["en"])
    registry.load_predefined_recognizers(languages=["en"])
    registry.remove_recognizer("SpacyRecognizer")
    for recogniser in _recognisers():
        registry.add_recognizer(recogniser)
    engine = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])


def spans(results: list[Any]) -> list[tuple[int, int, str]]:
    """Presidio's results as (start, end, entity); one per place and entity."""
    out: list[tuple[int, int, str]] = []
    for result in sorted(results, key=lambda r: -r.score):
        entity = ENTITY_MAP.get(result.entity_type)
        if entity is None:
            continue
        if any(e == entity and s < result.end and result.start < t for s, t, e in out):
            continue
        out.append((result.start, result.end, entity))
    return out
