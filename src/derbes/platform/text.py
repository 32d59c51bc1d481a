"""Text that is no text: NUL and unpaired UTF-16 surrogates, refused wherever input enters.

``"a\\ud800b"`` is valid JSON and a valid Python ``str``, and bytes that are not UTF-8
reach a command line's ``sys.argv`` the same way (as ``\\udc80``–``\\udcff``); but such a
string cannot be encoded, sealed, hashed or stored, and PostgreSQL refuses NUL in text.
So the API (before any route) and the CLI (before any command, and where it reads files
and standard input) refuse them with an :class:`~derbes.errors.InputError` naming where.
"""

from __future__ import annotations

import re
from typing import Any

from derbes.errors import InputError

_BAD = re.compile("[\x00\ud800-\udfff]")
_MAX_DEPTH = 64


def bad_text(value: str) -> bool:
    """True when ``value`` holds NUL or a surrogate (decoded JSON joins the pairs that
    make one character, so any surrogate left is unpaired)."""
    return _BAD.search(value) is not None


def first_bad_text(value: Any, where: str, depth: int = 0) -> str | None:
    """The dotted place of the first bad string in ``value`` (keys too), or None."""
    if isinstance(value, str):
        return where if bad_text(value) else None
    if depth > _MAX_DEPTH:
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and bad_text(key):
                return f"{where}.<key>"
            found = first_bad_text(item, f"{where}.{key}", depth + 1)
            if found:
                return found
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = first_bad_text(item, f"{where}.{index}", depth + 1)
            if found:
                return found
    return None


def problem(where: str) -> InputError:
    return InputError(f"{where}: text may not contain NUL or an unpaired surrogate "
                      "(\\ud800–\\udfff; bytes that are not UTF-8)", field=where)


def check_text(value: Any, where: str) -> None:
    """Raise the InputError for the first bad string in ``value`` (a string, or JSON data)."""
    found = first_bad_text(value, where)
    if found:
        raise problem(found)
