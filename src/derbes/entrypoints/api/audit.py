"""``/v1/audit``: verification of the hash-chained access audit log (admin scope)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from derbes.bootstrap import Container
from derbes.domain.anchor import Chain
from derbes.domain.scopes import Scope
from derbes.entrypoints.api.auth import Caller, require_scope
from derbes.services import audit as service

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class ChainBreakOut(BaseModel):
    seq: int
    kind: str
    message: str


class AnchorOut(BaseModel):
    seq: int
    hash: str
    at: datetime


class VerificationOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    breaks: list[ChainBreakOut]
    anchor: AnchorOut | None = None
    forged_anchor_lines: int = 0


@router.get("/verify", response_model=VerificationOut)
def verify(
    request: Request,
    caller: Annotated[Caller, Depends(require_scope(Scope.ADMIN))],
    expect: Annotated[str | None, Query(description="An earlier head, as <seq>:<hash>.")] = None,
) -> VerificationOut:
    """Walk the whole audit log and check it still holds its latest anchor; ``ok`` is
    false with every break (seq, kind, message)."""
    container: Container = request.app.state.container
    expected = service.parse_head(expect) if expect else None
    found = container.latest_anchor(Chain.AUDIT)
    result = service.verify(container.uow(), container.audit_key, expected, found.anchor)
    a = found.anchor
    return VerificationOut(
        ok=result.ok and not found.forged, entries=result.entries, head_seq=result.head_seq,
        head_hash=result.head_hash,
        breaks=[ChainBreakOut(seq=b.seq, kind=b.kind.value, message=b.message)
                for b in result.breaks],
        anchor=None if a is None else AnchorOut(seq=a.seq, hash=a.hash, at=a.at),
        forged_anchor_lines=found.forged,
    )
