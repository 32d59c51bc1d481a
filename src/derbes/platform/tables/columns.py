"""The columns of the live schema, one function a kind, for the data tables and the key store.

Columns are NOT NULL unless wrapped in :func:`optional`; instants are
:class:`UtcDateTime`. (The revisions have their own words for the same DDL,
``derbes.platform.migrations.columns``: history must not change when these do.)
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)

from derbes.platform.tables.base import UtcDateTime

__all__ = [
    "big_integer",
    "binary",
    "day",
    "index",
    "instant",
    "integer",
    "key",
    "operator_id",
    "optional",
    "sealed_under_own_key",
    "serial",
    "string",
    "subject_id",
    "text",
]

_T = TypeVar("_T")


def string(name: str, length: int) -> Column[str]:
    return Column(name, String(length), nullable=False)


def text(name: str) -> Column[str]:
    return Column(name, Text, nullable=False)


def integer(name: str) -> Column[int]:
    return Column(name, Integer, nullable=False)


def big_integer(name: str) -> Column[int]:
    return Column(name, BigInteger, nullable=False)


def binary(name: str) -> Column[bytes]:
    return Column(name, LargeBinary, nullable=False)


def day(name: str) -> Column[Any]:
    return Column(name, Date, nullable=False)


def instant(name: str) -> Column[Any]:
    return Column(name, UtcDateTime(), nullable=False)


def optional(column: Column[_T]) -> Column[_T]:
    """The same column, NULL allowed."""
    return Column(column.name, column.type, nullable=True)


def key(column: Column[_T]) -> Column[_T]:
    """The same column as the table's primary key."""
    return Column(column.name, column.type, primary_key=True)


def serial(name: str) -> Column[int]:
    """An integer key the database numbers (PostgreSQL: SERIAL)."""
    return Column(name, Integer, primary_key=True, autoincrement=True)


def subject_id(*, ondelete: str | None = None) -> Column[str]:
    """The subject a row belongs to (``ondelete="CASCADE"``: destroyed with it)."""
    return Column(
        "subject_id", String(36), ForeignKey("subjects.id", ondelete=ondelete), nullable=False
    )


def operator_id() -> Column[str]:
    """The operator a row belongs to: its id, as the register names it."""
    return string("operator_id", 100)


def sealed_under_own_key() -> tuple[Column[str], Column[bytes]]:
    """A value that exists only sealed (AES-256-GCM) under a key of its own in the key
    store: the key's id, and the sealed bytes, which nothing opens once the key is gone."""
    return string("key_id", 60), binary("sealed")


def index(*columns: str) -> Index:
    """An index named by the metadata's convention: ``ix_<table>_<columns>``."""
    return Index(None, *columns)
