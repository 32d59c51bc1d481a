"""What the integrity services need from the outside world, owned by the integrity slice.

Projections are read as raw rows (``ProjectionReader``), seals kept per subject
(``SealRepository``), anchors handed to sinks (``AnchorSink``); the SQL and
file/syslog/URL adapters live in ``integrity/adapters``, the fakes in
``derbes.testing.integrity``.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from derbes.integrity.model.state_seal import Snapshot

__all__ = [
    "PAGE", "SEAL_PAGE", "AnchorFile", "AnchorSink", "ProjectionReader", "Row",
    "SealRepository", "StoredSeal",
]

# A projection row as stored: column -> value. Not a domain object: a row someone
# edited by hand may hold a value no domain type accepts, and the verifier must
# report it, not crash on it.
Row = Mapping[str, Any]
PAGE = 1000
SEAL_PAGE = 1000  # subjects per query when sealing or verifying


class ProjectionReader(Protocol):
    def consents(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        """``consents`` rows by id, after ``after``."""
        ...

    def subjects(self, *, after: str = "", limit: int = PAGE) -> builtins.list[Row]:
        """``subjects`` rows by id, after ``after``."""
        ...

    def category_blocks(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        """Every block row of these subjects, lifted ones too."""
        ...

    def contracts(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]: ...

    def events(self, subject_ids: Collection[str]) -> dict[str, builtins.list[Row]]:
        """``lifecycle_events`` rows of these subjects."""
        ...

    def value_categories(self, subject_ids: Collection[str]) -> dict[str, set[str]]:
        """The categories these subjects hold values of (never the values)."""
        ...


@dataclass(frozen=True)
class StoredSeal:
    mac: str
    components: Mapping[str, str]


class SealRepository(Protocol):
    def snapshots(self, subject_ids: Collection[str]) -> dict[str, Snapshot]:
        """The current state of these subjects (absent: no such subject)."""
        ...

    def lock(self, subject_ids: Sequence[str]) -> None:
        """Hold the subjects' seals until the end of the transaction (in id order)."""
        ...

    def stored(self, subject_ids: Collection[str]) -> dict[str, StoredSeal]: ...

    def put(self, seals: Sequence[tuple[str, str, Mapping[str, str]]]) -> None:
        """Write (subject id, MAC, component digests), replacing what was there."""
        ...

    def delete(self, subject_ids: Collection[str]) -> None: ...

    def subject_ids(self, *, after: str = "", limit: int = SEAL_PAGE) -> builtins.list[str]:
        """Subject ids in order, after ``after`` (keyset pages for verification)."""
        ...


class AnchorSink(Protocol):
    name: str

    def write(self, line: str) -> None:
        """Hand over one anchor line; ``ConfigurationError`` when it cannot be delivered."""
        ...


class AnchorFile(AnchorSink, Protocol):
    """The sink derbes reads anchors back from (a file on a path)."""

    @property
    def path(self) -> Path: ...

    def lines(self) -> Iterator[str]:
        """Every line written so far (none when nothing was)."""
        ...
