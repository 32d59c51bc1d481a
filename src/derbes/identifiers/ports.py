"""What the identifier use cases need from outside: Kazakhstan phone numbers.

Telling a Kazakhstan number (+7 6xx, +7 7xx) from a Russian one (+7 3xx, 4xx, 8xx, 9xx)
takes the numbering plan's metadata, which ``identifiers/adapters/phone.py`` reads
from the ``phonenumbers`` package; bootstrap hands it out (``Context.phones``).
"""

from __future__ import annotations

from typing import Protocol

from derbes.identifiers.model import Verdict

__all__ = ["Phones"]


class Phones(Protocol):
    def check(self, value: str) -> Verdict:
        """The verdict on ``value`` as a Kazakhstan phone number (never an exception)."""
        ...

    def e164(self, value: str) -> str:
        """``value`` in E.164, or an :class:`IdentifierError` that does not quote it."""
        ...
