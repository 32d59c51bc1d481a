"""API keys of service callers on SQL: the adapter of ``access/ports.ApiKeyRepository``.

Only the SHA-256 of a key's secret is stored; the key is shown once, when made
(``access/service/apikeys.py``). Scopes are stored as a JSON list of scope names.
"""

from __future__ import annotations

import builtins
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from derbes.access.model import Scope, sorted_scopes
from derbes.access.model.api_keys import StoredApiKey
from derbes.platform.tables import api_keys

__all__ = ["SqlApiKeyRepository"]


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
        owner=str(m["owner"]),
    )


class SqlApiKeyRepository:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, key: StoredApiKey) -> None:
        self._connection.execute(api_keys.insert().values(
            key_id=key.key_id, name=key.name, secret_sha256=key.secret_sha256,
            scopes=_scopes_json(key.scopes), operator_id=key.operator_id,
            created_at=key.created_at, revoked_at=key.revoked_at,
            last_used_at=key.last_used_at, expires_at=key.expires_at, owner=key.owner,
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

    def revoke_owned(self, owner: str, at: datetime) -> builtins.list[StoredApiKey]:
        rows = self._connection.execute(
            select(api_keys.c.key_id).where(api_keys.c.owner == owner,
                                            api_keys.c.revoked_at.is_(None))
        ).scalars().all()
        return [key for key_id in rows if (key := self.revoke(str(key_id), at)) is not None]

    def touch(self, key_id: str, at: datetime) -> None:
        self._connection.execute(
            api_keys.update().where(api_keys.c.key_id == key_id).values(last_used_at=at)
        )
