"""What a dataset says: the store, its tables, the subject's identity columns, how each
column is erased (the masking and hashing rules), and which identity a store is searched by."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from derbes.errors import InputError

SCHEMA_VERSION = 1

# A primary-key value. Other key types (UUID…) are carried as text.
Key = int | str


class IdentityKind(StrEnum):
    """What a subject is looked up by in an operator's database."""

    IIN = "iin"
    PHONE = "phone"
    EMAIL = "email"
    CUSTOMER_ID = "customer_id"


class ErasureStrategy(StrEnum):
    DELETE_ROW = "delete_row"
    NULL = "null"
    MASK = "mask"
    HASH = "hash"


class HashAlphabet(StrEnum):
    HEX = "hex"
    DIGITS = "digits"


class KeepReasonKind(StrEnum):
    PURPOSE = "purpose"  # a purpose that must keep the data needs this column
    ROW_NEEDED = "row_needed"  # the row stays: other columns of it are needed by a purpose
    REFERENCED = "referenced"  # rows that survive reference this row


# ---------------------------------------------------------------- erasure rules


@dataclass(frozen=True)
class MaskRule:
    keep_first: int = 0
    keep_last: int = 0
    char: str = "*"

    def __post_init__(self) -> None:
        if self.keep_first < 0 or self.keep_last < 0:
            raise InputError("mask: keep_first and keep_last cannot be negative")
        if len(self.char) != 1:
            raise InputError("mask: char must be one character")


@dataclass(frozen=True)
class HashRule:
    length: int = 64
    alphabet: HashAlphabet = HashAlphabet.HEX
    prefix: str = ""
    key_env: str | None = None  # env var with a stable key; None: a random key per erasure

    def __post_init__(self) -> None:
        if not 1 <= self.length <= 64:
            raise InputError("hash: length must be 1 to 64")


@dataclass(frozen=True)
class Erasure:
    strategy: ErasureStrategy
    mask: MaskRule | None = None
    hash: HashRule | None = None

    @property
    def deletes_row(self) -> bool:
        return self.strategy is ErasureStrategy.DELETE_ROW


def mask_value(value: str, rule: MaskRule) -> str:
    """``value`` with every character replaced by ``rule.char`` except the kept ends.

    The length is kept. When the kept ends would cover half of the value or
    more, fewer are kept, so at least half of the characters are always hidden.
    """
    n = len(value)
    first, last = rule.keep_first, rule.keep_last
    budget = n // 2  # at most this many characters stay in clear
    if first + last > budget:
        first = min(first, budget)
        last = min(last, budget - first)
    end = n - last
    return value[:first] + rule.char * (end - first) + value[end:]


def hash_value(value: str, key: bytes, rule: HashRule) -> str:
    """A keyed hash of ``value`` in the rule's alphabet and length, after its prefix."""
    digest = hmac.new(key, value.encode("utf-8"), hashlib.sha256).digest()
    if rule.alphabet is HashAlphabet.HEX:
        text = digest.hex()[: rule.length]
    else:
        number = int.from_bytes(digest, "big") % (10**rule.length)
        text = f"{number:0{rule.length}d}"
    return rule.prefix + text


def erased_value(value: Any, erasure: Erasure, key: bytes) -> Any:
    """The value a column takes when erased with a non-deleting strategy."""
    if value is None or erasure.strategy is ErasureStrategy.NULL:
        return None
    text = value if isinstance(value, str) else str(value)
    if erasure.strategy is ErasureStrategy.MASK and erasure.mask is not None:
        return mask_value(text, erasure.mask)
    if erasure.strategy is ErasureStrategy.HASH and erasure.hash is not None:
        return hash_value(text, key, erasure.hash)
    raise InputError(f"erasure {erasure.strategy} does not give a value")


# ---------------------------------------------------------------- the model


@dataclass(frozen=True)
class StoreSpec:
    id: str
    url_env: str  # the environment variable that holds the SQLAlchemy URL
    description: str | None = None


@dataclass(frozen=True)
class Identity:
    column: str
    kind: IdentityKind


@dataclass(frozen=True)
class Reference:
    """``column`` of this (child) table holds the value of ``to_table.to_column``."""

    column: str
    to_table: str
    to_column: str


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    category: str
    erasure: Erasure
    # The table's purposes that need this column's category (from the register).
    purposes: tuple[str, ...] = ()

    def kept_by(self, keep_purposes: Collection[str]) -> tuple[str, ...]:
        return tuple(p for p in self.purposes if p in keep_purposes)


@dataclass(frozen=True)
class TableSpec:
    name: str
    primary_key: str
    columns: Mapping[str, ColumnSpec]
    purposes: tuple[str, ...]
    identity: tuple[Identity, ...] = ()
    references: tuple[Reference, ...] = ()

    def identity_columns(self, kind: IdentityKind) -> tuple[str, ...]:
        return tuple(i.column for i in self.identity if i.kind is kind)


@dataclass(frozen=True)
class Dataset:
    store: StoreSpec
    operator: str
    tables: Mapping[str, TableSpec]

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(c.category for t in self.tables.values() for c in t.columns.values())

    def children(self, table: str) -> tuple[tuple[str, Reference], ...]:
        """(child table, reference) for every reference that points at ``table``."""
        return tuple(
            (child.name, ref)
            for child in self.tables.values()
            for ref in child.references
            if ref.to_table == table
        )

    def needed_columns(self, table: str) -> tuple[str, ...]:
        """Columns to read from ``table``: key, PD, own references, columns children point at."""
        spec = self.tables[table]
        wanted = [spec.primary_key, *spec.columns]
        wanted += [r.column for r in spec.references]
        wanted += [r.to_column for _, r in self.children(table)]
        wanted += [i.column for i in spec.identity]
        return tuple(dict.fromkeys(wanted))

    def link_columns(self, table: str) -> tuple[str, ...]:
        """Columns the walk and the planner need besides PD: references both ways."""
        spec = self.tables[table]
        wanted = [r.column for r in spec.references]
        wanted += [r.to_column for _, r in self.children(table)]
        return tuple(dict.fromkeys(wanted))


@dataclass(frozen=True)
class SubjectIdentity:
    """What the subject is looked up by. The value is PD: it never shows in ``repr``."""

    kind: IdentityKind
    value: str = field(repr=False)

    @property
    def masked(self) -> str:
        keep = 4 if self.kind in (IdentityKind.IIN, IdentityKind.CUSTOMER_ID) else 2
        return mask_value(self.value, MaskRule(keep_first=0, keep_last=keep))

    def __str__(self) -> str:
        return f"{self.kind}:{self.masked}"




# The order in which a store's identity columns are tried for a subject: the IIN names
# one person for life; the operator's own customer id is as exact within its systems;
# a phone number or an e-mail address may pass to somebody else (Law 94-V Art. 1 p.2:
# PD relate to a *determined* subject), so they come last.
IDENTITY_ORDER = (IdentityKind.IIN, IdentityKind.CUSTOMER_ID, IdentityKind.PHONE,
                  IdentityKind.EMAIL)


def store_identity(dataset: Dataset, known: Mapping[IdentityKind, str]
                   ) -> SubjectIdentity | None:
    """The identity to search ``dataset``'s store by: the first kind of
    :data:`IDENTITY_ORDER` that is known and that some table has a column for."""
    tables = dataset.tables.values()
    for kind in IDENTITY_ORDER:
        if kind in known and any(t.identity_columns(kind) for t in tables):
            return SubjectIdentity(kind, known[kind])
    return None
