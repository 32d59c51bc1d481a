"""A register as read from its text: the model, the text, its fingerprint and lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from derbes.platform.doc_paths import line_of
from derbes.register.model import register as reg

__all__ = ["LoadedRegister"]


@dataclass(frozen=True)
class LoadedRegister:
    """A register that loaded: what it says, the text it was read from (``source``),
    the SHA-256 of that text, the file it came from, and the line of each dotted path.
    """

    register: reg.Register
    source: str
    sha256: str
    file: str
    lines: Mapping[str, int]  # dotted YAML path -> 1-based line

    def line_of(self, path: str) -> int | None:
        return line_of(self.lines, path)
