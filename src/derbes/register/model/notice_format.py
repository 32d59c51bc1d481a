"""The forms a privacy notice is published in."""

from __future__ import annotations

from enum import StrEnum

from derbes.errors import InputError

__all__ = ["FORMATS", "NoticeFormat", "as_format"]


class NoticeFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    MD = "md"


FORMATS: tuple[NoticeFormat, ...] = tuple(NoticeFormat)


def as_format(fmt: NoticeFormat | str) -> NoticeFormat:
    try:
        return NoticeFormat(fmt)
    except ValueError:
        choices = ", ".join(f.value for f in NoticeFormat)
        raise InputError(
            f"unknown notice format {fmt!r}: use one of {choices}", field="format"
        ) from None
