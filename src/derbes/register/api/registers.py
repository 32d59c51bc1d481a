"""``/v1/registers``: the processing registers in force."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel

from derbes.api.deps import container as _container
from derbes.deadlines.model.periods import Period
from derbes.register.service import registers as service

router = APIRouter(prefix="/v1/registers", tags=["registers"])


class RegisterSummary(BaseModel):
    operator_id: str
    policy_version: str
    sha256: str
    loaded_at: datetime




def to_plain(value: Any) -> Any:
    """A register (or any part of it) as JSON-ready data; periods as '5 years'."""
    if isinstance(value, Period):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date | datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | frozenset | set):
        items = [to_plain(v) for v in value]
        return sorted(items) if isinstance(value, frozenset | set) else items
    return value


@router.get("", response_model=list[RegisterSummary])
def list_registers(request: Request) -> list[RegisterSummary]:
    """The register version in force of every operator."""
    rows = service.published(_container(request).uow())
    return [
        RegisterSummary(operator_id=r.operator_id, policy_version=r.policy_version,
                        sha256=r.sha256, loaded_at=r.loaded_at)
        for r in rows
    ]


@router.get("/{operator_id}")
def get_register(operator_id: str, request: Request) -> dict[str, Any]:
    """The register in force for one operator, as JSON."""
    loaded = service.in_force(_container(request).uow(), operator_id)
    body: dict[str, Any] = to_plain(loaded.register)
    body["sha256"] = loaded.sha256
    return body
