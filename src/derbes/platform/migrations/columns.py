"""The column types the revisions are written in (see ``ddl``: part of the history).

A function here must never change what it emits: revisions that installations
have already run call it. A new kind of column gets a new function.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa

__all__ = ["bigint", "blob", "date", "integer", "serial", "text", "timestamptz", "varchar"]

Autoincrement = bool | Literal["auto"]


def varchar(name: str, length: int, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def text(name: str, *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, sa.Text(), nullable=nullable)


def timestamptz(name: str, *, nullable: bool = False) -> sa.Column[object]:
    """An instant with its time zone (the tables read and write it as ``UtcDateTime``)."""
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def date(name: str, *, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.Date(), nullable=nullable)


def blob(name: str, *, nullable: bool = False) -> sa.Column[bytes]:
    return sa.Column(name, sa.LargeBinary(), nullable=nullable)


def integer(
    name: str, *, nullable: bool = False, autoincrement: Autoincrement = "auto"
) -> sa.Column[int]:
    return sa.Column(name, sa.Integer(), autoincrement=autoincrement, nullable=nullable)


def bigint(
    name: str, *, nullable: bool = False, autoincrement: Autoincrement = "auto"
) -> sa.Column[int]:
    return sa.Column(name, sa.BigInteger(), autoincrement=autoincrement, nullable=nullable)


def serial(name: str) -> sa.Column[int]:
    """An integer key the database numbers (PostgreSQL: SERIAL)."""
    return integer(name, autoincrement=True)
