"""Text shown to people, in the three languages derbes speaks: ru, kk, en."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from derbes.errors import InputError


def N_(message: str) -> str:
    """Mark a fixed text for the catalogues (``derbes/locale``) without translating it.

    Models stay pure: they name their texts by the English message, and the
    edges (``platform/i18n.py``) translate them into ru, kk or en.
    """
    return message


class Lang(StrEnum):
    RU = "ru"
    KK = "kk"
    EN = "en"


@dataclass(frozen=True)
class Labels:
    """One text in Russian, Kazakh and English."""

    ru: str
    kk: str
    en: str

    def get(self, lang: Lang | str) -> str:
        return {Lang.RU: self.ru, Lang.KK: self.kk, Lang.EN: self.en}[Lang(lang)]

    def as_dict(self) -> dict[str, str]:
        return {"ru": self.ru, "kk": self.kk, "en": self.en}

    @classmethod
    def from_mapping(cls, data: object, *, where: str) -> Labels:
        """Build from ``{"ru": ..., "kk": ..., "en": ...}``; every language is required."""
        if not isinstance(data, Mapping):
            raise InputError(f"{where}: expected a mapping with ru, kk and en", field=where)
        missing = [lang.value for lang in Lang if not _text(data.get(lang.value))]
        if missing:
            raise InputError(f"{where}: missing text for {', '.join(missing)}", field=where)
        ru, kk, en = (str(data[lang.value]).strip() for lang in (Lang.RU, Lang.KK, Lang.EN))
        return cls(ru=ru, kk=kk, en=en)


def _text(value: object) -> bool:
    return isinstance(value, str) and bool(value.strip())
