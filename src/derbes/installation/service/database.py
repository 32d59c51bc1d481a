"""Use cases for the database itself: bring the schema up to date, report it."""

from __future__ import annotations

from dataclasses import dataclass

from derbes.platform import migrate
from derbes.platform.migrate import SchemaState

__all__ = ["SchemaState", "SchemaUpgrade", "current", "upgrade"]


@dataclass(frozen=True)
class SchemaUpgrade:
    before: SchemaState
    after: SchemaState

    @property
    def changed(self) -> bool:
        return self.before.revision != self.after.revision


def upgrade(url: str, revision: str = "head") -> SchemaUpgrade:
    """Apply the migrations shipped with derbes up to ``revision``.

    Safe to run again: a database already at ``revision`` is left unchanged.
    """
    before, after = migrate.upgrade(url, revision)
    return SchemaUpgrade(before, after)


def current(url: str) -> SchemaState:
    """The schema revision of the database at ``url`` and the newest available."""
    return migrate.current(url)
