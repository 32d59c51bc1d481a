"""The glossary of the law's terms (``data/glossary.yaml``) and the check of a text
against it: forbidden variants, internal notes, unbalanced «guillemets».

Every customer-facing text derbes writes (catalogues, notices, letters, acts)
is checked against it by the tests; ``violations`` is what they call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from derbes.errors import ConfigurationError
from derbes.platform.labels import Lang
from derbes.platform.shipped import shipped_yaml

ANY = "any"


@dataclass(frozen=True)
class Forbidden:
    term: str
    lang: str  # ru, kk, en or "any"
    pattern: re.Pattern[str]
    why: str


@dataclass(frozen=True)
class Violation:
    term: str
    lang: str
    found: str
    why: str
    context: str

    def __str__(self) -> str:
        return f"{self.term} ({self.lang}): {self.found!r} — {self.why}: …{self.context}…"


@dataclass(frozen=True)
class Glossary:
    terms: dict[str, dict[str, Any]]
    forbidden: tuple[Forbidden, ...]

    def preferred(self, term: str, lang: Lang | str) -> str:
        return str(self.terms[term][Lang(lang).value])


def glossary_from_dict(data: Any) -> Glossary:
    if not isinstance(data, dict) or not isinstance(data.get("terms"), dict):
        raise ConfigurationError("glossary: expected a mapping with 'terms'")
    found: list[Forbidden] = []
    for term, entry in data["terms"].items():
        for lang, variants in (entry.get("forbidden") or {}).items():
            for variant in variants:
                flags = 0 if variant.get("case") else re.IGNORECASE
                try:
                    pattern = re.compile(str(variant["pattern"]), flags)
                except re.error as exc:
                    raise ConfigurationError(f"glossary: {term}.{lang}: {exc}") from exc
                found.append(Forbidden(term, lang, pattern, str(variant["why"])))
    return Glossary(terms=data["terms"], forbidden=tuple(found))


@cache
def glossary() -> Glossary:
    return glossary_from_dict(shipped_yaml("glossary.yaml"))


def _guillemets(text: str) -> str | None:
    depth = 0
    for i, char in enumerate(text):
        depth += 1 if char == "«" else -1 if char == "»" else 0
        if depth < 0:
            return text[max(0, i - 30): i + 10]
    return text[-40:] if depth else None


def violations(text: str, lang: Lang | str) -> list[Violation]:
    """What in ``text`` (written in ``lang``) breaks the glossary."""
    language = Lang(lang).value
    out: list[Violation] = []
    for item in glossary().forbidden:
        if item.lang not in (language, ANY):
            continue
        for match in item.pattern.finditer(text):
            start = max(0, match.start() - 30)
            out.append(Violation(item.term, language, match.group(0), item.why,
                                 text[start: match.end() + 30]))
    unbalanced = _guillemets(text)
    if unbalanced is not None:
        out.append(Violation("guillemets", language, "«»", "unbalanced «guillemets»",
                             unbalanced))
    return out
