"""API keys of service callers, on the unit of work: the port, its SQL adapter, its fake.

Only the SHA-256 of a key's secret is stored; the key is shown once, when made
(``access/service.py``). Scopes are stored as a JSON list of scope names.
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import Connection, Row, select

from derbes.access.model import Scope, sorted_scopes
from derbes.platform.tables import api_keys


@dataclass(frozen=True)
class StoredApiKey:
    key_id: str
    name: str
    secret_sha256: str
    scopes: frozenset[Scope]
    operator_id: str | None
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    expires_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Not revoked (whether it expired depends on the time asked about)."""
        return self.revoked_at is None

    def expired_on(self, at: datetime) -> bool:
        return self.expires_at is not None and at >= self.expires_at


class ApiKeyRepository(Protocol):
    def add(self, key: StoredApiKey) -> None: ...

    def get(self, key_id: str) -> StoredApiKey | None: ...

    def list(self) -> builtins.list[StoredApiKey]:
        """Every key, revoked ones too, oldest first."""
        ...

    def revoke(self, key_id: str, at: datetime) -> StoredApiKey | None:
        """Mark the key revoked (kept for the record); None when there is no such key."""
        ...

    def touch(self, key_id: str, at: datetime) -> None:
        """Note when the key was last used."""
        ...


def _scopes_json(scopes: frozenset[Scope]) -> str:
    return json.dumps([s.value for s in sorted_scopes(scopes)])


def _from_row(row: Row[Any]) -> StoredApiKey:
    m = row._mapping
    return StoredApiKey(
        key_id=str(m["key_id"]),
        name=str(m["name"]),
        secret_sha256=str(m["secret_sha256"]),
        scopes=frozenset(Scope(s) for s in json.loads(m["scopes"])),
        operator_id=m["operator_id"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
        last_used_at=m["last_used_at"],
        expires_at=m["expires_at"],
    )


class SqlApiKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, key: StoredApiKey) -> None:
        self._connection.execute(api_keys.insert().values(
            key_id=key.key_id, name=key.name, secret_sha256=key.secret_sha256,
            scopes=_scopes_json(key.scopes), operator_id=key.operator_id,
            created_at=key.created_at, revoked_at=key.revoked_at,
            last_used_at=key.last_used_at, expires_at=key.expires_at,
        ))

    def get(self, key_id: str) -> StoredApiKey | None:
        row = self._connection.execute(
            select(api_keys).where(api_keys.c.key_id == key_id)
        ).one_or_none()
        return None if row is None else _from_row(row)

    def list(self) -> builtins.list[StoredApiKey]:
        rows = self._connection.execute(
            select(api_keys).order_by(api_keys.c.created_at, api_keys.c.key_id)
        ).all()
        return [_from_row(row) for row in rows]

    def revoke(self, key_id: str, at: datetime) -> StoredApiKey | None:
        self._connection.execute(
            api_keys.update()
            .where(api_keys.c.key_id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return self.get(key_id)

    def touch(self, key_id: str, at: datetime) -> None:
        self._connection.execute(
            api_keys.update().where(api_keys.c.key_id == key_id).values(last_used_at=at)
        )


class FakeApiKeyRepository:
    def __init__(self) -> None:
        self.rows: dict[str, StoredApiKey] = {}

    def add(self, key: StoredApiKey) -> None:
        if key.key_id in self.rows:
            raise ValueError("duplicate API key id")
        self.rows[key.key_id] = replace(key, created_at=key.created_at.astimezone(UTC))

    def get(self, key_id: str) -> StoredApiKey | None:
        return self.rows.get(key_id)

    def list(self) -> builtins.list[StoredApiKey]:
        return sorted(self.rows.values(), key=lambda k: (k.created_at, k.key_id))

    def revoke(self, key_id: str, at: datetime) -> StoredApiKey | None:
        key = self.rows.get(key_id)
        if key is None:
            return None
        if key.revoked_at is None:
            key = self.rows[key_id] = replace(key, revoked_at=at.astimezone(UTC))
        return key

    def touch(self, key_id: str, at: datetime) -> None:
        key = self.rows.get(key_id)
        if key is not None:
            self.rows[key_id] = replace(key, last_used_at=at.astimezone(UTC))

    def checkpoint(self) -> Callable[[], None]:
        saved = dict(self.rows)

        def restore() -> None:
            self.rows = dict(saved)

        return restore
